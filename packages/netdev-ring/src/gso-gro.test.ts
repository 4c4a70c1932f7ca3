import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IpSummed, skbStats, type SkBuff } from '@netlayers/skbuff';
import { skbGsoSegment, TCP_FLAG } from './gso.js';
import { GroList } from './gro.js';
import { ETH_P, ethTypeTrans } from './ether.js';
import { DevicePair } from './device-pair.js';
import { NETIF_F } from './netdevice.js';
import { Softnet } from './napi.js';
import { skbChecksumHelp } from './csum-help.js';
import { buildTcpFrame, skbFromBytes, skbToBytes, tcpFrameChecksumsOk } from './testing/frames.js';
import { arbTcpSegmentStream } from './testing/arbitraries.js';

let live0 = 0;
beforeEach(() => {
  live0 = skbStats().live;
});
afterEach(() => {
  expect(skbStats().live).toBe(live0);
});

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

function payloadOf(frame: Uint8Array, l2 = 14): Uint8Array {
  const v = dv(frame);
  const tot = v.getUint16(l2 + 2);
  const ihl = ((frame[l2] as number) & 0xf) * 4;
  const thl = ((frame[l2 + ihl + 12] as number) >> 4) * 4;
  return frame.subarray(l2 + ihl + thl, l2 + tot);
}

describe('GSO (skbGsoSegment)', () => {
  it('property: segments carry the payload in order with fixed-up headers and valid checksums', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20000 }),
        fc.integer({ min: 100, max: 1460 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.constantFrom(0x10, 0x18, 0x19, 0x90, 0x98),
        fc.boolean(),
        fc.boolean(),
        (plen, askMss, seq, flags, hwCsum, withOpts) => {
          const mss = Math.min(askMss, 1500 - 20 - (withOpts ? 32 : 20));
          const payload = new Uint8Array(plen).map((_, i) => (i * 7) & 0xff);
          const options = withOpts ? new Uint8Array([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]) : undefined;
          const frame = buildTcpFrame({ payload, seq, flags, id: 0xfffe, ...(options ? { options } : {}) });
          const skb = skbFromBytes(frame);
          const segs = skbGsoSegment(skb, { hardHeaderLen: 14, mss: askMss, mtu: 1500, hwCsum })!;
          skb.free();
          expect(segs.length).toBe(Math.max(1, Math.ceil(plen / mss)));
          const joined = new Uint8Array(plen);
          let at = 0;
          segs.forEach((seg, i) => {
            if (hwCsum) {
              expect(seg.ipSummed).toBe(IpSummed.PARTIAL);
              expect(skbChecksumHelp(seg)).toBe(true);
            }
            const b = skbToBytes(seg);
            expect(tcpFrameChecksumsOk(b)).toBe(true);
            const v = dv(b);
            expect(v.getUint16(14 + 4)).toBe((0xfffe + i) & 0xffff);
            expect(v.getUint32(14 + 20 + 4)).toBe((seq + i * mss) >>> 0);
            const f = b[14 + 20 + 13] as number;
            const last = i === segs.length - 1;
            expect(f & (TCP_FLAG.FIN | TCP_FLAG.PSH)).toBe(last ? flags & (TCP_FLAG.FIN | TCP_FLAG.PSH) : 0);
            expect(f & TCP_FLAG.CWR).toBe(i === 0 ? flags & TCP_FLAG.CWR : 0);
            const p = payloadOf(b);
            expect(p.length).toBeLessThanOrEqual(mss);
            joined.set(p, at);
            at += p.length;
            seg.free();
          });
          expect(at).toBe(plen);
          expect(Buffer.from(joined).equals(Buffer.from(payload))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses non-TCP, fragments and truncated headers (null, not an exception)', () => {
    const udp = buildTcpFrame({ payload: new Uint8Array(10) });
    udp[14 + 9] = 17;
    const frag = buildTcpFrame({ payload: new Uint8Array(10) });
    frag[14 + 6] = 0x20; // MF
    for (const f of [udp, frag, new Uint8Array(30)]) {
      const skb = skbFromBytes(f);
      expect(skbGsoSegment(skb, { hardHeaderLen: 14, mtu: 1500, hwCsum: false })).toBeNull();
      skb.free();
    }
  });
});

describe('GRO (GroList)', () => {
  function classify(frame: Uint8Array): SkBuff {
    const skb = skbFromBytes(frame);
    ethTypeTrans(skb, { mac: new Uint8Array([2, 0, 0, 0, 0, 2]), isLoopback: false });
    return skb;
  }

  it('property: GRO restores the payload stream in order; every frame accounted for', () => {
    fc.assert(
      fc.property(arbTcpSegmentStream({ maxSegments: 30, maxPayload: 1460 }), (frames) => {
        const out: SkBuff[] = [];
        const gro = new GroList((s) => out.push(s));
        for (const f of frames) gro.receive(classify(f));
        gro.flush();
        // Reassemble what came out and compare with what went in.
        const sent = Buffer.concat(frames.map((f) => payloadOf(f)));
        const gotParts: Uint8Array[] = [];
        let segs = 0;
        for (const s of out) {
          const b = skbToBytes(s);
          const v = dv(b);
          expect(v.getUint16(2)).toBe(b.length); // IP total length fixed up
          gotParts.push(payloadOf(b, 0));
          segs += Math.max(1, s.gsoSegs);
          expect(s.len).toBeLessThanOrEqual(65535);
          s.free();
        }
        expect(Buffer.concat(gotParts).equals(sent)).toBe(true);
        expect(segs).toBe(frames.length);
        // Segments equal to the first size merge; merging happens at all when two full segments follow.
        const st = gro.stats();
        expect(st.received).toBe(frames.length);
        expect(st.delivered).toBe(out.length);
      }),
      { numRuns: 100 },
    );
  });

  it('merges in-order equal segments, not out-of-order, bad-checksum or flagged ones', () => {
    const pl = (n: number, seed: number) => new Uint8Array(n).fill(seed);
    const out: SkBuff[] = [];
    const gro = new GroList((s) => out.push(s));
    gro.receive(classify(buildTcpFrame({ seq: 0, payload: pl(100, 1) })));
    gro.receive(classify(buildTcpFrame({ seq: 100, payload: pl(100, 2) })));
    gro.receive(classify(buildTcpFrame({ seq: 200, payload: pl(100, 3) })));
    gro.receive(classify(buildTcpFrame({ seq: 400, payload: pl(100, 4) }))); // gap: flushes
    const bad = buildTcpFrame({ seq: 500, payload: pl(100, 5) });
    bad[60] = (bad[60] as number) ^ 1; // corrupt payload
    gro.receive(classify(bad));
    gro.receive(classify(buildTcpFrame({ seq: 600, payload: pl(100, 6), flags: TCP_FLAG.ACK | TCP_FLAG.SYN })));
    gro.flush();
    expect(out.map((s) => [s.len, s.gsoSegs])).toEqual([
      [340, 3],
      [140, 0],
      [140, 0],
      [140, 0],
    ]);
    expect(out[0]!.ipSummed).toBe(IpSummed.UNNECESSARY);
    expect(out[2]!.ipSummed).toBe(IpSummed.NONE); // bad checksum passed on unverified: TCP drops it
    for (const s of out) s.free();
  });

  it('a DevicePair with GRO on the receiver delivers merged packets; without, one per frame', () => {
    for (const gro of [true, false]) {
      const softnet = new Softnet();
      const pair = DevicePair.create({
        softnet,
        b: { mac: new Uint8Array([2, 0, 0, 0, 0, 2]), features: NETIF_F.SG | NETIF_F.RXCSUM | (gro ? NETIF_F.GRO : 0) },
      });
      const lens: number[] = [];
      pair.b.addPacketHandler(ETH_P.IP, (skb) => {
        lens.push(skb.len);
        skb.free();
      });
      const kept: SkBuff[] = [];
      for (let i = 0; i < 10; i++) {
        const skb = skbFromBytes(buildTcpFrame({ seq: i * 1000, payload: new Uint8Array(1000) }));
        kept.push(skb.clone()); // like TCP's retransmit queue: what crosses the pair is shared
        pair.a.queueXmit(skb);
      }
      softnet.runUntilIdle();
      expect(lens).toEqual(gro ? [10 * 1000 + 40] : new Array(10).fill(1040));
      for (const k of kept) {
        expect(tcpFrameChecksumsOk(skbToBytes(k))).toBe(true);
        k.free();
      }
      pair.destroy();
    }
  });
});

describe('GRO ordering', () => {
  it('never reorders and never writes into shared data: clones merge, the sender copy stays intact', () => {
    const out: number[] = [];
    const gro = new GroList((s) => {
      out.push(s.dataView().getUint32(24)); // TCP seq (data at the IP header)
      s.free();
    });
    const mk = (seq: number) => {
      const skb = skbFromBytes(buildTcpFrame({ seq, payload: new Uint8Array(100) }));
      ethTypeTrans(skb, { mac: new Uint8Array([2, 0, 0, 0, 0, 2]), isLoopback: false });
      return skb;
    };
    const udp = mk(0);
    udp.buf[udp.data + 9] = 17; // not TCP: passes through, flushing held packets first
    const first = mk(100);
    const keepFirst = first.clone(); // the sender's retransmission copy of the head segment
    const keepBytes = skbToBytes(keepFirst);
    gro.receive(first);
    gro.receive(mk(200));
    gro.receive(udp);
    const dup = mk(300);
    const keep = dup.clone();
    gro.receive(dup);
    gro.receive(mk(400));
    gro.flush();
    keep.free();
    expect(out).toEqual([100, 0, 300]); // [100+200 merged], udp, [300+400 merged]
    expect(skbToBytes(keepFirst)).toEqual(keepBytes); // totLen/checksum rewrites went to a private copy
    keepFirst.free();
  });
});

describe('GSO size limits', () => {
  it('never emits segments above the MTU, even when gsoSize asks for more', () => {
    const skb = skbFromBytes(buildTcpFrame({ payload: new Uint8Array(5000), options: new Uint8Array(12) }));
    const segs = skbGsoSegment(skb, { hardHeaderLen: 14, mss: 9000, mtu: 1500, hwCsum: false })!;
    skb.free();
    expect(segs.map((s) => s.len - 14)).toEqual([1500, 1500, 1500, 52 + 5000 - 3 * 1448]);
    for (const s of segs) s.free();
  });
});
