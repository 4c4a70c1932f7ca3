import { runs } from './test-runs.js';
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, skbStats, type SkBuff } from '@netlayers/skbuff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HEADER } from './device.js';
import { IpDefrag } from './defrag.js';
import { ipFragment } from './fragment.js';
import { ipRouteOutput, type DstEntry } from './route.js';
import { IpMib } from './snmp.js';
import { Stack } from './stack.js';
import { ipv4 } from './wire/addr.js';
import { Ipv4Packet, Ipv4Repr } from './wire/ipv4.js';

describe('ipFragment → ipDefrag (our fragmenter, our reassembler)', () => {
  it('random payload and MTU, fragments reordered/duplicated/lost: the original datagram or nothing; memory bounded; no leaks', () => {
    const live0 = skbStats().live;
    const clock = new VirtualClock();
    const stack = new Stack({ clock });
    stack.addInterface({ dev: { name: 'n0', mtu: 1500, macAddr: new Uint8Array(6), linkType: 'raw', xmit: (s) => (s.free(), true) }, addr: ipv4('198.18.0.1'), prefixLen: 24 });
    const dst = ipRouteOutput(stack, ipv4('198.18.0.2')) as DstEntry;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 6000 }),
        fc.integer({ min: 68, max: 1500 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        fc.nat(3),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        fc.constantFrom(0, 0, 1000, 65536),
        (payload, mtu, order, dups, lose, ident, copyBelow) => {
          stack.fragCopyBelow = copyBelow;
          const mib = new IpMib();
          const high = 256 * 1024;
          const defrag = new IpDefrag(clock, mib, { highThresh: high, lowThresh: 192 * 1024 });
          const r = new Ipv4Repr({ src: ipv4('198.18.0.1'), dst: ipv4('198.18.0.2'), protocol: 17, payloadLen: payload.length, ident });
          const skb = allocSkb(MAX_HEADER + r.totalLen());
          skb.reserve(MAX_HEADER);
          const o = skb.putOff(r.totalLen());
          r.emit(Ipv4Packet.unchecked(skb.buf.subarray(o, o + 20)));
          skb.buf.set(payload, o + 20);
          skb.resetNetworkHeader();
          const frags: SkBuff[] = [];
          const st = ipFragment(stack, skb, dst, (f) => (frags.push(f), 'OK'), mtu);
          expect(st).toBe('OK');
          for (const f of frags) expect(f.len).toBeLessThanOrEqual(mtu);
          // Arrival schedule: a permutation, some duplicates (clones), maybe one loss.
          const arrivals: SkBuff[] = [];
          const pool = frags.slice();
          let lost = false;
          if (lose && pool.length > 1) {
            pool.splice(order[0]! % pool.length, 1)[0]!.free();
            lost = true;
          }
          for (let i = 0; i < dups; i++) pool.push(pool[order[i % order.length]! % pool.length]!.clone());
          while (pool.length) arrivals.push(pool.splice(order[arrivals.length % order.length]! % pool.length, 1)[0]!);
          const out: SkBuff[] = [];
          for (const a of arrivals) {
            const w = defrag.defrag(a);
            if (w) out.push(w);
            expect(defrag.mem).toBeLessThanOrEqual(high);
          }
          if (!lost && frags.length > 0) expect(out.length).toBeGreaterThanOrEqual(1);
          if (lost) expect(out.length).toBe(0);
          for (const w of out) {
            const got = new Uint8Array(w.len - 20);
            w.copyBits(20, got, got.length);
            expect(got).toEqual(payload);
            w.free();
          }
          clock.advance(30_000);
          expect(defrag.queueCount).toBe(0);
        },
      ),
      { numRuns: runs(300) },
    );
    stack.close();
    expect(skbStats().live).toBe(live0);
  });
});
