// STARTTLS to the next hop (RFC 3207): `opportunistic` (the default) upgrades
// when the next hop offers it and stays in cleartext when it does not;
// `require` defers mail to a next hop without STARTTLS (nothing delivered in
// cleartext) and delivers over TLS to one that offers it; `off` never upgrades.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, sendMail, type SmtpServer } from '@netlayers/smtp-protocol';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { HOST, waitFor } from './helpers.js';

const haveOpenssl = existsSync('/usr/bin/openssl');
if (process.env.CI === 'true' && !haveOpenssl) throw new Error('openssl required under CI=true');
const dir = mkdtempSync(join(tmpdir(), 'nl-relay-otls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let relay: Relay | undefined;
let hop: SmtpServer | undefined;
afterEach(async () => {
  await relay?.close();
  await hop?.close();
  relay = undefined;
  hop = undefined;
});

/** A next hop (our server) that records whether each message came over TLS. */
async function nextHop(withTls: boolean): Promise<{ port: number; got: boolean[] }> {
  const got: boolean[] = [];
  let tls: { key: Buffer; cert: Buffer } | undefined;
  if (withTls) {
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    tls = { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  }
  hop = createServer({
    hostname: 'hop.test',
    ...(tls !== undefined ? { tls } : {}),
    async onData(m, session) {
      await m.bytes();
      got.push(session.secure);
    },
  });
  await hop.listen(0, HOST);
  return { port: hop.address()!.port, got };
}

async function send(port: number): Promise<void> {
  const r = await sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body: 'Subject: tls\r\n\r\nbody\r\n' });
  expect(r.code).toBe(250);
}

describe.skipIf(!haveOpenssl)('outbound STARTTLS', () => {
  it('opportunistic (default): over TLS when offered', async () => {
    const h = await nextHop(true);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${h.port}`, accept: 'memory', logger: false });
    await send((await relay.listen()).port);
    await relay.idle();
    expect(h.got).toEqual([true]);
  });

  it('opportunistic: cleartext when not offered', async () => {
    const h = await nextHop(false);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${h.port}`, accept: 'memory', logger: false });
    await send((await relay.listen()).port);
    await relay.idle();
    expect(h.got).toEqual([false]);
  });

  it('off: cleartext even when offered', async () => {
    const h = await nextHop(true);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${h.port}`, accept: 'memory', logger: false, outboundTls: 'off' });
    await send((await relay.listen()).port);
    await relay.idle();
    expect(h.got).toEqual([false]);
  });

  it('require: deferred (never cleartext) without STARTTLS, delivered over TLS with it', async () => {
    const plain = await nextHop(false);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${plain.port}`, accept: 'memory', logger: false, outboundTls: 'require', minBackoffMs: 60_000 });
    await send((await relay.listen()).port);
    await waitFor(() => relay!.stats().deferred >= 1, 10_000, 'a deferral');
    expect(plain.got).toEqual([]);
    expect(relay.stats()).toMatchObject({ delivered: 0, queued: 1 });
    await relay.close();
    await hop!.close();
    const secure = await nextHop(true);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${secure.port}`, accept: 'memory', logger: false, outboundTls: 'require' });
    await send((await relay.listen()).port);
    await relay.idle();
    expect(secure.got).toEqual([true]);
  });
});
