// Before-queue proxying on our stack with zero-copy forwarding: the inbound
// skbs' slices go to the next hop as they arrive (sendSkbs), no payload octet
// copied; a sender over the size limit mid-stream gets 552 and the next hop
// keeps nothing; a loop is 554 5.4.6; every pool returns to zero.
import { skbStats } from '@netlayers/skbuff';
import { describe, expect, it } from 'vitest';
import { makeMessage, sha256 } from './helpers.js';
import { copiedNow, startHarness } from './netlayers-harness.js';

const SIZE = 1_000_000;

async function* chunks(b: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += 65536) yield b.subarray(i, i + 65536);
}

describe('relay on our stack, accept=proxy, forward=zerocopy', () => {
  for (const link of [{ link: 'loopback' as const }, { link: 'pair' as const, mtu: 1500, gso: true, gro: true }]) {
    it(`${link.link}: streams the body as skbs, 0 payload octets copied, bodies intact`, async () => {
      const live0 = skbStats().live;
      const h = await startHarness(link, { accept: 'proxy', forward: 'zerocopy' });
      const bodies = Array.from({ length: 5 }, (_, i) => makeMessage(SIZE, 700 + i));
      const c0 = copiedNow();
      expect(await h.send(bodies)).toEqual(bodies.map(() => 250)); // the next hop's replies
      expect(h.received.sort()).toEqual(bodies.map((b) => sha256(b)).sort()); // delivered before the 250
      const st = h.relay.stats();
      expect(st.queued).toBe(0);
      expect(copiedNow() - c0 - h.endpointBytes() - st.socketBytesCopied - st.headerBytesCopied).toBe(0);
      await h.close();
      expect(skbStats().live).toBe(live0);
    });
  }

  it('a sender over maxSize mid-stream gets 552, the next hop keeps nothing, no skb leaks', async () => {
    const live0 = skbStats().live;
    const h = await startHarness({ link: 'pair', mtu: 1500 }, { accept: 'proxy', forward: 'zerocopy', maxSize: 300_000 });
    const big = makeMessage(SIZE, 800);
    const ok = makeMessage(100_000, 801);
    expect(await h.send([() => chunks(big), ok])).toEqual([552, 250]);
    expect(h.received).toEqual([sha256(ok)]);
    await h.close();
    expect(skbStats().live).toBe(live0);
  });

  it('a mail loop is 554 5.4.6 and nothing reaches the next hop', async () => {
    const live0 = skbStats().live;
    const h = await startHarness({ link: 'loopback' }, { accept: 'proxy', forward: 'zerocopy' });
    const looped = new TextEncoder().encode('Received: from a by b; Mon, 1 Jan 2026 00:00:00 +0000\r\n'.repeat(51) + 'Subject: loop\r\n\r\nbody\r\n');
    expect(await h.send([looped])).toEqual([554]);
    expect(h.received).toEqual([]);
    await h.close();
    expect(skbStats().live).toBe(live0);
  });
});
