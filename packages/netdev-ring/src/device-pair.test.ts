import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '@netlayers/clock';
import { IpSummed, skbStats, type SkBuff } from '@netlayers/skbuff';
import { DevicePair } from './device-pair.js';
import { ETH_P } from './ether.js';
import { LoopbackDevice } from './loopback.js';
import { NetXmit } from './netdevice.js';
import { Softnet } from './napi.js';
import { arbImpairmentProfile } from './testing/arbitraries.js';
import { buildTcpFrame, skbFromBytes, skbToBytes, tcpFrameChecksumsOk } from './testing/frames.js';
import { isNetdevError } from './errors.js';

let live0 = 0;
beforeEach(() => {
  live0 = skbStats().live;
});
afterEach(() => {
  expect(skbStats().live).toBe(live0);
});

function seqFrame(i: number, len = 100, dst = [2, 0, 0, 0, 0, 2]): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f[12] = 0x08;
  new DataView(f.buffer).setUint32(20, i);
  return f;
}
const seqOf = (skb: SkBuff) => skb.dataView().getUint32(6);

describe('LoopbackDevice', () => {
  it('delivers what it sends on the next softirq, marked CHECKSUM_UNNECESSARY, counting tx and rx', () => {
    const lo = new LoopbackDevice();
    lo.open();
    expect(lo.mtu).toBe(65536);
    const got: { len: number; summed: number; proto: number }[] = [];
    lo.addPacketHandler(ETH_P.IP, (skb) => {
      got.push({ len: skb.len, summed: skb.ipSummed, proto: skb.protocol });
      skb.free();
    });
    const skb = skbFromBytes(new Uint8Array(60000).fill(0x45, 0, 1), { headroom: 16 });
    skb.ipSummed = IpSummed.PARTIAL;
    let destructed = 0;
    skb.destructor = () => destructed++;
    lo.hardHeader(skb, ETH_P.IP);
    expect(lo.queueXmit(skb)).toBe(NetXmit.SUCCESS);
    expect(destructed).toBe(1); // orphaned on transmit
    expect(got).toHaveLength(0); // not re-entrant
    lo.softnet.runUntilIdle();
    expect(got).toEqual([{ len: 60000, summed: IpSummed.UNNECESSARY, proto: ETH_P.IP }]);
    expect(lo.stats).toMatchObject({ txPackets: 1, rxPackets: 1, txBytes: 60014, rxBytes: 60014 });
  });

  it('drops at the backlog limit, counted', () => {
    const softnet = new Softnet({ maxBacklog: 10 });
    const lo = new LoopbackDevice({ softnet });
    lo.open();
    lo.addPacketHandler(ETH_P.IP, (skb) => skb.free());
    for (let i = 0; i < 15; i++) {
      const skb = skbFromBytes(new Uint8Array(40), { headroom: 16 });
      lo.hardHeader(skb, ETH_P.IP);
      lo.queueXmit(skb);
    }
    softnet.runUntilIdle();
    expect(lo.stats.rxPackets).toBe(10);
    expect(lo.dropReasons.BACKLOG_FULL).toBe(5);
  });
});

describe('DevicePair', () => {
  it('carries frames in order, zero-copy, both directions, with NAPI on each end', () => {
    const softnet = new Softnet();
    const pair = DevicePair.create({ softnet, b: { mac: new Uint8Array([2, 0, 0, 0, 0, 2]) } });
    const atB: number[] = [];
    const atA: number[] = [];
    pair.b.addPacketHandler(ETH_P.IP, (skb) => {
      atB.push(seqOf(skb));
      skb.free();
    });
    pair.a.addPacketHandler(ETH_P.IP, (skb) => {
      atA.push(seqOf(skb));
      skb.free();
    });
    const sent = skbFromBytes(seqFrame(0));
    let received: SkBuff | null = null;
    const off = pair.b.addTap((skb, dir) => {
      if (dir === 'rx') received = skb;
    });
    pair.a.queueXmit(sent);
    softnet.runUntilIdle();
    expect(received).toBe(sent); // the same skb object crossed
    off();
    for (let i = 1; i < 100; i++) pair.a.queueXmit(skbFromBytes(seqFrame(i)));
    for (let i = 0; i < 50; i++) pair.b.queueXmit(skbFromBytes(seqFrame(i, 100, [...pair.a.mac])));
    softnet.runUntilIdle();
    expect(atB).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(atA).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(pair.a.stats).toMatchObject({ txPackets: 100, rxPackets: 50 });
    expect(pair.b.stats).toMatchObject({ txPackets: 50, rxPackets: 100 });
    pair.destroy();
  });

  it('drops at a full RX ring when nobody polls (ring overflow is counted, not thrown)', () => {
    const pair = DevicePair.create({ b: { rxRingSize: 16 } });
    pair.b.addPacketHandler(ETH_P.IP, (skb) => skb.free());
    for (let i = 0; i < 40; i++) expect(pair.a.queueXmit(skbFromBytes(seqFrame(i)))).toBe(NetXmit.SUCCESS);
    expect(pair.b.stats).toMatchObject({ rxDropped: 24, rxFifoErrors: 24 });
    pair.b.softnet.runUntilIdle();
    expect(pair.b.stats.rxPackets).toBe(16);
    pair.destroy();
  });

  it('drops frames to a peer that is down, and frames larger than the peer MTU', () => {
    const pair = DevicePair.create({ b: { mtu: 1000 } });
    pair.b.addPacketHandler(ETH_P.IP, (skb) => skb.free());
    pair.a.queueXmit(skbFromBytes(seqFrame(0, 1200)));
    pair.b.softnet.runUntilIdle();
    expect(pair.b.dropReasons.PKT_TOO_BIG).toBe(1);
    pair.b.stop();
    pair.a.queueXmit(skbFromBytes(seqFrame(1)));
    expect(pair.a.dropReasons.PEER_DOWN).toBe(1);
    pair.destroy();
  });

  it('applies delay on the injected clock and frees in-flight frames on destroy', () => {
    const clock = new VirtualClock();
    const softnet = new Softnet({ clock });
    const pair = DevicePair.create({ clock, softnet, impairment: { delayMs: 10 } });
    const times: number[] = [];
    pair.b.addPacketHandler(ETH_P.IP, (skb) => {
      times.push(clock.now());
      skb.free();
    });
    for (let i = 0; i < 5; i++) pair.a.queueXmit(skbFromBytes(seqFrame(i)));
    softnet.runUntilIdle();
    expect(times).toEqual([]);
    clock.advance(10);
    softnet.runUntilIdle();
    expect(times).toEqual([10, 10, 10, 10, 10]);
    for (let i = 0; i < 5; i++) pair.a.queueXmit(skbFromBytes(seqFrame(i)));
    expect(pair.inFlight).toBe(5);
    pair.destroy(); // must free the 5 in flight (afterEach checks)
    expect(pair.inFlight).toBe(0);
  });

  it('rejects delay impairments without a clock with a typed error', () => {
    let err: unknown;
    try {
      DevicePair.create({ impairment: { delayMs: 5 } });
    } catch (e) {
      err = e;
    }
    expect(isNetdevError(err) && err.code).toBe('ERR_BAD_ARGUMENT');
  });

  it('corruption is detectable: corrupted copies arrive CHECKSUM_NONE with bad checksums, others intact', () => {
    const softnet = new Softnet();
    const pair = DevicePair.create({ softnet, impairAtoB: { seed: 3, corrupt: 0.5 }, b: { rxRingSize: 1024 } });
    const N = 400;
    let bad = 0;
    let good = 0;
    let macHit = 0;
    pair.b.addPacketHandler(ETH_P.IP, (skb) => {
      // Read the whole frame from the MAC header (the skb may be a clone: no push).
      const bytes = skb.buf.slice(skb.macHeader, skb.tail);
      if (tcpFrameChecksumsOk(bytes)) {
        good++;
        const macs = [...pair.b.mac, ...pair.a.mac];
        if (bytes.subarray(0, 12).some((b, i) => b !== macs[i])) macHit++;
      } else {
        expect(skb.ipSummed).toBe(IpSummed.NONE);
        bad++;
      }
      skb.free();
    });
    const payload = new Uint8Array(200).fill(7);
    const originals: SkBuff[] = [];
    for (let i = 0; i < N; i++) {
      const skb = skbFromBytes(buildTcpFrame({ payload, seq: i * 200, dst: pair.b.mac, src: pair.a.mac }));
      originals.push(skb.clone()); // the sender keeps a clone (like TCP's retransmit queue)
      pair.a.queueXmit(skb);
    }
    softnet.runUntilIdle();
    const corrupted = pair.linkStats().aToB.corrupted;
    const nohandler = pair.b.stats.rxNohandler; // the flipped bit hit the ethertype
    expect(bad + good + nohandler).toBe(N);
    // Every flipped bit is accounted for: in the MAC addresses (harmless), the ethertype
    // (no handler), or the IP/TCP bytes — always caught by the IP or TCP checksum.
    expect(bad + macHit + nohandler).toBe(corrupted);
    expect(bad).toBeGreaterThan(corrupted * 0.8);
    expect(corrupted).toBeGreaterThan(N * 0.4);
    // The sender's clones never see the flipped bits.
    for (const o of originals) {
      expect(tcpFrameChecksumsOk(skbToBytes(o))).toBe(true);
      o.free();
    }
    pair.destroy();
  });

  it('paced link: TX ring fills, queue stops, qdisc fills, sender sees CN/DROP, then wakes (backpressure)', () => {
    const clock = new VirtualClock();
    const softnet = new Softnet({ clock });
    // 1 Mbit/s, 1000-byte frames → 8 ms each.
    const pair = DevicePair.create({ clock, softnet, rateBps: 1e6, txRingSize: 8, a: { txQueueLen: 16 } });
    let delivered = 0;
    pair.b.addPacketHandler(ETH_P.IP, (skb) => {
      delivered++;
      skb.free();
    });
    let woke = 0;
    pair.a.onTxWake(() => woke++);
    const rcs: string[] = [];
    for (let i = 0; i < 30; i++) rcs.push(pair.a.queueXmit(skbFromBytes(seqFrame(i, 1000))));
    expect(pair.a.queueStopped).toBe(true);
    expect(pair.a.txRingSize).toBe(8);
    expect(rcs.filter((r) => r === 'SUCCESS')).toHaveLength(8 + 15);
    expect(rcs.filter((r) => r === 'CN')).toHaveLength(1);
    expect(rcs.filter((r) => r === 'DROP')).toHaveLength(6);
    expect(pair.a.qdiscStats().drops).toBe(6);
    // Run time forward: frames leave at the line rate.
    for (let t = 0; t < 400; t++) {
      clock.advance(1);
      softnet.runUntilIdle();
    }
    expect(delivered).toBe(24);
    expect(woke).toBe(1);
    expect(pair.a.queueStopped).toBe(false);
    // 24 frames × 8 ms: the last arrives at 192 ms.
    pair.destroy();
  });

  it('property: with any impairment, every delivered frame was sent, counts add up, and nothing leaks', () => {
    fc.assert(
      fc.property(arbImpairmentProfile({ rate: false }), fc.integer({ min: 1, max: 150 }), (p, n) => {
        const profile = { ...p, corrupt: 0 }; // corruption could rewrite the sequence numbers; tested above
        const clock = new VirtualClock();
        const softnet = new Softnet({ clock });
        const pair = DevicePair.create({ clock, softnet, impairAtoB: profile, b: { rxRingSize: 1024 } });
        const seen: number[] = [];
        pair.b.addPacketHandler(ETH_P.IP, (skb) => {
          seen.push(seqOf(skb));
          skb.free();
        });
        for (let i = 0; i < n; i++) {
          pair.a.queueXmit(skbFromBytes(seqFrame(i)));
          clock.advance(0.1);
          softnet.runUntilIdle();
        }
        clock.advance(1000);
        softnet.runUntilIdle();
        const st = pair.linkStats().aToB;
        expect(seen.length).toBe(st.delivered);
        expect(st.offered).toBe(n);
        expect(st.delivered).toBe(n - st.lost + st.duplicated);
        // Without corruption of the sequence bytes, every sequence number was really sent;
        // a frame appears at most twice (duplication).
        const counts = new Map<number, number>();
        for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1);
        for (const [, c] of counts) expect(c).toBeLessThanOrEqual(2);
        // No loss/dup/reorder/jitter/corrupt → exact order.
        if (!profile.loss && !profile.duplicate && !profile.reorder && !profile.jitterMs && !profile.corrupt) {
          expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
        }
        pair.destroy();
      }),
      { numRuns: 60 },
    );
  });

  it('is reproducible: the same seed gives the same delivery trace', () => {
    const run = () => {
      const clock = new VirtualClock();
      const softnet = new Softnet({ clock });
      const pair = DevicePair.create({
        clock,
        softnet,
        impairment: { seed: 99, loss: 0.1, duplicate: 0.05, reorder: 0.1, delayMs: 3, jitterMs: 2 },
      });
      const trace: string[] = [];
      pair.b.addPacketHandler(ETH_P.IP, (skb) => {
        trace.push(`${seqOf(skb)}@${clock.now()}`);
        skb.free();
      });
      for (let i = 0; i < 300; i++) {
        pair.a.queueXmit(skbFromBytes(seqFrame(i)));
        clock.advance(0.25);
        softnet.runUntilIdle();
      }
      clock.advance(100);
      softnet.runUntilIdle();
      pair.destroy();
      return trace;
    };
    const t1 = run();
    expect(run()).toEqual(t1);
    expect(t1.length).toBeGreaterThan(200);
  });
});

describe('DevicePair xmitBatch fast path', () => {
  it('behaves exactly like per-frame transmission: order, counters, ring overflow drops', () => {
    const run = (batched: boolean) => {
      const softnet = new Softnet();
      const pair = DevicePair.create({ softnet, b: { rxRingSize: 16 } });
      const seen: number[] = [];
      pair.b.addPacketHandler(ETH_P.IP, (skb) => {
        seen.push(seqOf(skb));
        skb.free();
      });
      const skbs = Array.from({ length: 40 }, (_, i) => skbFromBytes(seqFrame(i)));
      if (batched) expect(pair.a.xmitBatch(skbs)).toBe(40);
      else for (const s of skbs) pair.a.xmit(s);
      softnet.runUntilIdle();
      const r = { seen, a: { ...pair.a.stats }, b: { ...pair.b.stats }, drops: { ...pair.b.dropReasons } };
      pair.destroy();
      return r;
    };
    const fast = run(true);
    const slow = run(false);
    expect(fast.seen).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(fast.b.rxDropped).toBe(24);
    expect(fast.drops).toEqual({ RX_RING_FULL: 24 });
    expect({ ...fast, b: { ...fast.b, rxInterrupts: 0 } }).toEqual({ ...slow, b: { ...slow.b, rxInterrupts: 0 } });
  });

  it('falls back to the generic path for oversize frames, taps and impaired links', () => {
    const softnet = new Softnet();
    const pair = DevicePair.create({ softnet, impairAtoB: { seed: 1, loss: 0.5 } });
    let n = 0;
    pair.b.addPacketHandler(ETH_P.IP, (skb) => {
      n++;
      skb.free();
    });
    pair.a.xmitBatch(Array.from({ length: 100 }, (_, i) => skbFromBytes(seqFrame(i))));
    softnet.runUntilIdle();
    expect(n).toBe(100 - pair.linkStats().aToB.lost);
    expect(pair.linkStats().aToB.offered).toBe(100);
    const taps: number[] = [];
    pair.a.addTap((skb) => taps.push(skb.len));
    pair.a.xmitBatch([skbFromBytes(seqFrame(1)), skbFromBytes(seqFrame(2, 2000))]);
    softnet.runUntilIdle();
    expect(taps).toEqual([100]); // the oversize one was dropped before the tap
    expect(pair.a.dropReasons.PKT_TOO_BIG).toBe(1);
    pair.destroy();
  });
});
