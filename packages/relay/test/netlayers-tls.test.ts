// STARTTLS on the netlayers transport: the relay runs on our stack and speaks
// TLS in and out with Node's tls over a node:net-compatible stream of the same
// TcpSock. Secured hops carry decrypted copies (their bodies are copied, and
// the meter shows it); with a key configured, cleartext sessions stay zero-copy.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skbStats } from '@netlayers/skbuff';
import { afterAll, describe, expect, it } from 'vitest';
import { makeMessage, sha256 } from './helpers.js';
import { copiedNow, startHarness } from './netlayers-harness.js';

const haveOpenssl = existsSync('/usr/bin/openssl');
if (process.env.CI === 'true' && !haveOpenssl) throw new Error('openssl required under CI=true');
const dir = mkdtempSync(join(tmpdir(), 'nl-relay-ntls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cert(name: string): { key: Buffer; cert: Buffer } {
  execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '1', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) };
}

const SIZE = 200_000;

describe.skipIf(!haveOpenssl)('relay on our stack with STARTTLS', () => {
  for (const forward of ['copy', 'zerocopy'] as const) {
    it(`forward=${forward}: sender → STARTTLS → relay → STARTTLS (require) → sink, bodies intact`, async () => {
      const live0 = skbStats().live;
      const h = await startHarness({ link: 'pair' }, { forward, tls: cert('relay.test'), outboundTls: 'require' }, { sinkTls: cert('sink.test'), senderTls: true });
      const bodies = Array.from({ length: 3 }, (_, i) => makeMessage(SIZE, 300 + i));
      const c0 = copiedNow();
      expect(await h.send(bodies)).toEqual([250, 250, 250]);
      let idle = false;
      void h.relay.idle().then(() => (idle = true));
      await h.tb.runUntil(() => idle && h.received.length === bodies.length, { timeoutMs: 120_000 });
      expect(h.received.sort()).toEqual(bodies.map((b) => sha256(b)).sort());
      expect(h.receivedSecure).toEqual([true, true, true]); // the relay's outbound hop was TLS
      for (const r of h.receivedHeaders) expect(r).toMatch(/with ESMTPS/); // and its inbound hop
      console.log(`STARTTLS both hops, forward=${forward}: ${copiedNow() - c0} octets copied for ${3 * SIZE} relayed (TLS hops are copied)`);
      await h.close();
      expect(skbStats().live).toBe(live0);
    });
  }

  it('a key configured, cleartext sessions stay zero-copy', async () => {
    const h = await startHarness({ link: 'pair' }, { forward: 'zerocopy', tls: cert('relay.test'), outboundTls: 'opportunistic' });
    const bodies = Array.from({ length: 3 }, (_, i) => makeMessage(SIZE, 400 + i));
    const c0 = copiedNow();
    expect(await h.send(bodies)).toEqual([250, 250, 250]);
    let idle = false;
    void h.relay.idle().then(() => (idle = true));
    await h.tb.runUntil(() => idle && h.received.length === bodies.length, { timeoutMs: 120_000 });
    expect(h.receivedSecure).toEqual([false, false, false]); // the sink offers no STARTTLS
    const st = h.relay.stats();
    expect(copiedNow() - c0 - h.endpointBytes() - st.socketBytesCopied - st.headerBytesCopied).toBe(0);
    await h.close();
  });
});
