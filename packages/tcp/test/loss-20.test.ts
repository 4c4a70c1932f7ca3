/**
 * Issue acceptance: 5 MiB each way at the same time over a DevicePair losing
 * 20 % of the frames in each direction (seeded, so the run is the same every
 * time), with SACK, timestamps and the preferred congestion control (CUBIC
 * when the build has it) — once through the socket API, once through the
 * `node:net`-compatible streams. Every byte is checked against the
 * position-dependent pattern on arrival; the virtual time and the
 * retransmission counters are printed. Bounded: one hour of virtual time (and
 * two minutes of wall time for the streams), then the drivers throw.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { ccConfig, congestionControlOf, preferredCongestionControl } from '../bench/cc.js';
import { compatBulk } from '../bench/compat-bulk.js';
import { simulateBulk } from '../bench/loss-sim.js';
import type { TcpMib } from '../src/stack.js';
import { createTestbed } from '../src/testing/index.js';

const MIB5 = 5 << 20;
const SEED = 20261202;
const HOUR = 3600_000;
const cc = preferredCongestionControl();

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const retrans = (m: Pick<TcpMib, 'retransSegs' | 'fastRetrans' | 'timeouts'>): string => `${m.retransSegs} (fast ${m.fastRetrans}, RTO ${m.timeouts})`;

describe('5 MiB each way at 20 % loss, SACK + timestamps', () => {
  it(`socket API (${cc}): completes, every byte verified, in bounded virtual time; skbs freed`, () => {
    const live0 = skbStats().live;
    const r = simulateBulk({ bytes: MIB5, reverseBytes: MIB5, loss: 0.2, rttMs: 10, cc, sack: true, seed: SEED, maxVirtualMs: HOUR });
    const [up, down] = r.senders;
    console.log(
      `socket API, ${cc}, RTT 10 ms: client→server ${secs(r.virtualMs[0])}, server→client ${secs(r.virtualMs[1])} of virtual time; ` +
        `retransmits ${retrans(up)} / ${retrans(down)}; ${r.linkLost} frames lost on the link`,
    );
    expect(r.received).toEqual([MIB5, MIB5]);
    expect(r.virtualMs[0]).toBeGreaterThan(0);
    expect(r.virtualMs[1]).toBeGreaterThan(0);
    // the link did lose frames, and each sender repaired its losses
    expect(r.linkLost).toBeGreaterThan(1000);
    expect(up.retransSegs).toBeGreaterThan(0);
    expect(down.retransSegs).toBeGreaterThan(0);
    expect(skbStats().live).toBe(live0);
  });

  it(`node:net-compatible streams (${cc}): completes, every byte verified; skbs freed`, async () => {
    const live0 = skbStats().live;
    const tb = createTestbed({ link: 'pair', seed: SEED, impairment: { loss: 0.2 }, tcp: { ...ccConfig(cc), sack: true, timestamps: true, timeWaitMs: 1000 } });
    try {
      const r = await compatBulk(tb, { bytes: MIB5, reverseBytes: MIB5, chunk: 64 << 10, timeoutMs: HOUR });
      const [a, b] = tb.hosts;
      console.log(
        `node:net-compatible API, ${cc}, no delay: client→server ${secs(r.elapsedMs[0])}, server→client ${secs(r.elapsedMs[1])} of virtual time; ` +
          `retransmits ${retrans(a.tcp.mib)} / ${retrans(b.tcp.mib)}`,
      );
      expect(r.received).toEqual([MIB5, MIB5]);
      for (const sk of r.socks) expect([congestionControlOf(sk), sk.sackOk, sk.tstampOk]).toEqual([cc, true, true]);
      expect(a.tcp.mib.retransSegs).toBeGreaterThan(0);
      expect(b.tcp.mib.retransSegs).toBeGreaterThan(0);
    } finally {
      tb.destroy();
    }
    expect(skbStats().live).toBe(live0);
  });
});
