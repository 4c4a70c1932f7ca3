// The relay on our own stack: copy and zero-copy forwarding over every
// testbed link. Zero-copy must move 0 payload octets through skbuff's copy
// meter (only the relay's Received: headers and the SMTP commands/replies are
// copied, and those are counted apart), deliver every body SHA-256-equal, and
// leave every pool at zero live buffers.
import { skbStats } from '@netlayers/skbuff';
import { describe, expect, it } from 'vitest';
import { makeMessage, sha256 } from './helpers.js';
import { copiedNow, headersCopiedNow, startHarness } from './netlayers-harness.js';
import type { TestbedOptions } from '@netlayers/tcp/testing';

interface Case {
  name: string;
  tb: TestbedOptions;
}

const links: Case[] = [
  { name: 'loopback', tb: { link: 'loopback' } },
  { name: 'loopback2', tb: { link: 'loopback2' } },
];
for (const mtu of [1500, 9000, 65535]) {
  for (const gso of [true, false]) {
    for (const gro of [true, false]) {
      for (const checksumOffload of [true, false]) {
        links.push({ name: `pair mtu=${mtu} gso=${gso} gro=${gro} csum=${checksumOffload ? 'offload' : 'software'}`, tb: { link: 'pair', mtu, gso, gro, checksumOffload } });
      }
    }
  }
}

const COUNT = Number(process.env.NETLAYERS_RELAY_MSGS ?? 20);
const SIZE = 1_000_000;

describe.each(['copy', 'zerocopy'] as const)('relay on our stack, forward=%s', (forward) => {
  const all = forward === 'copy' ? links.filter((c) => c.name === 'loopback2' || c.name.startsWith('pair mtu=1500')) : links;
  // plain it() per case: it.each's $name interpolation truncates long names, which made them ambiguous
  for (const { name, tb } of all) it(`${name}: every body arrives intact; payload copies measured`, async () => {
    const live0 = skbStats().live;
    const h = await startHarness(tb, { forward });
    const bodies = Array.from({ length: COUNT }, (_, i) => makeMessage(SIZE, 1000 + i));
    const k0 = skbStats().copies;
    const c0 = copiedNow();
    const hdr0 = headersCopiedNow();
    const codes = await h.send(bodies);
    expect(codes).toEqual(bodies.map(() => 250));
    let idle = false;
    void h.relay.idle().then(() => (idle = true));
    await h.tb.runUntil(() => idle && h.received.length === bodies.length, { timeoutMs: 600_000 });
    const copied = copiedNow() - c0;
    const protoHeaders = headersCopiedNow() - hdr0;
    const k1 = skbStats().copies;
    const kinds = Object.fromEntries(Object.entries(k1).map(([k, v]) => [k, v - (k0 as unknown as Record<string, number>)[k]!]).filter(([, v]) => v !== 0));
    const st = h.relay.stats();
    expect(h.received.sort()).toEqual(bodies.map((b) => sha256(b)).sort());
    expect(st.delivered).toBe(COUNT);
    const payloadCopiedByRelay = copied - h.endpointBytes() - st.socketBytesCopied - st.headerBytesCopied;
    if (forward === 'zerocopy') {
      expect(st.socketBytesCopied).toBeLessThan(COUNT * 1000); // commands and replies only
      // software GSO and GRO copy protocol headers into fresh heads (skb_segment, napi_gro):
      // metered apart (copies.headers), reported here, never payload
      console.log(`${name}: protocol headers copied by GSO/GRO ${protoHeaders} octets for ${COUNT * SIZE} relayed`);
      expect(payloadCopiedByRelay, `payload octets copied by the relay (Received: headers ${st.headerBytesCopied}, commands/replies ${st.socketBytesCopied}, endpoints ${h.endpointBytes()}, protocol headers ${protoHeaders}, by kind ${JSON.stringify(kinds)})`).toBe(0);
      expect(payloadCopiedByRelay).toBeGreaterThanOrEqual(0); // the meter accounts for every endpoint copy
    } else {
      expect(st.socketBytesCopied).toBeGreaterThan(2 * COUNT * SIZE); // in and out
    }
    await h.close();
    expect(skbStats().live).toBe(live0);
  });
});
