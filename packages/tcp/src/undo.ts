/**
 * Undo of spurious retransmissions (Linux `tcp_input.c`: `tcp_check_dsack`,
 * `tcp_may_undo`, `tcp_packet_delayed`, `tcp_undo_cwnd_reduction`,
 * `tcp_try_undo_recovery` / `_dsack` / `_partial` / `_loss`, and F-RTO in
 * `tcp_process_loss`): when a fast retransmit or an RTO turns out to have been
 * caused by delay or reordering rather than loss, cwnd and ssthresh go back to
 * their values before the episode.
 *
 * Evidence, per RFC:
 * - DSACK (RFC 2883, RFC 3708): every retransmission of the episode is reported
 *   as a duplicate, `undo_retrans` counts down to 0 → `TCPDSACKUndo`, or at the
 *   full ACK `TCPFullUndo` / `TCPLossUndo`;
 * - Eifel (RFC 3522), with timestamps: an ACK echoes a TSval older than the
 *   episode's first retransmission, so the original arrived → full, partial
 *   (`TCPPartialUndo`) or loss undo;
 * - F-RTO (RFC 5682 §3, the SACK-enhanced variant Linux runs): after an RTO the
 *   first ACK that advances snd_una makes the sender send new data instead of
 *   retransmissions (`frtoHold`, honoured by retransmit.ts); if a later ACK
 *   acknowledges or SACKs data sent before the RTO and never retransmitted, the
 *   RTO was spurious (`TCPSpuriousRTOs` + `TCPLossUndo`); a duplicate ACK after the
 *   new data means the loss was real and the retransmissions resume.
 *
 * The per-ACK calls come from ack.ts ({@link tcpUndoAckBegin}, {@link tcpUndoSkbAcked},
 * {@link tcpUndoAckEnd}), the RTO from timers.ts ({@link tcpUndoEnterLoss}), and
 * every retransmission from output.ts ({@link tcpUndoRetransmitted}).
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { currentRto, resetRtxTimer, TCP_NAGLE_OFF, TCP_NAGLE_PUSH, tcpTsval, tcpWriteXmit } from './output.js';
import { seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { tcpIsDsack, tcpSackBlocksOf } from './sacktag.js';
import { tcpPacketsInFlight, tcpSbForget, tcpSbRestore } from './scoreboard.js';
import { CB_END_SEQ, CB_RETRANS, CB_SACKED, CB_SEQ, CB_WHEN, TCPCB_LOST, TCPCB_SACKED_ACKED } from './skb-cb.js';
import { CaState, type TcpSock } from './sock.js';
import { tcpLossSkbSacked } from './rack.js';
import { sacktagHooks } from './sacktag.js';
import { tcpRcvTimestamps } from './timestamps.js';
import { tcpDsackIsTlp } from './tlp.js';
import type { SackBlock } from './wire/tcp.js';

/** What the ACK being processed showed (one ACK at a time: the stack is single-threaded). */
export interface UndoAck {
  /** The socket whose ACK this is (a nested ACK of another socket would overwrite it: the hooks then skip). */
  sk: TcpSock | null;
  priorState: number;
  priorCwnd: number;
  priorSsthresh: number;
  priorUna: number;
  /** SACK blocks the ACK carried (empty without SACK). */
  sack: readonly SackBlock[];
  /** The first block is a DSACK (RFC 2883 §4). */
  dsack: boolean;
  /** That DSACK reports the outstanding tail-loss probe (`FLAG_DSACK_TLP`). */
  dsackTlp: boolean;
  /** A never-retransmitted segment sent before high_seq was acknowledged or SACKed (`FLAG_ORIG_SACK_ACKED`). */
  origAcked: boolean;
  /** high_seq when the ACK arrived. */
  highSeq: number;
  /** The ACK's TSecr, when it carried timestamps (`rx_opt.rcv_tsecr`, 0 = none). */
  tsecr: number;
}

const NO_SACK: readonly SackBlock[] = [];
/** The current ACK (reset by {@link tcpUndoAckBegin}). */
export const undoAck: UndoAck = {
  sk: null,
  priorState: 0,
  priorCwnd: 0,
  priorSsthresh: 0,
  priorUna: 0,
  sack: NO_SACK,
  dsack: false,
  dsackTlp: false,
  origAcked: false,
  highSeq: 0,
  tsecr: 0,
};

/** Segments (of `mss`) a byte range spans. */
function segsOf(sk: TcpSock, left: number, right: number): number {
  return Math.max(1, Math.ceil(((right - left) >>> 0) / Math.max(1, sk.mss)));
}

/**
 * The first SACK block is a DSACK if it lies below the cumulative ACK or inside
 * the second block (`tcp_check_dsack`, RFC 2883 §4). Counts it, and takes the
 * retransmissions it shows spurious off `undo_retrans`.
 */
function checkDsack(sk: TcpSock, blocks: readonly SackBlock[], ack: number): boolean {
  const b0 = blocks[0];
  if (b0 === undefined) return false;
  if (!tcpIsDsack(blocks, ack)) return false;
  sk.stack.mib.dsackRecv++;
  sk.dsackDups++;
  undoAck.dsackTlp = tcpDsackIsTlp(sk, b0.left, b0.right);
  if (!undoAck.dsackTlp) {
    sk.rackDsackSeen = true; // RACK widens its reordering window (rack.ts)
    sk.reordSeen++;
  }
  if (!sk.undoPending || sk.undoRetrans <= 0) return true;
  if (!seqGt(b0.right, undoAck.priorUna)) {
    // data already acknowledged and freed: count the segments the block spans ("dumb counting")
    if (seqGt(b0.right, sk.undoMarker)) sk.undoRetrans = Math.max(0, sk.undoRetrans - segsOf(sk, b0.left, b0.right));
    return true;
  }
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) {
    const seq = skb.cb[CB_SEQ]!;
    if (!seqLt(seq, b0.right)) break;
    if (seqGe(seq, b0.left) && seqLe(skb.cb[CB_END_SEQ]!, b0.right) && skb.cb[CB_RETRANS]! > 0 && sk.undoRetrans > 0) sk.undoRetrans--;
  }
  return true;
}

/** Start of ACK processing: what undo and RACK-TLP need from the segment (ack.ts). */
export function tcpUndoAckBegin(sk: TcpSock, skb: SkBuff, ack: number): void {
  const u = undoAck;
  u.sk = sk;
  u.priorState = sk.caState;
  u.priorCwnd = sk.sndCwnd;
  u.priorSsthresh = sk.sndSsthresh;
  u.priorUna = sk.sndUna;
  u.origAcked = false;
  u.highSeq = sk.highSeq;
  u.dsackTlp = false;
  sacktagHooks.skbSacked = tcpLossSkbSacked; // newly SACKed skbs reach RACK and F-RTO (rack.ts)
  u.sack = sk.sackOk ? tcpSackBlocksOf(skb) : NO_SACK;
  u.dsack = u.sack.length > 0 && checkDsack(sk, u.sack, ack);
  u.tsecr = sk.tstampOk ? (tcpRcvTimestamps(skb)?.tsecr ?? 0) : 0;
  // F-RTO step 2b (RFC 5682): the first ACK after the RTO that advances snd_una
  // (not past high_seq) sends new data instead of retransmissions, this once
  const next = sk.writeQueue.peek();
  sk.frtoHold =
    sk.frto &&
    sk.sackOk &&
    sk.caState === CaState.LOSS &&
    seqGt(ack, sk.sndUna) &&
    seqLt(ack, sk.highSeq) &&
    !seqGt(sk.sndNxt, sk.highSeq) &&
    next !== null &&
    seqLt(next.cb[CB_SEQ]!, (sk.sndUna + sk.sndWnd) >>> 0); // new data the peer's window takes
}

/** A segment the ACK covers is being freed (`tcp_clean_rtx_queue`), or was newly SACKed (rack.ts). */
export function tcpUndoSkbAcked(skb: SkBuff): void {
  if (skb.cb[CB_RETRANS] === 0 && (skb.cb[CB_SACKED]! & TCPCB_SACKED_ACKED) === 0 && !seqGt(skb.cb[CB_END_SEQ]!, undoAck.highSeq)) {
    undoAck.origAcked = true;
  }
}

/** A segment was retransmitted (`__tcp_retransmit_skb`: `retrans_stamp`, `undo_retrans`). */
export function tcpUndoRetransmitted(sk: TcpSock): void {
  if (!sk.retransStampSet) {
    sk.retransStamp = sk.tstampOk ? tcpTsval(sk) : 0;
    sk.retransStampSet = true;
  }
  if (sk.undoRetrans < 0) sk.undoRetrans = 0;
  sk.undoRetrans++;
}

/** `tcp_current_ssthresh`: the ssthresh a reduction starting now would undo to. */
function currentSsthresh(cwnd: number, ssthresh: number): number {
  return Math.max(ssthresh, (cwnd >>> 1) + (cwnd >>> 2));
}

/** A recovery or loss episode begins (`tcp_init_undo`): remember what to restore (also rack.ts, for recovery it starts). */
export function tcpInitUndo(sk: TcpSock, cwnd: number, ssthresh: number): void {
  sk.undoMarker = sk.sndUna;
  sk.undoPending = true;
  const r = sk.sb.retransOut;
  sk.undoRetrans = r > 0 ? segsOf(sk, 0, r) : -1;
  sk.priorCwnd = cwnd;
  sk.priorSsthresh = currentSsthresh(cwnd, ssthresh);
}

/**
 * An RTO is about to enter Loss (`tcp_enter_loss`, before it reduces cwnd; timers.ts).
 * A new episode (from Open/Disorder, after the last one was recovered, or the first
 * RTO of a Loss episode) records the undo state; F-RTO starts when enabled.
 */
export function tcpUndoEnterLoss(sk: TcpSock): void {
  const newRecovery = sk.caState < CaState.RECOVERY;
  if (newRecovery || !seqLt(sk.sndUna, sk.highSeq) || (sk.caState === CaState.LOSS && sk.retransmits === 0)) {
    tcpInitUndo(sk, sk.sndCwnd, sk.sndSsthresh);
  }
  sk.frto = sk.stack.config.frto > 0 && (newRecovery || sk.retransmits > 0);
  sk.frtoHold = false;
}

/** Ack echoes a timestamp from before the first retransmission (`tcp_packet_delayed`, Eifel). */
function packetDelayed(sk: TcpSock): boolean {
  return sk.retransStampSet && undoAck.tsecr !== 0 && sk.tstampOk && ((undoAck.tsecr - sk.retransStamp) | 0) < 0;
}

/** `tcp_may_undo`: every retransmission DSACKed, or Eifel says the original arrived. */
function mayUndo(sk: TcpSock): boolean {
  return sk.undoPending && (sk.undoRetrans === 0 || packetDelayed(sk));
}

/** Puts segments go-back-N moved to the write queue back in flight (their data was sent once). */
function unrewind(sk: TcpSock): void {
  for (let skb = sk.writeQueue.peek(); skb !== null; skb = sk.writeQueue.peek()) {
    if (!seqLe(skb.cb[CB_END_SEQ]!, sk.sndMax) || skb.cb[CB_WHEN] === 0) break;
    sk.writeQueue.unlink(skb);
    sk.rtxQueue.enqueueTail(skb);
  }
  const head = sk.writeQueue.peek();
  sk.sndNxt = head !== null && seqLt(head.cb[CB_SEQ]!, sk.sndMax) ? head.cb[CB_SEQ]! : sk.sndMax;
  if (seqLt(sk.sndNxt, sk.sndUna)) sk.sndNxt = sk.sndUna;
  if (sk.rtxQueue.qlen > 0 && sk.pendingTimer !== 1) resetRtxTimer(sk, 1, currentRto(sk)); // in flight again: RTO
}

/** Go-back-N again after F-RTO found the loss real (what `tcp_enter_loss` did without SACK). */
function rewind(sk: TcpSock): void {
  if (sk.rtxQueue.qlen === 0) return;
  sk.rtxQueue.spliceTail(sk.writeQueue);
  sk.writeQueue.spliceTail(sk.rtxQueue);
  sk.sndNxt = sk.sndUna;
}

/** Up to two new segments whatever cwnd says (RFC 5682 §2 step 2b). @returns whether one went out */
function frtoSendNew(sk: TcpSock): boolean {
  const head = sk.writeQueue.peek();
  if (head === null || seqLt(head.cb[CB_SEQ]!, sk.sndMax)) return false;
  const cwnd = sk.sndCwnd;
  sk.sndCwnd = tcpPacketsInFlight(sk) + 2 * sk.mss;
  const sent = tcpWriteXmit(sk, TCP_NAGLE_OFF | TCP_NAGLE_PUSH);
  sk.sndCwnd = cwnd;
  return sent > 0;
}

/**
 * `tcp_undo_cwnd_reduction`: cwnd back through the module's `undoCwnd` (Linux
 * `tcp_reno_undo_cwnd`: max(cwnd, prior_cwnd)) and ssthresh back to its prior
 * value; with `unmarkLoss` the segments deemed lost are in flight again.
 */
function undoCwndReduction(sk: TcpSock, unmarkLoss: boolean): void {
  if (unmarkLoss) {
    for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) {
      const b = skb.cb[CB_SACKED]!;
      if ((b & TCPCB_LOST) === 0) continue;
      tcpSbForget(sk, skb);
      tcpSbRestore(sk, skb, b & ~TCPCB_LOST);
    }
    unrewind(sk);
  }
  if (sk.priorSsthresh > 0) {
    const undo = (sk.ca as { undoCwnd?: (s: TcpSock) => number }).undoCwnd;
    sk.sndCwnd = undo !== undefined ? undo(sk) : Math.max(sk.sndCwnd, sk.priorCwnd);
    if (sk.priorSsthresh > sk.sndSsthresh) sk.sndSsthresh = sk.priorSsthresh;
  }
  sk.undoPending = false;
  sk.undoRetrans = -1;
  sk.caState = CaState.OPEN;
  sk.dupAcks = 0;
  sk.frto = false;
  sk.frtoHold = false;
}

/** `tcp_try_undo_loss`. */
function tryUndoLoss(sk: TcpSock, frtoUndo: boolean): boolean {
  if (!frtoUndo && !mayUndo(sk)) return false;
  undoCwndReduction(sk, true);
  sk.stack.mib.lossUndo++;
  if (frtoUndo) sk.stack.mib.spuriousRtos++;
  sk.retransmits = 0;
  sk.backoff = 0;
  return true;
}

/**
 * An ACK in Loss (`tcp_process_loss`): Eifel/DSACK undo once snd_una advances;
 * F-RTO (RFC 5682 §3, SACK-enhanced as Linux: step 3b) undoes when data that was
 * never retransmitted and was sent before the RTO is acknowledged or SACKed; a
 * duplicate ACK without such evidence ends F-RTO (the loss was real).
 */
function processLoss(sk: TcpSock, ack: number, advanced: boolean): void {
  if (advanced && tryUndoLoss(sk, false)) return;
  if (sk.frto) {
    if (undoAck.origAcked && tryUndoLoss(sk, true)) return; // step 3b
    if (seqGt(sk.sndNxt, undoAck.highSeq)) {
      // step 3a: after new data went out, a duplicate ACK (not a DSACK) means the loss was real
      if (!advanced && !undoAck.dsack) {
        sk.frto = false;
        if (!sk.sackOk) rewind(sk); // go-back-N resumes
      }
    } else if (!sk.sackOk && advanced && seqLt(ack, undoAck.highSeq)) {
      // step 2b without SACK: the rest of the flight goes back in flight and new data is sent
      unrewind(sk);
      if (frtoSendNew(sk)) return;
      sk.frto = false;
      rewind(sk);
    }
  }
  if (!seqLt(ack, undoAck.highSeq) && mayUndo(sk)) {
    undoCwndReduction(sk, true); // recovered: `tcp_try_undo_recovery` in Loss
    sk.stack.mib.lossUndo++;
  }
}

/**
 * End of ACK processing, after the recovery state machine ran (ack.ts): starts the
 * undo record of a recovery this ACK entered, and tries the undos the state allows
 * (`tcp_fastretrans_alert` steps D/E).
 */
export function tcpUndoAckEnd(sk: TcpSock, ack: number): void {
  const u = undoAck;
  if (u.sk !== sk) return;
  const advanced = seqGt(ack, u.priorUna);
  if (u.priorState < CaState.RECOVERY && sk.caState === CaState.RECOVERY) {
    tcpInitUndo(sk, u.priorCwnd, u.priorSsthresh); // fast recovery began on this ACK
    return;
  }
  if (u.priorState === CaState.OPEN && sk.caState === CaState.OPEN && !u.dsack) sk.retransStampSet = false;
  if (!sk.undoPending) return;
  if (u.priorState === CaState.LOSS) {
    processLoss(sk, ack, advanced);
    return;
  }
  if (u.priorState === CaState.RECOVERY) {
    if (seqGe(ack, sk.highSeq)) {
      // full acknowledgment (`tcp_try_undo_recovery`)
      if (mayUndo(sk)) {
        undoCwndReduction(sk, false);
        sk.stack.mib.fullUndo++;
      } else if (sk.rackReoWndPersist > 0) sk.rackReoWndPersist--;
      return;
    }
    if (advanced && packetDelayed(sk)) {
      // partial ACK of an original (`tcp_try_undo_partial`); not while retransmissions are in flight
      if (sk.sb.retransOut > 0) return;
      undoCwndReduction(sk, false);
      sk.stack.mib.partialUndo++;
      return;
    }
  }
  if (sk.caState <= CaState.RECOVERY && sk.undoRetrans === 0) {
    // every retransmission was a duplicate (`tcp_try_undo_dsack`)
    undoCwndReduction(sk, false);
    sk.stack.mib.dsackUndo++;
  }
}
