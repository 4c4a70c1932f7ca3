// The relay on our own stack: copy and zero-copy forwarding over every
// testbed link. Zero-copy must move 0 payload octets through skbuff's copy
// meter (only the relay's Received: headers and the SMTP commands/replies are
// copied, and those are counted apart), deliver every body SHA-256-equal, and
// leave every pool at zero live buffers.
import { skbStats } from '@netlayers/skbuff';
import { describe, expect, it } from 'vitest';
import { makeMessage, sha256 } from './helpers.js';
import { copiedNow, startHarness } from './netlayers-harness.js';
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

/**
 * Links where the stack below the relay still copies or stalls (not the relay),
 * measured 2026-12-02 with NETLAYERS_RELAY_ALL=1: software GSO below 64K MTU
 * (~14% of the payload at 1500 and ~3% at 9000 still copied by expandHead; the
 * stall these links had was the SMTP client waiting for a 'drain' that had
 * already fired, fixed in smtp-protocol's duplex adapter). Every MTU-65535 combination and GRO at 1500 and 9000 are zero-copy
 * (GRO at 9000 since held skbs release their headers and paged slices borrow
 * their linear bytes, 2026-12-02). Named in the relay
 * README; run them with NETLAYERS_RELAY_ALL=1.
 */
function belowRelayKnown(tb: TestbedOptions): string | undefined {
  if (tb.link !== 'pair') return undefined;
  const mtu = tb.mtu ?? 1500;
  if (mtu >= 65535) return undefined;
  if (tb.gso !== false) return 'software GSO below 64K MTU: ~14% (1500) / ~3% (9000) of the payload still copied (expandHead)';
  return undefined;
}
const runAll = process.env.NETLAYERS_RELAY_ALL === '1';

const COUNT = Number(process.env.NETLAYERS_RELAY_MSGS ?? 20);
const SIZE = 1_000_000;

describe.each(['copy', 'zerocopy'] as const)('relay on our stack, forward=%s', (forward) => {
  const all = forward === 'copy' ? links.filter((c) => c.name === 'loopback2' || c.name.startsWith('pair mtu=1500')) : links;
  const cases = all.filter((c) => runAll || belowRelayKnown(c.tb) === undefined);
  // the known-not-yet-zero-copy links still relay every body intact (they hung until the
  // client's drain wait was fixed): measured and reported, the copy bound not asserted
  const known = all.filter((c) => !runAll && belowRelayKnown(c.tb) !== undefined).map((c) => ({ ...c, name: `${c.name} [${belowRelayKnown(c.tb)!}]` }));
  it.each(known)('$name: every body arrives intact (copies reported)', async ({ tb }) => {
    const live0 = skbStats().live;
    const h = await startHarness(tb, { forward });
    const bodies = Array.from({ length: 5 }, (_, i) => makeMessage(SIZE, 2000 + i));
    const c0 = copiedNow();
    expect(await h.send(bodies)).toEqual(bodies.map(() => 250));
    let idle = false;
    void h.relay.idle().then(() => (idle = true));
    await h.tb.runUntil(() => idle && h.received.length === bodies.length, { timeoutMs: 600_000 });
    expect(h.received.sort()).toEqual(bodies.map((b) => sha256(b)).sort());
    const st = h.relay.stats();
    console.log(`${tb.link} mtu=${tb.mtu} gso=${tb.gso} gro=${tb.gro} ${forward}: payload copied by the relay ${copiedNow() - c0 - h.endpointBytes() - st.socketBytesCopied - st.headerBytesCopied} of ${5 * SIZE}`);
    await h.close();
    expect(skbStats().live).toBe(live0);
  });
  it.each(cases)('$name: every body arrives intact; payload copies measured', async ({ tb }) => {
    const live0 = skbStats().live;
    const h = await startHarness(tb, { forward });
    const bodies = Array.from({ length: COUNT }, (_, i) => makeMessage(SIZE, 1000 + i));
    const k0 = skbStats().copies;
    const c0 = copiedNow();
    const codes = await h.send(bodies);
    expect(codes).toEqual(bodies.map(() => 250));
    let idle = false;
    void h.relay.idle().then(() => (idle = true));
    await h.tb.runUntil(() => idle && h.received.length === bodies.length, { timeoutMs: 600_000 });
    const copied = copiedNow() - c0;
    const k1 = skbStats().copies;
    const kinds = Object.fromEntries(Object.entries(k1).map(([k, v]) => [k, v - (k0 as unknown as Record<string, number>)[k]!]).filter(([, v]) => v !== 0));
    const st = h.relay.stats();
    expect(h.received.sort()).toEqual(bodies.map((b) => sha256(b)).sort());
    expect(st.delivered).toBe(COUNT);
    const payloadCopiedByRelay = copied - h.endpointBytes() - st.socketBytesCopied - st.headerBytesCopied;
    if (forward === 'zerocopy') {
      expect(st.socketBytesCopied).toBeLessThan(COUNT * 1000); // commands and replies only
      // GRO builds a fresh head per merged super-packet and copies its headers (≤ 160 octets
      // per 64 KiB merged, on both hops' receive paths): header copies, not payload
      const groHeaders = tb.link === 'pair' && tb.gro !== false ? 160 * Math.ceil((2 * COUNT * SIZE) / 65536) : 0;
      expect(payloadCopiedByRelay, `payload octets copied by the relay (headers ${st.headerBytesCopied}, commands/replies ${st.socketBytesCopied}, endpoints ${h.endpointBytes()}, by kind ${JSON.stringify(kinds)})`).toBeLessThanOrEqual(groHeaders);
      expect(payloadCopiedByRelay).toBeGreaterThanOrEqual(0); // the meter accounts for every endpoint copy
    } else {
      expect(st.socketBytesCopied).toBeGreaterThan(2 * COUNT * SIZE); // in and out
    }
    await h.close();
    expect(skbStats().live).toBe(live0);
  });
});
