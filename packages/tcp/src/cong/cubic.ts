/**
 * CUBIC (RFC 9438; Linux `tcp_cubic.c`, the Linux default) with HyStart++
 * (RFC 9406, see hystart.ts) in the initial slow start.
 *
 * The window is a cubic function of the time t (s) since the congestion
 * avoidance epoch started: W_cubic(t) = C·(t − K)³ + W_max, with
 * K = ∛((W_max − cwnd_epoch)/C), C = 0.4, β = 0.7 (RFC 9438 §4.2). Each ACK
 * moves cwnd towards W_cubic(t + RTT), clamped to [cwnd, 1.5·cwnd], by
 * (target − cwnd)/cwnd segments per segment acked; the Reno-friendly estimate
 * W_est (§4.3, α = 3(1 − β)/(1 + β), then 1 once W_est ≥ cwnd_prior) takes over
 * where it is larger. On loss W_max = cwnd, or cwnd·(1 + β)/2 when cwnd is below
 * the previous W_max (fast convergence, §4.7), and ssthresh = β·cwnd (at least
 * 2 segments). After an RTO the next epoch starts with K = 0 from the cwnd it
 * reaches (§4.8, Linux's `bictcp_reset` on TCP_CA_Loss).
 *
 * Units: W_max, W_est and the cubic function are in segments (floats); the
 * core's cwnd is in bytes and moves in whole MSS steps (growth accumulates in
 * `acc` like Linux's `cnt`), so it stays a whole number of segments. RTT is the
 * minimum sample seen (Linux `delay_min`), the smoothed RTT before any sample.
 * Time is the stack's clock. After idle ('tx-start') the epoch shifts by the
 * idle time, so an application-limited flow does not jump (RFC 9438 §5.8).
 *
 * @module
 */
import { HYSTART_CSS_GROWTH_DIVISOR, HystartState } from './hystart.js';
import {
  TCP_CONG_NON_RESTRICTED,
  tcpCaPriv,
  tcpInSlowStart,
  tcpRenoUndoCwnd,
  tcpSlowStart,
  type AckSample,
  type CaEvent,
  type CongState,
  type CongestionOps,
} from './ops.js';

/** RFC 9438 constants. */
export const CUBIC_C = 0.4;
export const CUBIC_BETA = 0.7;
/** α_cubic = 3(1 − β)/(1 + β): Reno-friendly additive increase (RFC 9438 §4.3). */
export const CUBIC_ALPHA = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);
/** Fast convergence (RFC 9438 §4.7, Linux `fast_convergence = 1`). */
export const CUBIC_FAST_CONVERGENCE = true;
const TCP_CA_LOSS = 4;

/** W_cubic(t) = C·(t − K)³ + W_max in segments, `t` and `k` in seconds (RFC 9438 eq. 1). */
export function cubicW(t: number, k: number, wMax: number): number {
  const d = t - k;
  return CUBIC_C * d * d * d + wMax;
}

/** K = ∛((W_max − cwnd_epoch)/C) in seconds (RFC 9438 eq. 2); 0 when cwnd_epoch ≥ W_max. */
export function cubicK(wMax: number, cwndEpoch: number): number {
  return wMax > cwndEpoch ? Math.cbrt((wMax - cwndEpoch) / CUBIC_C) : 0;
}

/** Per-connection CUBIC state (Linux `struct bictcp`). */
export class CubicPriv {
  /** W_max, segments (`last_max_cwnd`); 0 = no loss yet / after an RTO. */
  wMax = 0;
  /** cwnd (segments) at the last reduction (RFC 9438 cwnd_prior). */
  cwndPrior = 0;
  /** Epoch start (ms on the stack clock), −1 = no epoch. */
  epochStart = -1;
  /** K, seconds. */
  k = 0;
  /** W_max of the cubic function of this epoch (`bic_origin_point`), segments. */
  origin = 0;
  /** Reno-friendly estimate W_est, segments. */
  wEst = 0;
  /** Growth not yet applied, bytes (less than one MSS). */
  acc = 0;
  /** Minimum RTT sample, ms (`delay_min`). */
  minRtt = Infinity;
  hystart: HystartState;

  constructor(sndNxt: number) {
    this.hystart = new HystartState(sndNxt);
  }
}

function priv(s: CongState): CubicPriv {
  return tcpCaPriv(s, CubicPriv);
}

/** Adds `bytes` of growth to cwnd in whole MSS steps. */
function grow(s: CongState, p: CubicPriv, bytes: number): void {
  p.acc += bytes;
  if (p.acc < s.mss) return;
  const steps = Math.floor(p.acc / s.mss);
  s.sndCwnd += steps * s.mss;
  p.acc -= steps * s.mss;
}

/** Congestion avoidance on `acked` bytes (Linux `bictcp_update` + `tcp_cong_avoid_ai`). */
function cubicUpdate(s: CongState, p: CubicPriv, acked: number): void {
  const mss = s.mss;
  const now = s.stack.clock.now();
  const cwnd = s.sndCwnd / mss;
  if (p.epochStart < 0) {
    p.epochStart = now;
    p.k = cubicK(p.wMax, cwnd);
    p.origin = Math.max(p.wMax, cwnd);
    p.wEst = cwnd;
    p.acc = 0;
  }
  const t = (now - p.epochStart) / 1000;
  const alpha = p.wEst >= p.cwndPrior ? 1 : CUBIC_ALPHA;
  p.wEst += (alpha * (acked / mss)) / cwnd;
  if (cubicW(t, p.k, p.origin) < p.wEst) {
    // Reno-friendly region (RFC 9438 §4.3): cwnd follows W_est
    const est = Math.floor(p.wEst) * mss;
    if (est > s.sndCwnd) {
      s.sndCwnd = est;
      p.acc = 0;
    }
    return;
  }
  const rtt = Number.isFinite(p.minRtt) ? p.minRtt : s.srtt;
  const target = Math.min(Math.max(cubicW(t + rtt / 1000, p.k, p.origin), cwnd), 1.5 * cwnd);
  if (target > cwnd) grow(s, p, (acked * (target - cwnd)) / cwnd);
}

/** The CUBIC module (`cubic`). */
export const cubicCongestionOps: CongestionOps = {
  name: 'cubic',
  flags: TCP_CONG_NON_RESTRICTED,
  init(s) {
    s.caPriv = new CubicPriv(s.sndNxt); // the registry drops it on a switch (no release needed)
  },
  ssthresh(s) {
    const p = priv(s);
    const segs = Math.max(1, Math.floor(s.sndCwnd / s.mss));
    p.epochStart = -1;
    p.wMax = CUBIC_FAST_CONVERGENCE && segs < p.wMax ? (segs * (1 + CUBIC_BETA)) / 2 : segs;
    p.cwndPrior = segs;
    p.hystart.stop();
    return Math.max(Math.floor((segs * 7) / 10), 2) * s.mss;
  },
  congAvoid(s, acked) {
    const p = priv(s);
    if (tcpInSlowStart(s)) {
      const hs = p.hystart;
      if (hs.ack(s.sndUna, s.sndNxt)) {
        s.sndSsthresh = s.sndCwnd; // CSS finished: congestion avoidance (RFC 9406 §4.3)
      } else if (hs.css) {
        grow(s, p, acked / HYSTART_CSS_GROWTH_DIVISOR);
        return;
      } else {
        acked = tcpSlowStart(s, acked);
        if (acked <= 0) return;
      }
    }
    cubicUpdate(s, p, acked);
  },
  setState(s, newState) {
    if (newState !== TCP_CA_LOSS) return;
    const p = priv(s);
    p.epochStart = -1;
    p.wMax = 0;
    p.acc = 0;
    p.hystart = new HystartState(s.sndNxt);
  },
  cwndEvent(s, ev: CaEvent) {
    if (ev !== 'tx-start') return;
    const p = priv(s);
    if (p.epochStart < 0) return;
    // idle: shift the epoch so the cubic function does not count the idle time
    const now = s.stack.clock.now();
    const idle = now - s.lastSendTime;
    if (idle > 0) p.epochStart = Math.min(p.epochStart + idle, now);
  },
  undoCwnd: tcpRenoUndoCwnd,
  pktsAcked(s, sample: AckSample) {
    if (sample.rttMs < 0) return;
    const p = priv(s);
    if (sample.rttMs < p.minRtt) p.minRtt = sample.rttMs;
    if (tcpInSlowStart(s)) p.hystart.sample(sample.rttMs);
  },
};
