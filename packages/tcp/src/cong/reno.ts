/**
 * Reno/NewReno (Linux `tcp_reno_cong_ops`; RFC 5681 slow start and congestion
 * avoidance — the NewReno recovery itself, RFC 6582, is the core's recovery.ts).
 *
 * Slow start grows cwnd by the bytes acked, up to ssthresh, as Linux's
 * `tcp_slow_start` (RFC 3465 byte counting without the L cap); congestion
 * avoidance adds one MSS per cwnd of acked bytes; ssthresh on loss is half the
 * flight size, at least 2·MSS (RFC 5681 eq. 4).
 *
 * @module
 */
import { TCP_CONG_NON_RESTRICTED, tcpInSlowStart, tcpRenoUndoCwnd, tcpSlowStart, type CongState, type CongestionOps } from './ops.js';

/** Reno's ssthresh (RFC 5681 eq. 4): max(FlightSize / 2, 2·MSS). */
export function tcpRenoSsthresh(s: CongState): number {
  return Math.max(Math.floor(s.inFlight / 2), 2 * s.mss);
}

/**
 * Reno's window growth on `acked` new bytes (Linux `tcp_reno_cong_avoid`): slow
 * start up to ssthresh, the rest in congestion avoidance (`tcp_cong_avoid_ai`).
 */
export function tcpRenoCongAvoid(s: CongState, acked: number): void {
  if (tcpInSlowStart(s)) {
    acked = tcpSlowStart(s, acked);
    if (acked <= 0) return;
  }
  s.bytesAcked += acked;
  if (s.bytesAcked >= s.sndCwnd) {
    const n = Math.floor(s.bytesAcked / s.sndCwnd);
    s.bytesAcked -= n * s.sndCwnd;
    s.sndCwnd += n * s.mss; // RFC 5681 eq. 3: one MSS per cwnd of bytes acknowledged
  }
}

/** The Reno module (`reno`). */
export const renoCongestionOps: CongestionOps = {
  name: 'reno',
  flags: TCP_CONG_NON_RESTRICTED,
  ssthresh: tcpRenoSsthresh,
  congAvoid: tcpRenoCongAvoid,
  undoCwnd: tcpRenoUndoCwnd,
};
