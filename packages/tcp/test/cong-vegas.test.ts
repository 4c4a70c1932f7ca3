/**
 * Vegas (Linux tcp_vegas.c) on a fluid-model path with a fixed base RTT and a
 * bottleneck: the RTT grows with the segments queued at the bottleneck, and
 * Vegas keeps that queue between α and β segments; slow start ends on γ;
 * without RTT samples it is exactly Reno.
 */
import { describe, expect, it } from 'vitest';
import { renoCongestionOps } from '../src/cong/reno.js';
import { VEGAS_ALPHA, VEGAS_BETA, VegasPriv, vegasCongestionOps } from '../src/cong/vegas.js';
import { INFINITE_SSTHRESH, MSS, SimSock } from './helpers/cong-sim.js';

const BASE_RTT = 20; // ms
const RATE = 1; // segments per ms at the bottleneck
const BDP = BASE_RTT * RATE; // 20 segments

/** RTT when `window` segments are in flight: base + queueing at the bottleneck. */
function pathRtt(windowSegs: number): number {
  return BASE_RTT + Math.max(0, windowSegs - BDP) / RATE;
}

describe('Vegas', () => {
  it('keeps between α and β segments queued at the bottleneck of a fixed-RTT path', () => {
    const s = new SimSock(vegasCongestionOps);
    s.sndCwnd = 2 * MSS;
    const queued: number[] = [];
    const diffs: number[] = [];
    for (let round = 0; round < 300; round++) {
      const inFlight = (s.sndNxt === s.sndUna ? s.sndCwnd : s.sndNxt - s.sndUna) / MSS;
      const rtt = pathRtt(inFlight);
      s.roundTrip(rtt);
      queued.push(inFlight - BDP);
      diffs.push((inFlight * (rtt - BASE_RTT)) / BASE_RTT);
    }
    expect(s.sndSsthresh).not.toBe(INFINITE_SSTHRESH); // γ ended slow start
    expect((s.caPriv as VegasPriv).baseRtt).toBe(BASE_RTT);
    for (const q of queued.slice(-100)) {
      expect(q).toBeGreaterThanOrEqual(VEGAS_ALPHA);
      expect(q).toBeLessThanOrEqual(VEGAS_BETA);
    }
    for (const d of diffs.slice(-100)) {
      expect(d).toBeGreaterThanOrEqual(VEGAS_ALPHA);
      expect(d).toBeLessThanOrEqual(VEGAS_BETA);
    }
  });

  it('leaves slow start when diff passes γ, at the window the path carries + 1', () => {
    const s = new SimSock(vegasCongestionOps);
    s.sndCwnd = 2 * MSS;
    let rounds = 0;
    while (s.sndSsthresh === INFINITE_SSTHRESH && rounds++ < 50) {
      const inFlight = (s.sndNxt === s.sndUna ? s.sndCwnd : s.sndNxt - s.sndUna) / MSS;
      s.roundTrip(pathRtt(inFlight));
    }
    expect(rounds).toBeLessThan(50);
    // slow start doubled past the path's capacity at most once
    expect(s.cwndSegs).toBeLessThan(2 * (BDP + VEGAS_BETA));
    expect(s.sndSsthresh).toBeLessThan(s.sndCwnd + MSS);
  });

  it('without RTT samples it is Reno (window for window)', () => {
    const v = new SimSock(vegasCongestionOps);
    const r = new SimSock(renoCongestionOps);
    for (let round = 0; round < 40; round++) {
      v.roundTrip(20, 2, -1);
      r.roundTrip(20, 2, -1);
      if (round === 6 || round === 25) {
        v.loss();
        r.loss();
      }
      expect(v.sndCwnd).toBe(r.sndCwnd);
      expect(v.sndSsthresh).toBe(r.sndSsthresh);
    }
  });

  it('is off outside the Open state and restarts its per-RTT measurement when back', () => {
    const s = new SimSock(vegasCongestionOps);
    s.roundTrip(20);
    const p = s.caPriv as VegasPriv;
    s.setCaState(1); // Disorder
    expect(p.doingVegasNow).toBe(false);
    s.setCaState(0);
    expect(p.doingVegasNow).toBe(true);
    expect(p.cntRtt).toBe(0);
    expect(p.baseRtt).toBe(20); // kept: the path did not change
  });
});
