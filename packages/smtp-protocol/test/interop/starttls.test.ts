// The STARTTLS hook point of createServer (RFC 3207) with a real TLS client:
// nodemailer upgrades with STARTTLS and delivers; and commands pipelined in
// plaintext behind STARTTLS are discarded, not run after the handshake (the
// plaintext command injection of CVE-2011-0411).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST, findTool, runProcess, startOurServer } from './helpers.js';
import type { OurServer } from './helpers.js';

const OPENSSL = findTool('openssl');
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (OPENSSL === undefined)) throw new Error('openssl required under CI=true');
let dir = '';
let server: OurServer | undefined;

beforeAll(async () => {
  if (OPENSSL === undefined) return;
  dir = mkdtempSync(join(tmpdir(), 'nl-tls-'));
  const r = await runProcess(
    OPENSSL,
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-days', '2'],
    { timeoutMs: 20_000 },
  );
  if (r.code !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  server = await startOurServer({ tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) } });
});

afterAll(async () => {
  await server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** Reads CRLF lines from a socket, bounded. */
function lineReader(sock: Socket | TLSSocket) {
  let buf = '';
  const waiters: (() => void)[] = [];
  sock.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (const w of waiters.splice(0)) w();
  });
  return {
    /** The next complete reply (multi-line joined), or throws after 3 s. */
    async reply(): Promise<string[]> {
      const deadline = Date.now() + 3000;
      for (;;) {
        const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(buf);
        if (m !== null) {
          buf = buf.slice(m[0].length);
          return m[0].split('\r\n').filter((l) => l.length > 0);
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no reply; buffered ${JSON.stringify(buf)}`);
        await new Promise<void>((res) => {
          const t = setTimeout(res, left);
          waiters.push(() => {
            clearTimeout(t);
            res();
          });
        });
      }
    },
    /** Stop reading (the socket is handed to TLS). */
    detach(): string {
      sock.removeAllListeners('data');
      return buf;
    },
  };
}

describe.skipIf(OPENSSL === undefined)('STARTTLS on createServer', () => {
  it('nodemailer upgrades with STARTTLS (requireTLS) and delivers; the trace header says ESMTPS', async () => {
    const s = server as OurServer;
    const t = nodemailer.createTransport({ host: HOST, port: s.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, socketTimeout: 5000 });
    try {
      const tag = `tls-${Date.now()}`;
      const info = (await t.sendMail({ from: 'alice@x.example', to: 'bob@y.example', subject: tag, text: 'over TLS' })) as { response: string };
      expect(info.response).toMatch(/^250 /);
      const got = s.messages.find((m) => m.content.includes(tag));
      expect(got?.content.toString('latin1')).toMatch(/^Received: [^\r]*\r\n\tby netlayers\.test with ESMTPS\r\n/);
    } finally {
      t.close();
    }
  });

  it('plaintext commands pipelined after STARTTLS are discarded, not run inside TLS', async () => {
    const s = server as OurServer;
    const sock = new Socket();
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.connect(s.port, HOST, () => res());
    });
    let tls: TLSSocket | undefined;
    try {
      const plain = lineReader(sock);
      expect((await plain.reply())[0]).toMatch(/^220 /);
      sock.write('EHLO inject.test\r\n');
      expect((await plain.reply()).some((l) => /^250[- ]STARTTLS$/.test(l))).toBe(true);
      // The injected RSET/NOOP must not be answered, neither before nor after the handshake.
      sock.write('STARTTLS\r\nNOOP injected\r\nRSET\r\n');
      expect((await plain.reply())[0]).toMatch(/^220 /);
      const leftover = plain.detach();
      expect(leftover).toBe('');
      tls = tlsConnect({ socket: sock, rejectUnauthorized: false, servername: 'localhost' });
      await new Promise<void>((res, rej) => {
        tls?.once('secureConnect', () => res());
        tls?.once('error', rej);
      });
      const enc = lineReader(tls);
      tls.write('EHLO inject.test\r\n');
      const ehlo = await enc.reply();
      // The first reply inside TLS answers our EHLO (multi-line, no STARTTLS any more).
      expect(ehlo[0]).toMatch(/^250[- ]netlayers\.test/);
      expect(ehlo.some((l) => l.includes('STARTTLS'))).toBe(false);
      tls.write('NOOP\r\n');
      expect((await enc.reply())[0]).toMatch(/^250 /);
      tls.write('QUIT\r\n');
      expect((await enc.reply())[0]).toMatch(/^221 /);
    } finally {
      tls?.destroy();
      sock.destroy();
    }
  });
});
