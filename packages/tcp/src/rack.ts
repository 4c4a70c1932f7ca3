/**
 * RACK loss detection (RFC 8985 §6; Linux `net/ipv4/tcp_recovery.c`:
 * `tcp_rack_advance`, `tcp_rack_detect_loss`, `tcp_rack_mark_lost`,
 * `tcp_rack_reo_timeout`, `tcp_rack_update_reo_wnd`): a segment is lost when a
 * segment sent sufficiently later has been delivered — time order instead of the
 * duplicate-ACK count, so lost retransmissions and tail losses are found too.
 *
 * - Every delivered segment (cumulatively ACKed or SACKed) advances
 *   `rack.mstamp`/`rack.endSeq` to the most recently sent one and `rack.rtt` to
 *   its RTT (an RTT below min_rtt from a retransmitted segment is ambiguous and
 *   ignored).
 * - Reordering window: min_rtt/4 × `reoWndSteps`, at most SRTT. Until
 *   reordering has been seen it is 0 in recovery and once `dupThresh` segments are
 *   SACKed (unless `TCP_RACK_NO_DUPTHRESH`). A DSACK widens it by one step per
 *   round trip, kept for 16 recoveries (unless `TCP_RACK_STATIC_REO_WND`).
 * - A segment sent before `rack.mstamp` (ties by end_seq) whose
 *   `rack.rtt + reo_wnd` has elapsed since its transmission is marked
 *   `TCPCB_LOST` (a lost retransmission loses `TCPCB_SACKED_RETRANS`,
 *   `TCPLostRetransmit`); for the rest the reordering timer is armed for the
 *   longest remaining wait.
 * - Lost segments start fast recovery if not in it and are retransmitted.
 *
 * RACK runs on SACK connections with `recovery & TCP_RACK_LOSS_DETECTION` (on by
 * default). The SACK scoreboard (sacktag.ts) reports each newly SACKed segment
 * through {@link tcpLossSkbSacked}; marking and retransmission use the
 * scoreboard's counters (scoreboard.ts, retransmit.ts) and recovery starts through
 * `tcpEnterRecovery` (recovery.ts). Time is the stack clock in ms (Linux: µs); all
 * scans are bounded by the retransmit queue.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { tcpEnterRecovery } from './recovery.js';
import { tcpXmitRetransmitQueue } from './retransmit.js';
import { tcpSkbMarkLost } from './scoreboard.js';
import { seqGt } from './seq.js';
import { CB_END_SEQ, CB_RETRANS, CB_SACKED, CB_WHEN, TCPCB_LOST, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS } from './skb-cb.js';
import { CaState, type TcpSock } from './sock.js';
import { TCP_RACK_LOSS_DETECTION, TCP_RACK_NO_DUPTHRESH, TCP_RACK_STATIC_REO_WND } from './stack.js';
import { tcpArmLossTimer, tcpClearLossTimer, tcpProcessTlpAck, tcpSetXmitTimer } from './tlp.js';
import { tcpInitUndo, tcpUndoSkbAcked, undoAck } from './undo.js';

/** Window of the min-RTT filter (`tcp_min_rtt_wlen`, 300 s). */
const MIN_RTT_WLEN_MS = 300_000;
/** Recoveries a widened reordering window persists (`TCP_RACK_RECOVERY_THRESH`). */
const TCP_RACK_RECOVERY_THRESH = 16;
/** Slack added to the reordering timer (`TCP_TIMEOUT_MIN_US`, 2 ms here at ms resolution). */
const REO_TIMER_SLACK_MS = 2;

/** RACK applies to `sk` (SACK negotiated, `tcp_recovery` bit 1). */
export function tcpIsRack(sk: TcpSock): boolean {
  return sk.sackOk && (sk.stack.config.recovery & TCP_RACK_LOSS_DETECTION) !== 0;
}

/** `tcp_skb_sent_after`: (t1, seq1) sent after (t2, seq2); ties broken by end_seq. */
function sentAfter(t1: number, t2: number, seq1: number, seq2: number): boolean {
  return t1 > t2 || (t1 === t2 && seqGt(seq1, seq2));
}

/** Windowed minimum RTT (`tcp_update_rtt_min`, simplified to one sample per window). */
function updateMinRtt(sk: TcpSock, rtt: number, now: number): void {
  if (sk.minRtt === 0 || rtt <= sk.minRtt || now - sk.minRttStamp > MIN_RTT_WLEN_MS) {
    sk.minRtt = Math.max(rtt, 0.001);
    sk.minRttStamp = now;
  }
}

/** A segment was delivered (`tcp_rack_advance`, RFC 8985 §6.2 step 2). */
export function tcpRackAdvance(sk: TcpSock, skb: SkBuff): void {
  const when = skb.cb[CB_WHEN]!;
  if (when <= 0) return;
  const now = sk.stack.clock.now();
  const rtt = now - when;
  const retrans = skb.cb[CB_RETRANS]! > 0;
  if (!retrans) updateMinRtt(sk, rtt, now);
  if (retrans && rtt < sk.minRtt) return; // probably the original was delivered: ambiguous
  sk.rackAdvanced = true;
  sk.rackRtt = rtt;
  const end = skb.cb[CB_END_SEQ]!;
  if (sentAfter(when, sk.rackMstamp, end, sk.rackEndSeq)) {
    sk.rackMstamp = when;
    sk.rackEndSeq = end;
  }
}

/** SACKed by the current ACK (set by {@link tcpLossSkbSacked}). */
let newlySacked = false;

/** sacktag.ts hook for every newly SACKed skb (`tcp_sacktag_one` → `tcp_rack_advance`; F-RTO evidence). */
export function tcpLossSkbSacked(sk: TcpSock, skb: SkBuff): void {
  newlySacked = true;
  tcpUndoSkbAcked(skb);
  if (tcpIsRack(sk)) tcpRackAdvance(sk, skb);
}

/** The reordering window in ms (`tcp_rack_reo_wnd`). */
export function tcpRackReoWnd(sk: TcpSock): number {
  const cfg = sk.stack.config;
  if (sk.reordSeen === 0) {
    if (sk.caState >= CaState.RECOVERY) return 0;
    if ((cfg.recovery & TCP_RACK_NO_DUPTHRESH) === 0 && sk.sb.sackedOut >= cfg.dupThresh * sk.mss) return 0;
  }
  return Math.min((sk.minRtt / 4) * sk.rackReoWndSteps, sk.srtt);
}

/**
 * Marks lost every segment RACK proves lost (`tcp_rack_detect_loss`, RFC 8985 §6.2
 * step 5). @returns the longest remaining wait of the others (ms, 0 = none) and
 * how many were newly marked, as `[wait, marked]`
 */
export function tcpRackDetectLoss(sk: TcpSock): [number, number] {
  const now = sk.stack.clock.now();
  const reoWnd = tcpRackReoWnd(sk);
  let wait = 0;
  let marked = 0;
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) {
    const s = skb.cb[CB_SACKED]!;
    if ((s & TCPCB_SACKED_ACKED) !== 0) continue;
    if ((s & TCPCB_LOST) !== 0 && (s & TCPCB_SACKED_RETRANS) === 0) continue; // lost, awaiting retransmission
    const when = skb.cb[CB_WHEN]!;
    if (!sentAfter(sk.rackMstamp, when, sk.rackEndSeq, skb.cb[CB_END_SEQ]!)) {
      // never-retransmitted segments are in send order: none further was sent earlier
      if (skb.cb[CB_RETRANS] === 0) break;
      continue;
    }
    const remaining = sk.rackRtt + reoWnd - (now - when);
    if (remaining <= 0) {
      if (!tcpSkbMarkLost(sk, skb)) continue;
      if ((s & TCPCB_SACKED_RETRANS) !== 0) sk.stack.mib.lostRetransmit++;
      sk.stack.mib.rackLost++;
      marked++;
    } else if (remaining > wait) wait = remaining;
  }
  return [wait, marked];
}

/** Acts on newly marked losses (`tcp_time_to_recover` → `tcp_enter_recovery`, `tcp_xmit_retransmit_queue`). */
function onRackLoss(sk: TcpSock): void {
  if (sk.caState >= CaState.RECOVERY) {
    tcpXmitRetransmitQueue(sk);
    return;
  }
  const cwnd = sk.sndCwnd;
  const ssthresh = sk.sndSsthresh;
  tcpEnterRecovery(sk);
  tcpXmitRetransmitQueue(sk);
  tcpInitUndo(sk, cwnd, ssthresh); // what a spurious recovery restores (undo.ts)
}

/** Scans if RACK advanced and arms the reordering timer (`tcp_rack_mark_lost`). @returns whether the timer was armed */
function rackMarkLost(sk: TcpSock): boolean {
  if (!sk.rackAdvanced) return false;
  sk.rackAdvanced = false;
  const [wait, marked] = tcpRackDetectLoss(sk);
  if (marked > 0) onRackLoss(sk);
  if (wait > 0) {
    tcpArmLossTimer(sk, 4, Math.min(wait + REO_TIMER_SLACK_MS, sk.rto));
    return true;
  }
  if (sk.lossTimerKind === 4) tcpClearLossTimer(sk);
  return false;
}

/** Adapts the reordering window to DSACKs (`tcp_rack_update_reo_wnd`). */
function updateReoWnd(sk: TcpSock): void {
  if ((sk.stack.config.recovery & TCP_RACK_STATIC_REO_WND) !== 0) return;
  const now = sk.stack.clock.now();
  if (sk.rackDsackSeen && now - sk.rackReoWndStamp < sk.srtt) sk.rackDsackSeen = false; // one step per round trip
  if (sk.rackDsackSeen) {
    sk.rackReoWndSteps = Math.min(255, sk.rackReoWndSteps + 1);
    sk.rackDsackSeen = false;
    sk.rackReoWndStamp = now;
    sk.rackReoWndPersist = TCP_RACK_RECOVERY_THRESH;
  } else if (sk.rackReoWndPersist === 0) {
    sk.rackReoWndSteps = 1;
  }
}

/** A segment the ACK covers cumulatively is being freed (ack.ts). */
export function tcpRackSkbAcked(sk: TcpSock, skb: SkBuff): void {
  if (tcpIsRack(sk)) tcpRackAdvance(sk, skb);
}

/**
 * End of ACK processing (ack.ts, after the recovery state machine and undo): RACK
 * loss detection, the probe episode, and the probe /
 * reordering timer (RFC 8985 §6.2, §7.4; Linux `tcp_ack` tail).
 */
export function tcpRackTlpAck(sk: TcpSock, ack: number, notDup: boolean): void {
  if (undoAck.sk !== sk) return; // this ACK's record was overwritten by a nested one (undo.ts)
  const advanced = seqGt(ack, undoAck.priorUna);
  const dataSacked = newlySacked;
  newlySacked = false;
  let reoArmed = false;
  if (tcpIsRack(sk)) {
    updateReoWnd(sk);
    if (sk.rtxQueue.qlen > 0) reoArmed = rackMarkLost(sk);
    else if (sk.lossTimerKind === 4) tcpClearLossTimer(sk);
  }
  // a cwnd reduction started (fast recovery): the probe episode is over (`tcp_init_cwnd_reduction`)
  if (sk.caState === CaState.RECOVERY && undoAck.priorState < CaState.RECOVERY) sk.tlpPending = false;
  tcpProcessTlpAck(sk, ack, { unaAdvanced: advanced, notDup, dataSacked, dsackTlp: undoAck.dsackTlp });
  if (!reoArmed) tcpSetXmitTimer(sk, advanced);
}

/** The reordering timer fired (`tcp_rack_reo_timeout`). */
export function tcpRackReoTimeout(sk: TcpSock): void {
  sk.stack.mib.rackReoTimeouts++;
  const [wait, marked] = tcpRackDetectLoss(sk);
  if (marked > 0) onRackLoss(sk);
  if (wait > 0) tcpArmLossTimer(sk, 4, Math.min(wait + REO_TIMER_SLACK_MS, sk.rto));
}

/** Segments marked lost and not yet retransmitted (`lost_out` in segments, `tcpi_lost`). */
export function tcpLostOut(sk: TcpSock): number {
  return Math.ceil(sk.sb.lostOut / Math.max(1, sk.mss));
}

/** Retransmitted segments in flight (`retrans_out` in segments, `tcpi_retrans`). */
export function tcpRetransOut(sk: TcpSock): number {
  return Math.ceil(sk.sb.retransOut / Math.max(1, sk.mss));
}
