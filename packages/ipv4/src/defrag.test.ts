import { runs } from './test-runs.js';
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, skbStats, type SkBuff } from '@netlayers/skbuff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpDefrag } from './defrag.js';
import { IpMib } from './snmp.js';
import { arbFragmentPlan, buildFragments } from './testing/index.js';
import { Ipv4Packet, Ipv4Repr } from './wire/ipv4.js';

const HDR = new Ipv4Repr({ src: 0xc6120001, dst: 0xc6120002, protocol: 17, payloadLen: 0, ident: 0x1234 });

function toSkb(bytes: Uint8Array): SkBuff {
  const skb = allocSkb(64 + bytes.length);
  skb.reserve(64);
  skb.putData(bytes);
  skb.resetNetworkHeader();
  return skb;
}

function datagramPayload(skb: SkBuff): Uint8Array {
  const ihl = (skb.buf[skb.data]! & 0x0f) * 4;
  const out = new Uint8Array(skb.len - ihl);
  skb.copyBits(ihl, out, out.length);
  return out;
}

describe('ipDefrag', () => {
  it('fragment → reassemble under random order, duplication, loss and overlap returns the original datagram or nothing', () => {
    const live0 = skbStats().live;
    fc.assert(
      fc.property(arbFragmentPlan(), (plan) => {
        const clock = new VirtualClock();
        const mib = new IpMib();
        const d = new IpDefrag(clock, mib);
        const results: SkBuff[] = [];
        for (const f of buildFragments(HDR, plan)) {
          const r = d.defrag(toSkb(f));
          if (r) results.push(r);
        }
        for (const r of results) {
          expect(datagramPayload(r)).toEqual(plan.payload);
          const p = Ipv4Packet.unchecked(r.buf.subarray(r.data, r.tail));
          expect(p.verifyChecksum()).toBe(true);
          expect(p.isFragment).toBe(false);
          expect(p.totalLen).toBe(20 + plan.payload.length);
          r.free();
        }
        // Duplicates arriving after completion may form the datagram again (IP does not dedupe).
        if (!plan.duplicated) expect(results.length).toBeLessThanOrEqual(1);
        if (!plan.lost && !plan.overlapped) expect(results.length).toBeGreaterThanOrEqual(1);
        if (plan.lost && !plan.overlapped) expect(results.length).toBe(0);
        // Everything still queued dies after 30 s.
        clock.advance(30_000);
        expect(d.queueCount).toBe(0);
        expect(d.mem).toBe(0);
      }),
      { numRuns: runs(400) },
    );
    expect(skbStats().live).toBe(live0);
  });

  it('a fragment flood stays under the memory high threshold; evictions count ReasmFails', () => {
    const live0 = skbStats().live;
    fc.assert(
      fc.property(fc.array(fc.record({ id: fc.integer({ min: 0, max: 200 }), off: fc.integer({ min: 0, max: 100 }), len: fc.integer({ min: 8, max: 1400 }) }), { minLength: 50, maxLength: 400 }), (flood) => {
        const clock = new VirtualClock();
        const mib = new IpMib();
        const high = 64 * 1024;
        const d = new IpDefrag(clock, mib, { highThresh: high, lowThresh: 48 * 1024, maxFragments: 16 });
        for (const f of flood) {
          const r = new Ipv4Repr({ ...HDR, ident: f.id, payloadLen: f.len & ~7, fragOffset: f.off * 8, moreFrags: true });
          const b = new Uint8Array(r.totalLen());
          r.emit(Ipv4Packet.unchecked(b));
          const out = d.defrag(toSkb(b));
          out?.free();
          expect(d.mem).toBeLessThanOrEqual(high);
        }
        expect(d.memPeak).toBeLessThanOrEqual(high);
        d.flush();
        expect(d.mem).toBe(0);
      }),
      { numRuns: runs(60) },
    );
    expect(skbStats().live).toBe(live0);
  });

  it('timeout: ReasmFails + ReasmTimeout, callback gets the first fragment', () => {
    const clock = new VirtualClock();
    const mib = new IpMib();
    let expired = 0;
    const d = new IpDefrag(clock, mib, {}, (first) => {
      expired++;
      expect(Ipv4Packet.unchecked(first.buf.subarray(first.data, first.tail)).fragOffset).toBe(0);
    });
    const plan = { payload: new Uint8Array(100), fragSize: 48, pieces: [{ offset: 0, length: 48, more: true }], lost: true, duplicated: false, overlapped: false };
    for (const f of buildFragments(HDR, plan)) expect(d.defrag(toSkb(f))).toBeNull();
    clock.advance(29_999);
    expect(d.queueCount).toBe(1);
    clock.advance(1);
    expect(d.queueCount).toBe(0);
    expect([mib.ReasmFails, mib.ReasmTimeout, expired]).toEqual([1, 1, 1]);
  });

  it('overlap drops the whole datagram (RFC 5722 / FragmentSmack), exact duplicates are ignored', () => {
    const clock = new VirtualClock();
    const mib = new IpMib();
    const d = new IpDefrag(clock, mib);
    const payload = new Uint8Array(64).map((_, i) => i);
    const mk = (pieces: Array<[number, number, boolean]>) => buildFragments(HDR, { payload, fragSize: 8, pieces: pieces.map(([offset, length, more]) => ({ offset, length, more })), lost: false, duplicated: false, overlapped: false });
    const [a, dup, ov, last] = mk([[0, 32, true], [0, 16, true], [24, 16, true], [32, 32, false]]);
    expect(d.defrag(toSkb(a!))).toBeNull();
    expect(d.defrag(toSkb(dup!))).toBeNull();
    expect(d.queueCount).toBe(1);
    expect(d.defrag(toSkb(ov!))).toBeNull();
    expect(d.queueCount).toBe(0);
    expect(mib.ReasmOverlaps).toBe(1);
    expect(d.defrag(toSkb(last!))).toBeNull(); // new queue: the datagram is gone
    d.flush();
  });
});
