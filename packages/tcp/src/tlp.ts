/**
 * Tail loss probes (RFC 8985 §7; Linux `tcp_schedule_loss_probe`,
 * `tcp_send_loss_probe` in `tcp_output.c`, `tcp_process_tlp_ack` in
 * `tcp_input.c`): when the ACKs stop with data in flight, send one probe after
 * the probe timeout (PTO) instead of waiting for the RTO, so the ACK it elicits
 * (with SACK) lets RACK or fast recovery repair a tail loss.
 *
 * - PTO = 2·SRTT, plus the worst-case delayed-ACK time (`rtoMin`, 200 ms) when one
 *   segment is in flight (2 ms otherwise, `TCP_TIMEOUT_MIN`), 1 s before any RTT
 *   sample; never later than the RTO would fire.
 * - The probe is one new segment if the peer's window allows, else a
 *   retransmission of the last segment sent (split to its last MSS). At most one
 *   retransmitted probe is outstanding per episode (`tlp_high_seq`).
 * - An episode ends with the ACK of `tlp_high_seq`: a DSACK of the probe (or a
 *   pure duplicate ACK) means nothing was lost; an ACK beyond it means the probe
 *   repaired a loss, so cwnd is reduced once (`TCPLossProbeRecovery`).
 *
 * Like Linux, probes need SACK and `earlyRetrans` ≥ 3, and are scheduled only in
 * the Open state (no CWR state here). The probe timer is the socket's own
 * `lossTimer` (shared with RACK's reordering timer, rack.ts); the RTO timer keeps
 * running underneath and is restarted when a probe goes out.
 *
 * @module
 */

import {
  currentRto,
  resetRtxTimer,
  TCP_NAGLE_OFF,
  TCP_NAGLE_PUSH,
  tcpFragment,
  tcpRetransmitSkb,
  tcpWriteXmit,
} from './output.js';
import { tcpPacketsInFlight } from './scoreboard.js';
import { seqAdd, seqGt, seqLe, seqLt } from './seq.js';
import { CB_SEQ, CB_WHEN } from './skb-cb.js';
import { CaState, type TcpSock } from './sock.js';
import { TcpState } from './state.js';

/** `TCP_TIMEOUT_MIN`: slack added to the PTO when several segments are in flight (ms). */
const TCP_TIMEOUT_MIN_MS = 2;

/** Arms the loss timer for `kind` (3 probe, 4 RACK reordering) in `ms` (`inet_csk_reset_xmit_timer`). */
export function tcpArmLossTimer(sk: TcpSock, kind: 3 | 4, ms: number): void {
  sk.lossTimerKind = kind;
  sk.lossTimerAt = sk.stack.clock.now() + Math.max(ms, 0);
  sk.stack.wheel.mod(sk.lossTimer, Math.max(ms, 0));
}

/** Cancels the probe / reordering timer. */
export function tcpClearLossTimer(sk: TcpSock): void {
  sk.lossTimerKind = 0;
  sk.stack.wheel.del(sk.lossTimer);
}

/** Time left before the RTO of the head segment fires (`tcp_rto_delta_us`), ms. */
function rtoDelta(sk: TcpSock): number {
  const head = sk.rtxQueue.peek();
  if (head === null) return currentRto(sk);
  return currentRto(sk) - (sk.stack.clock.now() - head.cb[CB_WHEN]!);
}

/**
 * Schedules a probe in PTO if the connection qualifies (`tcp_schedule_loss_probe`).
 * `advancingRto`: the RTO was just restarted from now (an ACK advanced snd_una).
 * @returns whether the probe timer is armed
 */
export function tcpScheduleLossProbe(sk: TcpSock, advancingRto: boolean): boolean {
  const cfg = sk.stack.config;
  if (
    cfg.earlyRetrans < 3 ||
    !sk.sackOk ||
    sk.rtxQueue.qlen === 0 ||
    sk.caState !== CaState.OPEN ||
    (sk.state !== TcpState.ESTABLISHED && sk.state !== TcpState.CLOSE_WAIT && sk.state !== TcpState.FIN_WAIT1)
  ) {
    if (sk.lossTimerKind === 3) tcpClearLossTimer(sk);
    return false;
  }
  let timeout: number;
  if (sk.srtt > 0) timeout = 2 * sk.srtt + (sk.rtxQueue.qlen === 1 ? cfg.rtoMin : TCP_TIMEOUT_MIN_MS);
  else timeout = cfg.rtoInit;
  const delta = advancingRto ? currentRto(sk) : rtoDelta(sk);
  if (delta > 0) timeout = Math.min(timeout, delta);
  tcpArmLossTimer(sk, 3, timeout);
  return true;
}

/** After an ACK (`tcp_set_xmit_timer`): keep a pending RACK reordering timer, else (re)schedule the probe. */
export function tcpSetXmitTimer(sk: TcpSock, advancingRto: boolean): void {
  if (sk.lossTimerKind === 4 && sk.lossTimer.pending) return;
  tcpScheduleLossProbe(sk, advancingRto);
}

/** Sends one new segment even if cwnd is full (`tcp_write_xmit` with `push_one` = 2). */
function sendNewDataProbe(sk: TcpSock): boolean {
  const skb = sk.writeQueue.peek();
  if (skb === null) return false;
  const wndEnd = seqAdd(sk.sndUna, sk.sndWnd);
  if (seqGt(seqAdd(skb.cb[CB_SEQ]!, Math.min(skb.len, sk.mss)), wndEnd)) return false; // tcp_snd_wnd_test
  const cwnd = sk.sndCwnd;
  sk.sndCwnd = Math.max(cwnd, tcpPacketsInFlight(sk) + sk.mss); // one segment beyond cwnd (the pipe, RFC 6675)
  const sent = tcpWriteXmit(sk, TCP_NAGLE_OFF | TCP_NAGLE_PUSH);
  sk.sndCwnd = cwnd;
  if (sk.lossTimerKind === 3) tcpClearLossTimer(sk); // the probe schedules no probe (`push_one` = 2)
  return sent > 0;
}

/** Retransmits the last MSS of the last segment sent; false if not allowed now. */
function retransmitLastSegment(sk: TcpSock): boolean {
  if (sk.tlpPending) return false; // at most one outstanding retransmitted probe
  let skb = sk.rtxQueue.peekTail();
  if (skb === null || skb.len === 0) return false;
  if (skb.len > sk.mss) {
    const keep = (Math.ceil(skb.len / sk.mss) - 1) * sk.mss;
    tcpFragment(sk, skb, keep);
    skb = skb.next;
    if (skb === null) return false;
  }
  tcpRetransmitSkb(sk, skb);
  return true;
}

/** The probe timer fired (`tcp_send_loss_probe`). @returns whether a probe went out */
export function tcpSendLossProbe(sk: TcpSock): boolean {
  if (sk.rtxQueue.qlen === 0 || sk.caState !== CaState.OPEN) return false;
  let sent = sendNewDataProbe(sk);
  if (sent) sk.tlpRetrans = false;
  else if (sk.writeQueue.qlen === 0 && retransmitLastSegment(sk)) {
    sent = true;
    sk.tlpRetrans = true;
  }
  if (!sent) return false; // the RTO stays armed
  sk.tlpHighSeq = sk.sndNxt;
  sk.tlpPending = true;
  sk.stack.mib.lossProbes++;
  resetRtxTimer(sk, 1, currentRto(sk)); // the RTO restarts from the probe (`tcp_rearm_rto`)
  return true;
}

/**
 * The RTO fired while a probe is due at the same time: in Linux both are one
 * timer and the PTO is capped at the RTO, so the probe goes out instead of the
 * RTO (timers.ts). @returns whether the probe replaced the RTO
 */
export function tcpLossProbeInsteadOfRto(sk: TcpSock): boolean {
  if (sk.lossTimerKind !== 3 || !sk.lossTimer.pending || sk.lossTimerAt > sk.stack.clock.now()) return false;
  tcpClearLossTimer(sk);
  return tcpSendLossProbe(sk);
}

/** What an ACK did, for {@link tcpProcessTlpAck} (Linux `FLAG_*` bits). */
export interface TlpAckFlags {
  /** snd_una advanced (`FLAG_SND_UNA_ADVANCED`). */
  readonly unaAdvanced: boolean;
  /** The ACK carried data or a window update (`FLAG_NOT_DUP` beyond acking). */
  readonly notDup: boolean;
  /** The ACK SACKed new data (`FLAG_DATA_SACKED`). */
  readonly dataSacked: boolean;
  /** Its DSACK block reports the probe itself (`FLAG_DSACK_TLP`). */
  readonly dsackTlp: boolean;
}

/**
 * Ends a probe episode (`tcp_process_tlp_ack`, RFC 8985 §7.4): called for every
 * ACK while a probe is outstanding.
 */
export function tcpProcessTlpAck(sk: TcpSock, ack: number, f: TlpAckFlags): void {
  if (!sk.tlpPending || seqLt(ack, sk.tlpHighSeq)) return;
  if (!sk.tlpRetrans) {
    sk.tlpPending = false; // a probe of new data was acknowledged
  } else if (f.dsackTlp) {
    sk.tlpPending = false; // original and probe both arrived: no loss
  } else if (seqGt(ack, sk.tlpHighSeq)) {
    // the probe repaired a loss: one cwnd reduction (`tcp_init_cwnd_reduction` + `tcp_end_cwnd_reduction`)
    sk.tlpPending = false;
    sk.sndSsthresh = sk.ca.ssthresh(sk);
    sk.sndCwnd = Math.max(Math.min(sk.sndCwnd, sk.sndSsthresh), 2 * sk.mss);
    sk.stack.mib.lossProbeRecovery++;
  } else if (!f.unaAdvanced && !f.notDup && !f.dataSacked) {
    sk.tlpPending = false; // pure duplicate ACK: original and probe arrived
  }
}

/** Whether [left, right) is exactly the DSACK of an outstanding retransmitted probe. */
export function tcpDsackIsTlp(sk: TcpSock, left: number, right: number): boolean {
  return sk.tlpPending && sk.tlpRetrans && right === sk.tlpHighSeq && seqLe(left, right);
}
