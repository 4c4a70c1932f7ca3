/**
 * Proportional Rate Reduction (RFC 6937; Linux `tcp_init_cwnd_reduction`,
 * `tcp_cwnd_reduction`, `tcp_end_cwnd_reduction`): during fast recovery cwnd is
 * set on every ACK to pipe + what may be sent now, so the window comes down to
 * ssthresh smoothly instead of stopping and bursting.
 *
 * - pipe > ssthresh: send in proportion, ⌈ssthresh · prr_delivered / prior_cwnd⌉ − prr_out;
 * - pipe ≤ ssthresh: slow-start reduction bound (PRR-SSRB as Linux): at most
 *   ssthresh − pipe, and at least what this ACK delivered (+1 MSS when snd_una
 *   advanced and nothing was newly marked lost);
 * - the first ACK always allows one segment: the fast retransmit.
 *
 * Amounts are bytes (cwnd is in bytes here).
 *
 * @module
 */

import { tcpPacketsInFlight } from './scoreboard.js';
import type { TcpSock } from './sock.js';

/** Start of a reduction (`tcp_init_cwnd_reduction`): ssthresh from the module, PRR counters cleared. */
export function tcpInitCwndReduction(sk: TcpSock): void {
  const sb = sk.sb;
  sk.priorCwnd = sk.sndCwnd;
  sb.prrDelivered = 0;
  sb.prrOut = 0;
  sk.sndSsthresh = sk.ca.ssthresh(sk);
}

/**
 * One ACK in recovery (`tcp_cwnd_reduction`): `delivered` bytes newly ACKed or
 * SACKed, `newlyLost` bytes newly marked lost, `unaAdvanced` the cumulative ACK moved.
 */
export function tcpCwndReduction(sk: TcpSock, delivered: number, newlyLost: number, unaAdvanced: boolean): void {
  const sb = sk.sb;
  if (delivered <= 0 || sk.priorCwnd <= 0) return;
  sb.prrDelivered += delivered;
  const pipe = tcpPacketsInFlight(sk);
  const delta = sk.sndSsthresh - pipe;
  let sndcnt: number;
  if (delta < 0) {
    sndcnt = Math.ceil((sk.sndSsthresh * sb.prrDelivered) / sk.priorCwnd) - sb.prrOut;
  } else {
    sndcnt = Math.max(sb.prrDelivered - sb.prrOut, delivered);
    if (unaAdvanced && newlyLost === 0) sndcnt += sk.mss;
    sndcnt = Math.min(delta, sndcnt);
  }
  sndcnt = Math.max(sndcnt, sb.prrOut > 0 ? 0 : sk.mss);
  sk.sndCwnd = pipe + sndcnt;
}

/** End of recovery (`tcp_end_cwnd_reduction`): cwnd is ssthresh. */
export function tcpEndCwndReduction(sk: TcpSock): void {
  if (sk.sndSsthresh < 0x7fffffff) sk.sndCwnd = Math.max(sk.sndSsthresh, 2 * sk.mss);
}
