/**
 * RACK-TLP (RFC 8985) in virtual time over a DirectLink (RTT 10 ms), SACK on:
 * a tail loss is repaired by a loss probe with no RTO (and, with probes off, the
 * same loss costs an RTO); a probe the receiver reports as a duplicate means no
 * loss; RACK finds a lost retransmission by time order; reordering shorter than
 * the reordering window (min_rtt/4) retransmits nothing while a longer one is
 * repaired by the reordering timer, again without an RTO.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { tcpGetInfo } from '../src/tcp-info.js';
import { A } from './helpers/direct-env.js';
import { closeAll, impair, lossEnv, settle, transfer } from './helpers/loss-env.js';

/** The A>B data transmissions of offset `off` (from the first data byte). */
function sendsAt(env: ReturnType<typeof lossEnv>['env'], base: number, off: number) {
  return env.segs.filter((g) => g.dir === 'A>B' && g.len > 0 && g.seq === ((base + off) >>> 0));
}

describe('tail loss probe (RFC 8985 §7)', () => {
  for (const probes of [true, false]) {
    it(`the last two segments of a burst are lost: ${probes ? 'a probe after 2·SRTT and RACK repair them, no RTO' : 'without probes an RTO repairs them'}`, () => {
      const live0 = skbStats().live;
      const { env, l, c, s } = lossEnv(probes ? {} : { earlyRetrans: 0 });
      const base = (c.iss + 1) >>> 0;
      const mss = c.mss;
      const n = 8 * mss;
      impair(env, c, (off, nth) => (off >= n - 2 * mss && nth === 0 ? 'drop' : undefined));
      expect(transfer(env, c, s, n)).toBe(n);
      const tx = sendsAt(env, base, n - mss);
      expect(tx.length).toBe(2);
      expect(sendsAt(env, base, n - 2 * mss).length).toBe(2);
      const gap = tx[1]!.t - tx[0]!.t;
      if (probes) {
        expect(env.a.mib.lossProbes).toBe(1);
        expect(env.a.mib.timeouts).toBe(0);
        // PTO = 2·SRTT + 2 ms (two segments in flight), far below the 200 ms RTO floor
        expect(gap).toBeLessThan(60);
        // the probe's SACK let RACK mark the other segment lost: fast recovery, which ends the probe episode
        expect(env.a.mib.rackLost).toBe(1);
        expect(env.a.mib.fastRetrans).toBe(1);
        expect(c.tlpPending).toBe(false);
      } else {
        expect(env.a.mib.lossProbes).toBe(0);
        expect(env.a.mib.timeouts).toBe(1);
        expect(gap).toBeGreaterThanOrEqual(200);
      }
      console.log(`tail loss, probes ${probes ? 'on' : 'off'}: repaired ${gap} ms after the first transmission; RTOs ${env.a.mib.timeouts}`);
      closeAll(env, c, s, l);
      expect(skbStats().live).toBe(live0);
    });
  }

  it('one segment in flight: PTO adds the delayed-ACK allowance, is capped at the RTO, and the probe goes instead of the RTO', () => {
    const live0 = skbStats().live;
    const { env, l, c, s } = lossEnv();
    const base = (c.iss + 1) >>> 0;
    const mss = c.mss;
    const n = 8 * mss;
    impair(env, c, (off, nth) => (off === n - mss && nth === 0 ? 'drop' : undefined));
    expect(transfer(env, c, s, n)).toBe(n);
    const tx = sendsAt(env, base, n - mss);
    expect(tx.length).toBe(2);
    expect(env.a.mib.lossProbes).toBe(1);
    expect(env.a.mib.timeouts).toBe(0);
    expect(tx[1]!.t - tx[0]!.t).toBeGreaterThanOrEqual(200);
    // the episode ends with the next ACK beyond the probe: the probe alone repaired a loss (one cwnd reduction)
    const cwnd = c.sndCwnd;
    expect(transfer(env, c, s, 4 * mss, 3000, n)).toBe(4 * mss);
    settle(env);
    expect(env.a.mib.lossProbeRecovery).toBe(1);
    expect(env.a.mib.fastRetrans).toBe(0);
    expect(c.sndSsthresh).toBeLessThan(cwnd + 4 * mss);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });

  it('with unsent data waiting on cwnd, the probe is one new segment (no retransmission)', () => {
    const live0 = skbStats().live;
    const { env, l, c, s } = lossEnv();
    const base = (c.iss + 1) >>> 0;
    const mss = c.mss;
    const n = 40 * mss;
    // the ACKs of the first flight are lost: cwnd stays full, the rest waits in the write queue
    const t0 = env.clock.now();
    env.setDrop((p, sa) => sa !== A && env.clock.now() - t0 < 20 && p.ack !== 0);
    expect(transfer(env, c, s, n)).toBe(n);
    settle(env);
    expect(env.a.mib.lossProbes).toBe(1);
    const probe = sendsAt(env, base, 10 * mss);
    expect(probe.length).toBe(1);
    expect(probe[0]!.t - t0).toBeGreaterThan(15); // sent by the probe timer, not by an ACK
    expect(probe[0]!.t - t0).toBeLessThan(30);
    expect(c.tlpRetrans).toBe(false);
    expect(c.tlpPending).toBe(false);
    expect(env.a.mib.retransSegs).toBe(0);
    expect(env.a.mib.timeouts).toBe(0);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });

  it('a probe the receiver reports as a duplicate (DSACK) ends the episode with no cwnd reduction', () => {
    const live0 = skbStats().live;
    const { env, l, c, s } = lossEnv();
    const mss = c.mss;
    const n = 8 * mss;
    // the data arrives, but every ACK of the burst is lost until the probe has gone out
    let until = Infinity;
    env.setDrop((p, sa) => sa !== A && env.clock.now() < until && p.ack !== 0);
    expect(transfer(env, c, s, n, 30)).toBe(n);
    const cwnd = c.sndCwnd;
    until = 0;
    for (let t = 0; t < 100 && env.a.mib.lossProbes === 0; t++) env.clock.advance(1);
    expect(env.a.mib.lossProbes).toBe(1);
    settle(env);
    expect(env.b.mib.outSegs).toBeGreaterThan(0);
    expect(env.a.mib.dsackRecv).toBe(1);
    expect(c.tlpPending).toBe(false);
    expect(env.a.mib.lossProbeRecovery).toBe(0);
    expect(env.a.mib.timeouts).toBe(0);
    expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });
});

describe('RACK loss detection (RFC 8985 §6)', () => {
  it('detects the loss of a retransmission by time order, without an RTO', () => {
    const live0 = skbStats().live;
    const { env, l, c, s } = lossEnv();
    const base = (c.iss + 1) >>> 0;
    const mss = c.mss;
    const n = 80 * mss;
    // segment 5 is lost twice: its first transmission and its first retransmission
    impair(env, c, (off, nth) => (off === 5 * mss && nth < 2 ? 'drop' : undefined));
    expect(transfer(env, c, s, n)).toBe(n);
    expect(sendsAt(env, base, 5 * mss).length).toBe(3);
    expect(env.a.mib.lostRetransmit).toBeGreaterThanOrEqual(1);
    expect(env.a.mib.timeouts).toBe(0);
    console.log(`lost retransmission: RACK marked ${env.a.mib.rackLost} lost, ${env.a.mib.lostRetransmit} lost retransmission(s), 0 RTOs`);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });

  for (const extra of [1, 8]) {
    it(`a segment overtaken by two others, ${extra} ms late: ${extra === 1 ? 'within the reordering window, nothing is retransmitted' : 'past the window, the reordering timer retransmits it (no RTO)'}`, () => {
      const live0 = skbStats().live;
      const { env, l, c, s } = lossEnv();
      const base = (c.iss + 1) >>> 0;
      const mss = c.mss;
      // warm up: an RTT sample and min_rtt (10 ms: window 2.5 ms)
      expect(transfer(env, c, s, mss)).toBe(mss);
      settle(env);
      const n = 10 * mss;
      const late = mss + 7 * mss; // the 8th of 10 segments: two overtake it, fewer than dupThresh
      impair(env, c, (off, nth) => (off === late && nth === 0 ? extra : undefined));
      expect(transfer(env, c, s, n, 3000, mss)).toBe(n);
      settle(env);
      const tx = sendsAt(env, base, late);
      const info = tcpGetInfo(c);
      if (extra === 1) {
        expect(tx.length).toBe(1);
        expect(env.a.mib.retransSegs).toBe(0);
        expect(env.a.mib.rackLost).toBe(0);
      } else {
        expect(tx.length).toBe(2);
        expect(env.a.mib.rackLost).toBe(1);
        expect(env.a.mib.rackReoTimeouts).toBeGreaterThanOrEqual(1);
        expect(env.a.mib.timeouts).toBe(0);
        expect(env.a.mib.lossProbes).toBe(0);
        // the original arrived after all: its DSACK widens the reordering window one step and undoes the recovery
        expect(env.a.mib.dsackRecv).toBe(1);
        expect(c.rackReoWndSteps).toBe(2);
        expect(info.tcpi_reord_seen).toBe(1);
        expect(info.tcpi_dsack_dups).toBe(1);
        expect(env.a.mib.dsackUndo + env.a.mib.fullUndo).toBe(1);
      }
      expect(info.tcpi_lost).toBe(0);
      expect(info.tcpi_min_rtt).toBe(10_000);
      closeAll(env, c, s, l);
      expect(skbStats().live).toBe(live0);
    });
  }
});
