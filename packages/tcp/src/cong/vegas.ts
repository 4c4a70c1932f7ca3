/**
 * TCP Vegas (Brakmo & Peterson; Linux `tcp_vegas.c`; seed 004's lecture notes):
 * delay-based congestion avoidance. BaseRTT is the smallest RTT ever seen, the
 * "expected" rate cwnd/BaseRTT; once per RTT the smallest RTT of that RTT
 * (minRTT) gives the "actual" rate, and
 *   diff = cwnd · (minRTT − BaseRTT) / BaseRTT
 * estimates the segments this connection keeps queued in the network. In
 * congestion avoidance cwnd grows by one segment per RTT while diff < α, shrinks
 * by one while diff > β, and holds in between (α = 2, β = 4 segments, Linux's
 * defaults). In slow start, diff > γ (1 segment) ends slow start: cwnd drops to
 * the window the path carries without queueing (+1) and ssthresh below it.
 *
 * Before the first RTT sample, and outside the Open state (disorder, recovery,
 * loss), Vegas is Reno on every ACK (`tcp_reno_cong_avoid`); with fewer than 3
 * samples in an RTT it makes Reno's move once for that RTT, as Linux does.
 * Losses are handled like Reno's (ssthresh = half the flight). Windows in
 * bytes, moved in whole MSS.
 *
 * @module
 */
import { seqGt } from '../seq.js';
import { tcpRenoCongAvoid, tcpRenoSsthresh } from './reno.js';
import { TCP_CONG_NON_RESTRICTED, tcpCaPriv, tcpInSlowStart, tcpRenoUndoCwnd, tcpSlowStart, type CongState, type CongestionOps } from './ops.js';

/** Linux module parameters `alpha`, `beta`, `gamma` (segments). */
export const VEGAS_ALPHA = 2;
export const VEGAS_BETA = 4;
export const VEGAS_GAMMA = 1;
const TCP_CA_OPEN = 0;

/** Per-connection Vegas state (Linux `struct vegas`). */
export class VegasPriv {
  /** Vegas runs (Open state); else Reno. */
  doingVegasNow = true;
  /** snd_nxt when the current RTT started (`beg_snd_nxt`). */
  begSndNxt: number;
  /** RTT samples in the current RTT. */
  cntRtt = 0;
  /** Smallest RTT of the current RTT, ms. */
  minRtt = Infinity;
  /** Smallest RTT ever, ms. */
  baseRtt = Infinity;

  constructor(sndNxt: number) {
    this.begSndNxt = sndNxt;
  }

  /** `vegas_enable`: start measuring from the next RTT. */
  enable(sndNxt: number): void {
    this.doingVegasNow = true;
    this.begSndNxt = sndNxt;
    this.cntRtt = 0;
    this.minRtt = Infinity;
  }
}

function priv(s: CongState): VegasPriv {
  return tcpCaPriv(s, VegasPriv);
}

/** `tcp_vegas_ssthresh`: just below cwnd. */
function vegasSsthresh(s: CongState): number {
  return Math.min(s.sndSsthresh, s.sndCwnd - s.mss);
}

/** Once-per-RTT Vegas decision (the body of `tcp_vegas_cong_avoid`). */
function vegasAdjust(s: CongState, p: VegasPriv, acked: number): void {
  const mss = s.mss;
  const rtt = p.minRtt;
  const base = Math.max(p.baseRtt, 1e-3);
  const cwnd = s.sndCwnd / mss;
  const targetCwnd = Math.floor((cwnd * base) / Math.max(rtt, 1e-3));
  const diff = (cwnd * (rtt - base)) / base;
  if (diff > VEGAS_GAMMA && tcpInSlowStart(s)) {
    // going too fast in slow start: to the rate the path carries, leave slow start
    s.sndCwnd = Math.min(s.sndCwnd, (targetCwnd + 1) * mss);
    s.sndSsthresh = vegasSsthresh(s);
  } else if (tcpInSlowStart(s)) {
    tcpSlowStart(s, acked);
  } else if (diff > VEGAS_BETA) {
    s.sndCwnd -= mss;
    s.sndSsthresh = vegasSsthresh(s);
  } else if (diff < VEGAS_ALPHA) {
    s.sndCwnd += mss;
  }
  if (s.sndCwnd < 2 * mss) s.sndCwnd = 2 * mss;
  // tcp_current_ssthresh: never below 3/4 of cwnd outside a reduction
  s.sndSsthresh = Math.max(s.sndSsthresh, Math.floor((3 * s.sndCwnd) / 4));
}

/** The Vegas module (`vegas`). */
export const vegasCongestionOps: CongestionOps = {
  name: 'vegas',
  flags: TCP_CONG_NON_RESTRICTED,
  init(s) {
    s.caPriv = new VegasPriv(s.sndNxt); // the registry drops it on a switch (no release needed)
  },
  ssthresh: tcpRenoSsthresh,
  congAvoid(s, acked) {
    const p = priv(s);
    if (!p.doingVegasNow || p.baseRtt === Infinity) {
      tcpRenoCongAvoid(s, acked); // off (not Open), or no RTT sample yet: Reno on every ACK
      return;
    }
    if (seqGt(s.sndUna, p.begSndNxt)) {
      p.begSndNxt = s.sndNxt;
      if (p.cntRtt <= 2) tcpRenoCongAvoid(s, acked); // too few samples to trust
      else vegasAdjust(s, p, acked);
      p.cntRtt = 0;
      p.minRtt = Infinity;
    } else if (tcpInSlowStart(s)) {
      tcpSlowStart(s, acked);
    }
  },
  setState(s, newState) {
    const p = priv(s);
    if (newState === TCP_CA_OPEN) {
      if (!p.doingVegasNow) p.enable(s.sndNxt);
    } else p.doingVegasNow = false;
  },
  cwndEvent(s, ev) {
    if (ev !== 'cwnd-restart' && ev !== 'tx-start') return;
    const p = priv(s); // tcp_vegas_init: measure the path afresh
    p.baseRtt = Infinity;
    p.enable(s.sndNxt);
  },
  undoCwnd: tcpRenoUndoCwnd,
  pktsAcked(s, sample) {
    if (sample.rttMs < 0) return;
    const p = priv(s);
    const rtt = sample.rttMs;
    if (rtt < p.baseRtt) p.baseRtt = rtt;
    if (rtt < p.minRtt) p.minRtt = rtt;
    p.cntRtt++;
  },
};
