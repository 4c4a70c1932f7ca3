import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '@netlayers/clock';
import { IpSummed, skbStats } from '@netlayers/skbuff';
import {
  arbFrameStream,
  arbImpairmentProfile,
  arbRingOps,
  arbTcpSegmentStream,
  buildTcpFrame,
  RecordingDevice,
  skbFromBytes,
  tcpFrameChecksumsOk,
} from './index.js';
import { Impairment } from '../impairment.js';
import { Ring } from '../ring.js';
import { ETH_P } from '../ether.js';

let live0 = 0;
beforeEach(() => {
  live0 = skbStats().live;
});
afterEach(() => {
  expect(skbStats().live).toBe(live0);
});

describe('@netlayers/netdev-ring/testing', () => {
  it('arbImpairmentProfile yields profiles the Impairment accepts', () => {
    fc.assert(
      fc.property(arbImpairmentProfile({ mtu: true }), (p) => {
        expect(() => new Impairment(p)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('arbTcpSegmentStream yields valid, contiguous segments', () => {
    fc.assert(
      fc.property(arbTcpSegmentStream({ maxSegments: 10 }), (frames) => {
        let next: number | undefined;
        for (const f of frames) {
          expect(tcpFrameChecksumsOk(f)).toBe(true);
          const v = new DataView(f.buffer);
          const seq = v.getUint32(14 + 24);
          if (next !== undefined) expect(seq).toBe(next);
          next = (seq + v.getUint16(16) - 40) >>> 0;
        }
      }),
      { numRuns: 50 },
    );
  });

  it('arbFrameStream tags frames with their index; arbRingOps drives a Ring model', () => {
    fc.assert(
      fc.property(arbFrameStream({ maxFrames: 20 }), arbRingOps({ maxOps: 50 }), (frames, ops) => {
        frames.forEach((f, i) => expect(new DataView(f.buffer).getUint32(0)).toBe(i));
        const r = new Ring<number>(16);
        let p = 0;
        let c = 0;
        for (const op of ops) {
          if (op.op === 'produce') p += r.produceBatch(Array.from({ length: op.n }, (_, k) => p + k));
          else for (const v of r.consumeBatch(op.n)) expect(v).toBe(c++);
        }
        expect(p - c).toBe(r.size);
      }),
      { numRuns: 50 },
    );
  });

  it('RecordingDevice records wire-exact frames (PARTIAL checksums finished) with times', () => {
    const clock = new VirtualClock(5);
    const dev = new RecordingDevice({ clock });
    dev.open();
    const frame = buildTcpFrame({ payload: new Uint8Array([9, 9, 9]) });
    const skb = skbFromBytes(frame);
    // Turn it into CHECKSUM_PARTIAL: zero the checksum field, seed the pseudo-header sum.
    const t = skb.data + 34;
    const ps = 0xc612 + 0x0001 + 0xc612 + 0x0002 + 6 + 23;
    skb.buf[t + 16] = ((ps & 0xffff) + (ps >>> 16)) >> 8;
    skb.buf[t + 17] = ((ps & 0xffff) + (ps >>> 16)) & 0xff;
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumStart = t;
    skb.csumOffset = 16;
    dev.queueXmit(skb);
    expect(dev.sent).toHaveLength(1);
    expect(dev.sent[0]!.bytes).toEqual(frame);
    expect(dev.sent[0]!.timeMs).toBe(5);
    expect(dev.sent[0]!.ipSummed).toBe(IpSummed.NONE);
  });

  it('RecordingDevice in loopback mode delivers what it sends', () => {
    const dev = new RecordingDevice({ loopback: true });
    dev.open();
    const got: number[] = [];
    dev.addPacketHandler(ETH_P.IP, (skb) => {
      got.push(skb.len);
      skb.free();
    });
    dev.queueXmit(skbFromBytes(buildTcpFrame()));
    dev.softnet.runUntilIdle();
    expect(got).toEqual([40]);
    expect(dev.frames.map((f) => f.dir)).toEqual(['tx']);
    expect(dev.stats).toMatchObject({ txPackets: 1, rxPackets: 1 });
  });
});
