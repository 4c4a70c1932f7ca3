/**
 * The node:net adapters against themselves over the kernel loopback:
 * createServer + sendMail/connect, 421 on close, STARTTLS (via nodemailer,
 * which implements the client side of RFC 3207).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import nodemailer from 'nodemailer';
import { connect, createServer, sendMail, sendMailDetailed, reject, type SmtpServer } from '../src/index.js';

const td = new TextDecoder();
let servers: SmtpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(opts: Parameters<typeof createServer>[0]): Promise<{ server: SmtpServer; port: number }> {
  const server = createServer(opts);
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

describe('node:net adapters', () => {
  it('sendMail → createServer: envelope, body, Received header and the final reply', async () => {
    const got: Array<{ from: string; to: string[]; body: string }> = [];
    const { port } = await start({
      hostname: 'mx.test',
      size: 1 << 20,
      async onData(m) {
        got.push({ from: m.envelope.from, to: m.envelope.to.map((r) => r.address), body: td.decode(await m.bytes()) });
      },
    });
    const reply = await sendMail({ host: '127.0.0.1', port, envelope: { from: 'a@x.test', to: ['b@y.test', 'c@y.test'] }, body: 'Subject: t\r\n\r\n.dot\r\n' });
    expect(reply.code).toBe(250);
    expect(reply.enhanced).toBe('2.6.0');
    expect(got).toHaveLength(1);
    expect(got[0]!.from).toBe('a@x.test');
    expect(got[0]!.to).toEqual(['b@y.test', 'c@y.test']);
    expect(got[0]!.body).toMatch(/^Received: from localhost \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test with ESMTP/);
    expect(got[0]!.body.endsWith('Subject: t\r\n\r\n.dot\r\n')).toBe(true);
  });

  it('a rejection rejects sendMail with the reply; accepted/rejected recipients are reported', async () => {
    const { port } = await start({ onRcptTo: (a) => (a.startsWith('no') ? reject(550, '5.1.1', 'No such user') : undefined) });
    await expect(sendMail({ host: '127.0.0.1', port, envelope: { from: 'a@x.test', to: ['no@y.test'] }, body: 'x' })).rejects.toMatchObject({
      code: 'ERR_SMTP_REJECTED',
      reply: { code: 550, enhanced: '5.1.1' },
    });
    const r = await sendMailDetailed({ host: '127.0.0.1', port, envelope: { from: 'a@x.test', to: ['no@y.test', 'ok@y.test'] }, body: 'x' });
    expect(r.accepted).toEqual(['ok@y.test']);
    expect(r.rejected.map((x) => x.reply.code)).toEqual([550]);
  });

  it('many messages on one connection, DATA and BDAT, 1 MB bodies in many socket chunks', async () => {
    const sizes: number[] = [];
    const { port } = await start({ addReceivedHeader: false, async onData(m) { sizes.push(await m.drain()); } });
    const big = new Uint8Array(1 << 20).fill(0x61);
    for (let i = 999; i < big.length; i += 1000) {
      big[i - 1] = 13;
      big[i] = 10;
    }
    big[big.length - 2] = 13;
    big[big.length - 1] = 10;
    for (const preferChunking of [false, true]) {
      const c = await connect({ host: '127.0.0.1', port, preferChunking, maxChunkSize: 100_000 });
      for (let i = 0; i < 3; i++) await c.send({ from: 'a@x.test', to: ['b@y.test'] }, big);
      await c.quit();
    }
    expect(sizes).toEqual(Array(6).fill(1 << 20));
  });

  it('§3.8 close() sends 421 to connected clients and closes them', async () => {
    const { server, port } = await start({});
    const sock = net.connect(port, '127.0.0.1');
    let text = '';
    sock.on('data', (d) => (text += d.toString()));
    await new Promise((r) => sock.once('data', r));
    const ended = new Promise((r) => sock.once('end', r));
    await server.close();
    servers = servers.filter((s) => s !== server);
    await ended;
    expect(text).toMatch(/^220 .*\r\n421 4\.3\.2 /);
    sock.destroy();
  });

  it('a connection refused is reported as 451', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await expect(sendMail({ host: '127.0.0.1', port, envelope: { from: '', to: ['b@y.test'] }, body: 'x' })).rejects.toMatchObject({
      code: 'ERR_SMTP_CONNECTION_CLOSED',
      reply: { code: 451 },
    });
  });
});

describe('STARTTLS (RFC 3207) through the transport-upgrade hook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nl-smtp-tls-'));
  const haveOpenssl = existsSync('/usr/bin/openssl');
  // Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
  if (process.env.CI === 'true' && (!haveOpenssl)) throw new Error('openssl required under CI=true');
  afterEach(() => undefined);

  it.skipIf(!haveOpenssl)('nodemailer upgrades with STARTTLS and delivers over TLS', async () => {
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const key = readFileSync(join(dir, 'k.pem'));
    const cert = readFileSync(join(dir, 'c.pem'));
    let secure = false;
    let body = '';
    const { port } = await start({
      tls: { key, cert },
      async onData(m, session) {
        secure = session.secure;
        body = td.decode(await m.bytes());
      },
    });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false } });
    const info = await transport.sendMail({ envelope: { from: 'a@x.test', to: ['b@y.test'] }, raw: 'Subject: tls\r\n\r\nhello over tls\r\n' });
    transport.close();
    rmSync(dir, { recursive: true, force: true });
    expect(info.response).toMatch(/^250 /);
    expect(secure).toBe(true);
    expect(body).toMatch(/with ESMTPS/);
    expect(body).toMatch(/hello over tls\r\n$/);
  });
});
