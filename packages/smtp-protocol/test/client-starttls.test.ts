// The client side of STARTTLS (RFC 3207): our ClientSession upgrades with the
// transport hook (clientStartTls over node:tls), discards what it knew and
// sends EHLO again; cleartext behind the 220 (the CVE-2011-0411 injection)
// fails the session; a refused STARTTLS leaves it usable in cleartext; a
// certificate that does not verify fails the upgrade with a typed error.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realClock } from '@netlayers/clock';
import { attachClientSession, clientStartTls, createServer, type SmtpServer } from '../src/index.js';

const haveOpenssl = existsSync('/usr/bin/openssl');
if (process.env.CI === 'true' && !haveOpenssl) throw new Error('openssl required under CI=true');
const dir = mkdtempSync(join(tmpdir(), 'nl-smtp-ctls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cert(): { key: Buffer; cert: Buffer } {
  execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
}

async function listen(server: SmtpServer): Promise<number> {
  await server.listen(0, '127.0.0.1');
  return server.address()!.port;
}

function connectTo(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe.skipIf(!haveOpenssl)('ClientSession.startTls', () => {
  it('upgrades, re-EHLOs over TLS and delivers; the server sees a secure session', async () => {
    const kc = cert();
    let secure = false;
    let body = '';
    const server = createServer({
      tls: kc,
      hostname: 'mx.test',
      async onData(m, session) {
        secure = session.secure;
        body = new TextDecoder().decode(await m.bytes());
      },
    });
    const port = await listen(server);
    const sock = await connectTo(port);
    const c = attachClientSession(sock, { timers: realClock, clientName: 'client.test', startTls: clientStartTls({ ca: kc.cert, servername: 'localhost' }) });
    const ehlo = await c.greet();
    expect(ehlo.lines.some((l) => /^STARTTLS/i.test(l))).toBe(true);
    const again = await c.startTls();
    expect(again.code).toBe(250);
    expect(c.tlsActive).toBe(true);
    expect(c.has('STARTTLS')).toBe(false); // not offered again over TLS (RFC 3207 §4.2)
    const r = await c.send({ from: 'a@x.test', to: ['b@y.test'] }, 'Subject: t\r\n\r\nover tls\r\n');
    expect(r.reply.code).toBe(250);
    await c.quit();
    await server.close();
    expect(secure).toBe(true);
    expect(body).toMatch(/over tls\r\n$/);
  });

  it('a certificate that does not verify fails the upgrade with ERR_SMTP_TLS', async () => {
    const kc = cert();
    const server = createServer({ tls: kc, hostname: 'mx.test', onData: async () => undefined });
    const port = await listen(server);
    const sock = await connectTo(port);
    const c = attachClientSession(sock, { timers: realClock, startTls: clientStartTls({ servername: 'localhost' }) }); // no ca: self-signed is untrusted
    await c.greet();
    await expect(c.startTls()).rejects.toMatchObject({ code: 'ERR_SMTP_TLS' });
    sock.destroy();
    await server.close();
  });

  it.each([
    ['a whole injected reply', '250 injected\r\n', 'ERR_SMTP_BAD_REPLY'],
    ['a partial injected line', 'MAIL FROM:<evil', 'ERR_SMTP_TLS'],
  ])('cleartext behind the 220 (%s) is an injection: the session fails before any upgrade', async (_what, extra, code) => {
    const fake = net.createServer((s) => {
      s.write('220 fake ESMTP\r\n');
      s.on('data', (d) => {
        const line = d.toString();
        if (/^EHLO/i.test(line)) s.write('250-fake\r\n250 STARTTLS\r\n');
        else if (/^STARTTLS/i.test(line)) s.write('220 go ahead\r\n' + extra);
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as net.AddressInfo).port;
    const sock = await connectTo(port);
    let upgraded = false;
    const c = attachClientSession(sock, {
      timers: realClock,
      startTls: async (st) => {
        upgraded = true;
        return st;
      },
    });
    await c.greet();
    await expect(c.startTls()).rejects.toMatchObject({ code });
    expect(upgraded).toBe(false);
    sock.destroy();
    await new Promise((r) => fake.close(r));
  });

  it('a refused STARTTLS (454) leaves the session usable in cleartext; no offer gives ERR_SMTP_STATE', async () => {
    const fake = net.createServer((s) => {
      s.write('220 fake ESMTP\r\n');
      s.on('data', (d) => {
        const line = d.toString();
        if (/^EHLO/i.test(line)) s.write('250-fake\r\n250 STARTTLS\r\n');
        else if (/^STARTTLS/i.test(line)) s.write('454 4.7.0 TLS not available\r\n');
        else if (/^NOOP/i.test(line)) s.write('250 2.0.0 ok\r\n');
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    const port = (fake.address() as net.AddressInfo).port;
    const sock = await connectTo(port);
    const c = attachClientSession(sock, { timers: realClock, startTls: async (st) => st });
    await c.greet();
    await expect(c.startTls()).rejects.toMatchObject({ reply: { code: 454 } });
    expect((await c.noop()).code).toBe(250);
    sock.destroy();
    await new Promise((r) => fake.close(r));
    const plain = createServer({ hostname: 'mx.test', onData: async () => undefined });
    const p2 = await listen(plain);
    const s2 = await connectTo(p2);
    const c2 = attachClientSession(s2, { timers: realClock, startTls: async (st) => st });
    await c2.greet();
    await expect(c2.startTls()).rejects.toMatchObject({ code: 'ERR_SMTP_STATE' });
    s2.destroy();
    await plain.close();
  });
});
