/**
 * ACK processing (Linux `tcp_ack` and `tcp_clean_rtx_queue` in `tcp_input.c`):
 * the window update rule, snd_una advance, RTT sampling (RFC 6298), write-space
 * wakeups; loss detection and recovery decisions are delegated to recovery.ts.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { tcpCaAckBegin, tcpCaAckEnd, tcpCaAckSkb } from './cong/ack-sample.js';
import { skWmemFreeSkb } from './proto.js';
import { clearRtxTimer, currentRto, resetRtxTimer, tcpSendChallengeAck } from './output.js';
import { tcpFastRetransAlert } from './recovery.js';
import { tcpSackBlocksOf, tcpSacktagWriteQueue } from './sacktag.js';
import { tcpSbCleanAcked, tcpSbTrimHead } from './scoreboard.js';
import { tcpRackSkbAcked, tcpRackTlpAck } from './rack.js';
import { tcpUndoAckBegin, tcpUndoAckEnd, tcpUndoSkbAcked } from './undo.js';
import { seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { CB_ACK, CB_DOFF, CB_END_SEQ, CB_FLAGS, CB_SEQ, CB_WINDOW } from './skb-cb.js';
import type { TcpSock } from './sock.js';
import { TCP_HEADER_LEN, TcpFlags } from './wire/tcp.js';

/** RTT sample → SRTT/RTTVAR/RTO (RFC 6298 §2, Linux `tcp_rtt_estimator` + `tcp_set_rto`). */
export function tcpRttEstimator(sk: TcpSock, r: number): void {
  const cfg = sk.stack.config;
  const m = Math.max(r, 0.001);
  if (sk.srtt === 0) {
    sk.srtt = m;
    sk.rttvar = m / 2;
  } else {
    sk.rttvar = 0.75 * sk.rttvar + 0.25 * Math.abs(sk.srtt - m);
    sk.srtt = 0.875 * sk.srtt + 0.125 * m;
  }
  sk.rto = Math.min(cfg.rtoMax, sk.srtt + Math.max(4 * sk.rttvar, cfg.rtoMin));
}

/** Removes fully acknowledged skbs (`tcp_clean_rtx_queue`), takes an RTT sample (Karn). */
export function tcpCleanRtxQueue(sk: TcpSock, ack: number): void {
  tcpCaAckBegin(sk);
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = sk.rtxQueue.peek()) {
    if (!seqLe(skb.cb[CB_END_SEQ]!, ack)) break;
    tcpCaAckSkb(sk, skb);
    tcpUndoSkbAcked(skb); // F-RTO: original data acknowledged (undo.ts)
    tcpRackSkbAcked(sk, skb); // RACK: delivered (rack.ts)
    sk.rtxQueue.unlink(skb);
    skWmemFreeSkb(sk, skb);
  }
  // after go-back-N, acknowledged data may sit at the head of the write queue
  for (let skb = sk.writeQueue.peek(); skb !== null; skb = sk.writeQueue.peek()) {
    if (!seqLe(skb.cb[CB_END_SEQ]!, ack)) break;
    tcpUndoSkbAcked(skb);
    sk.writeQueue.unlink(skb);
    skWmemFreeSkb(sk, skb);
  }
  if (sk.rttTime >= 0 && seqGe(ack, sk.rttSeq)) {
    tcpRttEstimator(sk, sk.stack.clock.now() - sk.rttTime);
    sk.rttTime = -1;
  }
  tcpCaAckEnd(sk); // the module's pkts_acked, after the RTT estimator as in Linux
}

/** Wakes a blocked writer when the free send space passes the low watermark (`sk_stream_write_space`). */
export function tcpCheckSpace(sk: TcpSock): void {
  if (!sk.writeBlocked) return;
  const free = sk.wspace();
  if (free >= (sk.wmemQueued >>> 1) && free >= sk.sndLowat) {
    sk.writeBlocked = false;
    sk.onWriteSpace?.(sk);
  }
}

/**
 * Processes the ACK field (`tcp_ack`): window update, snd_una advance, RTT,
 * congestion control (RFC 5681) and NewReno fast retransmit/recovery (RFC 6582).
 * @returns -1 to drop the segment, 0 for an old ACK (ignored), 1 otherwise
 */
export function tcpAck(sk: TcpSock, skb: SkBuff): number {
  const ack = skb.cb[CB_ACK]!;
  const seq = skb.cb[CB_SEQ]!;
  const flags = skb.cb[CB_FLAGS]!;
  if (seqGt(ack, sk.sndMax)) {
    // ACK of something not yet sent: Linux drops it silently (tcp_ack,
    // SKB_DROP_REASON_TCP_ACK_UNSENT_DATA) where RFC 9293 would ACK it
    return -1;
  }
  if (seqLt(ack, sk.sndUna)) {
    if (seqLt(ack, (sk.sndUna - sk.maxWindow) >>> 0)) {
      tcpSendChallengeAck(sk); // RFC 5961 §5.2: too old
      return -1;
    }
    return 0;
  }
  const stack = sk.stack;
  tcpUndoAckBegin(sk, skb, ack); // RACK-TLP / undo: SACK and DSACK blocks, TSecr, state before (undo.ts)
  const nwin = sk.stack.winScaled(skb.cb[CB_WINDOW]!, sk.sndWscale);
  let winUpdate = false;
  // tcp_may_update_window (RFC 9293 SND.WL1/WL2 rule)
  if (seqGt(ack, sk.sndUna) || seqGt(seq, sk.sndWl1) || (seq === sk.sndWl1 && nwin > sk.sndWnd)) {
    if (nwin !== sk.sndWnd) {
      winUpdate = true;
      sk.sndWnd = nwin;
      if (nwin > sk.maxWindow) sk.maxWindow = nwin;
    }
    sk.sndWl1 = seq;
    sk.sndWl2 = ack;
  }
  const acked = (ack - sk.sndUna) >>> 0;
  if (acked > 0) {
    tcpSbCleanAcked(sk, ack); // scoreboard counters of what this ACK frees (scoreboard.ts)
    tcpCleanRtxQueue(sk, ack);
    sk.sndUna = ack;
    if (seqLt(sk.sndNxt, ack)) sk.sndNxt = ack;
    sk.retransmits = 0;
    sk.backoff = 0;
    sk.probesOut = 0;
  }
  // sender scoreboard: the ACK's SACK blocks (sacktag.ts), then the recovery state machine (recovery.ts)
  const blocks = sk.sackOk && skb.cb[CB_DOFF]! > TCP_HEADER_LEN ? tcpSackBlocksOf(skb) : null;
  tcpSbTrimHead(sk, blocks !== null && blocks.length > 0);
  const sacked = blocks !== null ? tcpSacktagWriteQueue(sk, blocks, ack) : 0;
  const dup =
    acked === 0 &&
    skb.len === 0 &&
    !winUpdate &&
    (flags & (TcpFlags.SYN | TcpFlags.FIN)) === 0 &&
    sk.rtxQueue.qlen > 0 &&
    ack === sk.sndUna;
  tcpFastRetransAlert(sk, ack, acked, sacked, dup);
  if (acked > 0) {
    if (sk.rtxQueue.qlen > 0) resetRtxTimer(sk, 1, currentRto(sk));
    else if (sk.pendingTimer === 1) clearRtxTimer(sk);
    stack.mib.ackedBytes += acked;
    tcpCheckSpace(sk);
  }
  tcpUndoAckEnd(sk, ack); // spurious-retransmission undo, F-RTO (undo.ts)
  tcpRackTlpAck(sk, ack, winUpdate || skb.len > 0); // RACK loss detection, TLP episode, probe timer (rack.ts)
  if (winUpdate && sk.pendingTimer === 2 && sk.sndWnd > 0) clearRtxTimer(sk);
  return 1;
}

