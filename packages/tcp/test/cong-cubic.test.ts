/**
 * CUBIC (RFC 9438) and HyStart++ (RFC 9406) driven directly through the module
 * interface on a fluid-model path (test/helpers/cong-sim.ts): W(t) and K against
 * the RFC formulas, cwnd following W_cubic over time, the Reno-friendly region,
 * fast convergence, ssthresh = β·cwnd, the epoch restart after an RTO, HyStart++
 * leaving slow start on an RTT increase (and resuming on a spurious one).
 */
import { describe, expect, it } from 'vitest';
import { cubicCongestionOps, cubicK, cubicW, CubicPriv, CUBIC_ALPHA, CUBIC_BETA, CUBIC_C } from '../src/cong/cubic.js';
import { HYSTART_CSS_ROUNDS, HystartState } from '../src/cong/hystart.js';
import { INFINITE_SSTHRESH, MSS, SimSock } from './helpers/cong-sim.js';

/** A CUBIC socket in congestion avoidance that just lost at `segs` segments. */
function afterLossAt(segs: number): SimSock {
  const s = new SimSock(cubicCongestionOps);
  s.sndCwnd = segs * MSS;
  s.sndSsthresh = segs * MSS; // not in slow start
  s.loss();
  return s;
}

function priv(s: SimSock): CubicPriv {
  expect(s.caPriv).toBeInstanceOf(CubicPriv);
  return s.caPriv as CubicPriv;
}

describe('CUBIC window function (RFC 9438 §4.2)', () => {
  it('W(t) = C(t − K)³ + W_max and K = ∛(W_max(1 − β)/C) at the RFC points', () => {
    const wMax = 100;
    const k = cubicK(wMax, CUBIC_BETA * wMax);
    expect(k).toBeCloseTo(Math.cbrt((wMax * (1 - CUBIC_BETA)) / CUBIC_C), 12);
    expect(k).toBeCloseTo(4.2172, 4); // ∛75
    expect(cubicW(0, k, wMax)).toBeCloseTo(70, 9); // starts at cwnd_epoch = β·W_max
    expect(cubicW(k, k, wMax)).toBeCloseTo(100, 9); // plateau at W_max after K seconds
    expect(cubicW(k + 1, k, wMax)).toBeCloseTo(100.4, 9); // convex: + C·1³
    expect(cubicW(k - 2, k, wMax)).toBeCloseTo(96.8, 9); // concave: − C·2³
    expect(cubicK(50, 60)).toBe(0); // cwnd above W_max: no concave part
    expect(CUBIC_ALPHA).toBeCloseTo(0.9 / 1.7, 12);
  });

  it('ssthresh on loss is ⌊β·cwnd⌋ segments, at least 2, and W_max is the cwnd lost at', () => {
    const s = afterLossAt(100);
    expect(s.sndSsthresh).toBe(70 * MSS);
    expect(s.sndCwnd).toBe(70 * MSS);
    expect(priv(s).wMax).toBe(100);
    expect(afterLossAt(17).sndSsthresh).toBe(11 * MSS); // Linux: 17·717 >> 10 = 11
    expect(afterLossAt(2).sndSsthresh).toBe(2 * MSS);
    expect(afterLossAt(1).sndSsthresh).toBe(2 * MSS);
  });

  it('cwnd follows W_cubic(t) through the concave and convex regions (RTT 100 ms)', () => {
    const s = afterLossAt(100);
    const rtt = 100;
    const seen: [number, number][] = [];
    for (let round = 0; round < 60; round++) {
      s.roundTrip(rtt);
      const p = priv(s);
      const t = (s.now - p.epochStart) / 1000;
      seen.push([t, s.cwndSegs]);
      expect(Math.abs(s.cwndSegs - cubicW(t, p.k, 100))).toBeLessThanOrEqual(2);
      expect(Number.isInteger(s.cwndSegs)).toBe(true); // whole segments, like Linux
    }
    const k = cubicK(100, 70);
    // plateau around W_max at t ≈ K, growth again beyond it
    const atK = seen.find(([t]) => t >= k)!;
    expect(atK[1]).toBeGreaterThanOrEqual(98);
    expect(atK[1]).toBeLessThanOrEqual(101);
    expect(seen.at(-1)![1]).toBeGreaterThan(101);
  });

  it('Reno-friendly region: on a short RTT cwnd follows W_est (α, then 1 per RTT past cwnd_prior)', () => {
    const s = afterLossAt(100);
    let west = 70;
    for (let round = 0; round < 500; round++) {
      s.roundTrip(2);
      west += west >= 100 ? 1 : CUBIC_ALPHA;
    }
    const p = priv(s);
    const t = (s.now - p.epochStart) / 1000;
    expect(t).toBeCloseTo(1, 1);
    expect(cubicW(t, p.k, 100)).toBeLessThan(90); // the cubic function alone would be below W_max
    expect(Math.abs(s.cwndSegs - west)).toBeLessThanOrEqual(3);
  });

  it('fast convergence: a loss below the previous W_max releases bandwidth, W_max = cwnd·(1 + β)/2', () => {
    const s = afterLossAt(100);
    s.sndCwnd = 80 * MSS;
    s.loss();
    expect(priv(s).wMax).toBeCloseTo(68, 9);
    expect(s.sndSsthresh).toBe(56 * MSS);
    s.roundTrip(100);
    expect(priv(s).k).toBeCloseTo(Math.cbrt(12 / CUBIC_C), 9);
    const up = afterLossAt(100);
    up.sndCwnd = 120 * MSS;
    up.loss();
    expect(priv(up).wMax).toBe(120);
  });

  it('after an RTO the next epoch starts at the cwnd reached, with K = 0 (RFC 9438 §4.8)', () => {
    const s = afterLossAt(100);
    s.rto();
    expect(s.sndCwnd).toBe(MSS);
    expect(s.sndSsthresh).toBe(49 * MSS); // ⌊0.7·70⌋
    while (s.sndCwnd < s.sndSsthresh) s.roundTrip(100);
    expect(s.sndCwnd).toBe(49 * MSS); // slow start stops at ssthresh
    s.roundTrip(100);
    expect(priv(s).k).toBe(0);
    expect(priv(s).origin).toBe(49);
  });

  it('an idle period does not count in the epoch (tx-start shifts it)', () => {
    const s = afterLossAt(100);
    s.roundTrip(100);
    const start = priv(s).epochStart;
    s.lastSendTime = s.now;
    s.now += 5000;
    cubicCongestionOps.cwndEvent!(s, 'tx-start');
    expect(priv(s).epochStart).toBe(start + 5000);
  });
});

describe('HyStart++ (RFC 9406)', () => {
  function slowStart(rtts: number[]): { s: SimSock; cwnd: number[]; css: boolean[] } {
    const s = new SimSock(cubicCongestionOps);
    const cwnd: number[] = [];
    const css: boolean[] = [];
    for (const rtt of rtts) {
      s.roundTrip(rtt);
      cwnd.push(s.cwndSegs);
      css.push(priv(s).hystart.css);
    }
    return { s, cwnd, css };
  }

  it('a flat RTT keeps standard slow start: cwnd doubles every round, no ssthresh', () => {
    const { s, cwnd } = slowStart([20, 20, 20, 20, 20, 20]);
    expect(cwnd).toEqual([20, 40, 80, 160, 320, 640]);
    expect(s.sndSsthresh).toBe(INFINITE_SSTHRESH);
    expect(priv(s).hystart.css).toBe(false);
  });

  it('an RTT increase past lastRoundMinRTT + RttThresh enters CSS (growth ÷ 4), then congestion avoidance', () => {
    expect(HystartState.rttThresh(20)).toBe(4);
    expect(HystartState.rttThresh(80)).toBe(10);
    expect(HystartState.rttThresh(400)).toBe(16);
    const { s, cwnd, css } = slowStart([20, 20, 20, 30, 30, 30, 30, 30, 30, 30]);
    expect(cwnd.slice(0, 3)).toEqual([20, 40, 80]);
    // the first HyStart round with RTT 30 ≥ 20 + 4 enters CSS after N_RTT_SAMPLE samples
    expect(css.slice(0, 4)).toEqual([false, false, false, true]);
    expect(cwnd[3]!).toBeLessThan(160);
    for (let i = 4; i < 3 + HYSTART_CSS_ROUNDS; i++) expect(cwnd[i]! / cwnd[i - 1]!).toBeCloseTo(1.25, 1);
    // after CSS_ROUNDS rounds in CSS: ssthresh = cwnd, congestion avoidance
    expect(s.sndSsthresh).not.toBe(INFINITE_SSTHRESH);
    expect(priv(s).hystart.done).toBe(true);
    const last = cwnd.at(-1)!;
    expect(last).toBeLessThan(cwnd.at(-2)! * 1.1); // no more exponential growth
  });

  it('an RTT that falls back below the CSS baseline was spurious: slow start resumes', () => {
    const { s, cwnd } = slowStart([20, 20, 20, 30, 20, 20]);
    expect(priv(s).hystart.css).toBe(false);
    expect(s.sndSsthresh).toBe(INFINITE_SSTHRESH);
    expect(cwnd[5]! / cwnd[4]!).toBeCloseTo(2, 1);
  });

  it('a loss in slow start ends HyStart++ (ssthresh from CUBIC)', () => {
    const { s } = slowStart([20, 20]);
    s.loss();
    expect(s.sndSsthresh).toBe(28 * MSS);
    expect(priv(s).hystart.done).toBe(true);
  });
});
