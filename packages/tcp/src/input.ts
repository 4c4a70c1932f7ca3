/**
 * The receive path by state (Linux `tcp_input.c`): the ESTABLISHED fast path
 * (header prediction), `tcp_rcv_state_process` step by step as RFC 9293 §3.10.7
 * orders it, SYN-SENT processing, and data queueing with delayed-ACK decisions.
 * Segment arrival is in v4-rcv.ts, ACK processing in ack.ts, loss recovery in
 * recovery.ts, the out-of-order queue in ofo.ts, listen/SYN-RECV/TIME-WAIT in
 * minisocks.ts.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { tcpAck, tcpCleanRtxQueue } from './ack.js';
import { applySynOptions, synOptions, tcpInitTransfer, tcpOowRateOk, tcpSynRecvEstablish } from './minisocks.js';
import { tcpDataQueueOfo, tcpOfoQueue, tcpPruneOfoQueue } from './ofo.js';
import { skbSetOwnerR, tcpDone, tcpFin, tcpReset, tcpSetState, tcpTimeWait } from './proto.js';
import {
  clearRtxTimer,
  TCP_NAGLE_PUSH,
  tcpNewWindow,
  tcpPushPendingFrames,
  tcpReceiveWindow,
  tcpRetransmitSkb,
  tcpSendAck,
  tcpSendActiveReset,
  tcpSendChallengeAck,
  tcpSendCtl,
  tcpSendSynAck,
  tcpTsval,
  tcpWriteXmit,
} from './output.js';
import { tcpRcvRttMeasure, tcpRcvRttMeasureTs } from './rcv-space.js';
import { seqAdd, seqGt, seqLe, seqLt } from './seq.js';
import { CB_ACK, CB_DOFF, CB_FLAGS, CB_SEQ, CB_END_SEQ, CB_WINDOW } from './skb-cb.js';
import { tcpPawsDiscard, tcpRcvTimestamps, tcpReplaceTsRecent } from './timestamps.js';
import { tcpDsackSet, tcpSackRemove } from './sack.js';
import type { TcpSock } from './sock.js';
import { RCV_SHUTDOWN, TcpState } from './state.js';
import { TCP_HEADER_LEN, TcpFlags } from './wire/tcp.js';

export { tcpV4Rcv, tcpV4DoRcv, tcpPrequeueProcess, tcpProcessBacklog } from './v4-rcv.js';
export { tcpRttEstimator, tcpCheckSpace } from './ack.js';
export { tcpConnectInit } from './minisocks.js';

/** SYN-SENT processing (`tcp_rcv_synsent_state_process`, RFC 9293 §3.10.7.3). */
function tcpRcvSynSent(sk: TcpSock, skb: SkBuff): void {
  const flags = skb.cb[CB_FLAGS]!;
  const seq = skb.cb[CB_SEQ]!;
  const ack = skb.cb[CB_ACK]!;
  const stack = sk.stack;
  if ((flags & TcpFlags.ACK) !== 0) {
    if (seqLe(ack, sk.iss) || seqGt(ack, sk.sndMax)) {
      if ((flags & TcpFlags.RST) === 0) tcpSendCtl(sk, ack, TcpFlags.RST);
      skb.free();
      return;
    }
  }
  if ((flags & TcpFlags.RST) !== 0) {
    if ((flags & TcpFlags.ACK) !== 0) tcpReset(sk);
    skb.free();
    return;
  }
  if ((flags & TcpFlags.SYN) === 0) {
    skb.free();
    return;
  }
  const opts = synOptions(skb);
  sk.irs = seq;
  sk.rcvNxt = seqAdd(seq, 1);
  sk.copiedSeq = sk.rcvNxt;
  sk.rcvWup = sk.rcvNxt;
  applySynOptions(sk, opts, true);
  if ((flags & TcpFlags.ACK) !== 0) {
    tcpCleanRtxQueue(sk, ack);
    sk.sndUna = ack;
    sk.sndWnd = skb.cb[CB_WINDOW]!; // never scaled in a SYN (RFC 7323 §2.2)
    sk.maxWindow = sk.sndWnd;
    sk.sndWl1 = seq;
    sk.sndWl2 = ack;
    sk.retransmits = 0;
    sk.backoff = 0;
    clearRtxTimer(sk);
    tcpSetState(sk, TcpState.ESTABLISHED);
    tcpInitTransfer(sk);
    tcpSendAck(sk);
    sk.onStateChange?.(sk);
    sk.onWriteSpace?.(sk);
    tcpPushPendingFrames(sk);
  } else {
    // simultaneous open (RFC 9293 §3.5 figure 7)
    sk.sndWnd = skb.cb[CB_WINDOW]!;
    sk.maxWindow = sk.sndWnd;
    sk.sndWl1 = seq;
    tcpSetState(sk, TcpState.SYN_RECV);
    stack.mib.simultaneousOpens++;
    const synSkb = sk.rtxQueue.peek();
    if (synSkb !== null) tcpRetransmitSkb(sk, synSkb);
  }
  skb.free();
}


/**
 * Linux `tcp_sequence` acceptability test (RFC 9293 §3.10.7.4 first check): the
 * segment must overlap [rcv_wup, rcv_nxt + receive window].
 */
function tcpSequenceOk(sk: TcpSock, seq: number, endSeq: number): boolean {
  return !seqLt(endSeq, sk.rcvWup) && !seqGt(seq, seqAdd(sk.rcvNxt, tcpReceiveWindow(sk)));
}


/** Our FIN has been acknowledged. */
function finAcked(sk: TcpSock): boolean {
  return sk.finQueued && sk.sndUna === sk.writeSeq;
}

/** Schedules or sends the ACK for received data (`__tcp_ack_snd_check`). */
function tcpAckSndCheck(sk: TcpSock): void {
  if (!sk.ackPending) return;
  const rcvWindowNow = tcpReceiveWindow(sk);
  if (
    sk.quickAcks > 0 ||
    sk.ofoQueue.length > 0 ||
    (sk.rcvSegsSinceAck >= 2 && tcpNewWindow(sk) >= rcvWindowNow) ||
    sk.rcvSegsSinceAck >= 8
  ) {
    tcpSendAck(sk);
    return;
  }
  if (!sk.delackTimer.pending) sk.stack.wheel.mod(sk.delackTimer, sk.stack.config.delackMs);
}

/** Most quick ACKs granted at once (`TCP_MAX_QUICKACKS`). */
const TCP_MAX_QUICKACKS = 16;

/**
 * Grants quick ACKs (`tcp_incr_quickack`): one per two segments of the offered
 * window, 2 when that rounds to 0, at most {@link TCP_MAX_QUICKACKS}. Linux does it
 * at the first data segment of a connection and when a duplicate or out-of-window
 * segment arrives (`tcp_enter_quickack_mode`): the peer is probably recovering, so
 * its next segments are ACKed at once instead of after the delayed-ACK timeout.
 */
function tcpIncrQuickack(sk: TcpSock): void {
  let q = Math.floor(sk.rcvWnd / (2 * sk.rcvMss));
  if (q === 0) q = 2;
  q = Math.min(q, TCP_MAX_QUICKACKS);
  if (q > sk.quickAcks) sk.quickAcks = q;
}

/** Bookkeeping for a received data segment (`tcp_event_data_recv`). */
function tcpEventDataRecv(sk: TcpSock, skb: SkBuff): void {
  const len = skb.len;
  if (sk.rcvNxt === ((sk.irs + 1) >>> 0)) tcpIncrQuickack(sk); // the first data: delayed-ACK engine starts in quick mode
  // the peer's segment size: a GRO skb's gso_size, not its length (`tcp_measure_rcv_mss`)
  const seg = skb.gsoSize > 0 ? skb.gsoSize : len;
  if (seg > sk.rcvMss) sk.rcvMss = Math.min(seg, sk.advMss);
  if (len >= sk.rcvMss) sk.rcvSegsSinceAck++;
  else sk.rcvSegsSinceAck += 0.5;
  sk.ackPending = true;
  tcpRcvRttMeasure(sk);
  if (len >= sk.rcvMss && skb.truesize > 0) {
    // Linux 6.x `scaling_ratio`, measured on full-sized segments only
    sk.scalingRatio = Math.min(1, Math.max(0.25, len / skb.truesize));
  }
}

/** Appends an in-order skb to the receive queue, charged to the socket (`tcp_queue_rcv`). */
function tcpQueueRcv(sk: TcpSock, skb: SkBuff): void {
  skbSetOwnerR(skb, sk);
  sk.receiveQueue.enqueueTail(skb);
}


/**
 * Queues the segment text (`tcp_data_queue`, RFC 9293 §3.10.7.4 seventh step):
 * in order → receive queue (then drain the out-of-order queue), duplicate →
 * immediate ACK, beyond rcv_nxt → out-of-order queue and an immediate duplicate
 * ACK (what the sender's fast retransmit counts).
 * @returns whether `skb` was queued (otherwise the caller frees it)
 */
function tcpDataQueue(sk: TcpSock, skb: SkBuff): boolean {
  const stack = sk.stack;
  let seq = skb.cb[CB_SEQ]!;
  const end = skb.cb[CB_END_SEQ]!;
  const fin = (skb.cb[CB_FLAGS]! & TcpFlags.FIN) !== 0;
  if (skb.len === 0 && !fin) return false;
  if (!seqGt(end, sk.rcvNxt)) {
    // complete duplicate: ACK at once (the peer probably lost our ACK), with DSACK
    stack.mib.dupData++;
    tcpDsackSet(sk, seq, end);
    tcpIncrQuickack(sk);
    tcpSendAck(sk);
    return false;
  }
  if (!seqLt(seq, seqAdd(sk.rcvNxt, tcpReceiveWindow(sk))) && !(seq === sk.rcvNxt && skb.len === 0)) {
    // beyond the window (includes data into a zero window)
    stack.mib.outOfWindow++;
    tcpIncrQuickack(sk);
    tcpSendAck(sk);
    return false;
  }
  if (seqLt(seq, sk.rcvNxt)) {
    tcpDsackSet(sk, seq, sk.rcvNxt); // partly old: report the repeated part
    const n = (sk.rcvNxt - seq) >>> 0;
    // pskb_pull: the overlap may lie in frags (reassembled or GRO'd skbs)
    if (!skb.mayPull(n)) {
      tcpSendAck(sk);
      return false;
    }
    skb.pull(n);
    seq = sk.rcvNxt;
    skb.cb[CB_SEQ] = seq;
  }
  if (seq === sk.rcvNxt) {
    if (sk.rmemAlloc + skb.truesize > sk.rcvbuf) {
      // tcp_try_rmem_schedule → tcp_prune_ofo_queue: in-order data wins over
      // out-of-order data (dropped from the highest sequence down)
      tcpPruneOfoQueue(sk, skb.truesize);
      if (sk.rmemAlloc + skb.truesize > 2 * sk.rcvbuf && sk.receiveQueue.qlen > 0) {
        stack.mib.rcvPruned++;
        tcpSendAck(sk);
        return false;
      }
    }
    const len = skb.len;
    const hadOfo = sk.ofoQueue.length > 0;
    let queued = false;
    if (len > 0) {
      tcpEventDataRecv(sk, skb);
      tcpQueueRcv(sk, skb);
      sk.rcvNxt = seqAdd(sk.rcvNxt, len);
      queued = true;
    }
    if (fin) tcpFin(sk);
    if (hadOfo) {
      tcpOfoQueue(sk);
      sk.quickAcks = Math.max(sk.quickAcks, 1); // hole filled: ACK now (RFC 5681 §4.2)
    }
    if (sk.selectiveAcks.length > 0) tcpSackRemove(sk);
    if (len > 0) sk.onDataReady?.(sk);
    return queued;
  }
  // out of order: one duplicate ACK per segment received (RFC 5681 §4.2) — a GRO'd
  // skb stands for several, and a sender without SACK counts them
  const segs = Math.min(Math.max(skb.gsoSegs, 1), MAX_DUPACKS_PER_SKB);
  const queued = skb.len > 0 || fin ? tcpDataQueueOfo(sk, skb) : false;
  for (let i = 0; i < segs; i++) tcpSendAck(sk);
  return queued;
}

/** Bound on the duplicate ACKs one out-of-order (GRO) skb elicits (a 64 KiB skb of 1 KiB segments). */
const MAX_DUPACKS_PER_SKB = 64;

/**
 * ESTABLISHED input (`tcp_rcv_established`): header prediction. A segment with only
 * ACK(/PSH), no options, the expected sequence number, an unchanged window and no
 * out-of-order data takes the fast path; everything else the full slow path.
 */
export function tcpRcvEstablished(sk: TcpSock, skb: SkBuff): void {
  const cb = skb.cb;
  const flags = cb[CB_FLAGS]!;
  const stack = sk.stack;
  if (
    (flags & ~TcpFlags.PSH) === TcpFlags.ACK &&
    cb[CB_DOFF] === TCP_HEADER_LEN &&
    cb[CB_SEQ] === sk.rcvNxt &&
    sk.ofoQueue.length === 0 &&
    stack.winScaled(cb[CB_WINDOW]!, sk.sndWscale) === sk.sndWnd &&
    !seqGt(cb[CB_ACK]!, sk.sndMax) &&
    !seqLt(cb[CB_ACK]!, sk.sndUna)
  ) {
    const ack = cb[CB_ACK]!;
    sk.lastRcvTime = stack.clock.now();
    sk.kaProbes = 0;
    if (skb.len === 0) {
      if (ack !== sk.sndUna) {
        stack.mib.fastPathAcks++;
        tcpAck(sk, skb);
        skb.free();
        tcpPushPendingFrames(sk);
        return;
      }
    } else if (ack === sk.sndUna && sk.rmemAlloc + skb.truesize <= sk.rcvbuf && skb.len <= tcpReceiveWindow(sk)) {
      stack.mib.fastPathData++;
      cb[CB_SEQ] = sk.rcvNxt;
      tcpEventDataRecv(sk, skb);
      tcpQueueRcv(sk, skb);
      sk.rcvNxt = seqAdd(sk.rcvNxt, skb.len);
      if (sk.writeQueue.qlen > 0) tcpPushPendingFrames(sk);
      tcpAckSndCheck(sk);
      sk.onDataReady?.(sk);
      return;
    }
  }
  stack.mib.slowPath++;
  tcpRcvStateProcess(sk, skb);
}

/**
 * Every state except LISTEN/SYN-SENT-with-no-SYN (`tcp_rcv_state_process`),
 * step by step as RFC 9293 §3.10.7.4 orders them, with the RFC 5961 mitigations.
 */
export function tcpRcvStateProcess(sk: TcpSock, skb: SkBuff): void {
  const stack = sk.stack;
  const cb = skb.cb;
  const flags = cb[CB_FLAGS]!;
  const seq = cb[CB_SEQ]!;
  const endSeq = cb[CB_END_SEQ]!;
  if (sk.state === TcpState.SYN_SENT) {
    tcpRcvSynSent(sk, skb);
    return;
  }
  if (sk.state === TcpState.SYN_RECV && (flags & TcpFlags.SYN) !== 0 && (flags & TcpFlags.ACK) === 0 && seq === sk.irs) {
    // retransmitted SYN: repeat the SYN-ACK (tcp_check_req)
    if (sk.parent !== null) {
      sk.rttTime = -1; // Karn, as for a timer-driven SYN-ACK retransmission
      tcpSendSynAck(sk);
    } else {
      const syn = sk.rtxQueue.peek();
      if (syn !== null) tcpRetransmitSkb(sk, syn);
    }
    skb.free();
    return;
  }
  // PAWS before the sequence check (RFC 7323 §5.3, tcp_validate_incoming)
  const ts = sk.tstampOk ? tcpRcvTimestamps(skb) : undefined;
  if (ts !== undefined && tcpPawsDiscard(sk, skb, ts)) {
    tcpSendAck(sk); // tcp_send_dupack
    skb.free();
    return;
  }
  // first: sequence number check
  if (!tcpSequenceOk(sk, seq, endSeq)) {
    if ((flags & TcpFlags.RST) === 0) {
      stack.mib.outOfWindow++;
      if ((flags & TcpFlags.SYN) !== 0) tcpSendChallengeAck(sk);
      else {
        // tcp_send_dupack: an old segment's bytes are reported (DSACK)
        if (skb.len > 0 && seqLt(seq, sk.rcvNxt)) tcpDsackSet(sk, seq, seqGt(endSeq, sk.rcvNxt) ? sk.rcvNxt : endSeq);
        if (skb.len > 0 || (flags & TcpFlags.FIN) !== 0 || tcpOowRateOk(sk)) tcpSendAck(sk);
      }
    }
    skb.free();
    return;
  }
  sk.lastRcvTime = stack.clock.now();
  sk.kaProbes = 0;
  // second: RST (RFC 5961 §3.2: exact match resets, in-window gets a challenge ACK)
  if ((flags & TcpFlags.RST) !== 0) {
    if (seq === sk.rcvNxt) tcpReset(sk);
    else tcpSendChallengeAck(sk);
    skb.free();
    return;
  }
  // fourth: SYN in a synchronized state (RFC 5961 §4.2)
  if ((flags & TcpFlags.SYN) !== 0) {
    tcpSendChallengeAck(sk);
    skb.free();
    return;
  }
  // fifth: ACK
  if ((flags & TcpFlags.ACK) === 0) {
    skb.free();
    return;
  }
  if (sk.state === TcpState.SYN_RECV) {
    const ack = cb[CB_ACK]!;
    if (!(seqLe(sk.sndUna, ack) && seqLe(ack, sk.sndMax))) {
      tcpSendCtl(sk, ack, TcpFlags.RST);
      skb.free();
      return;
    }
    if (!tcpSynRecvEstablish(sk, skb)) {
      skb.free();
      return;
    }
  }
  const r = tcpAck(sk, skb);
  if (r < 0) {
    skb.free();
    return;
  }
  if (ts !== undefined && r > 0) tcpReplaceTsRecent(sk, skb, ts); // tcp_ack with FLAG_UPDATE_TS_RECENT
  switch (sk.state) {
    case TcpState.FIN_WAIT1:
      if (finAcked(sk)) {
        tcpSetState(sk, TcpState.FIN_WAIT2);
        sk.onStateChange?.(sk);
        if (sk.orphan) stack.wheel.mod(sk.kaTimer, stack.config.finTimeoutMs);
      }
      break;
    case TcpState.CLOSING:
      if (finAcked(sk)) {
        tcpTimeWait(sk);
        skb.free();
        return;
      }
      break;
    case TcpState.LAST_ACK:
      if (finAcked(sk)) {
        tcpDone(sk);
        skb.free();
        return;
      }
      break;
    default:
      break;
  }
  // seventh: segment text (and eighth: FIN, inside tcpDataQueue)
  let queued = false;
  switch (sk.state) {
    case TcpState.ESTABLISHED:
    case TcpState.FIN_WAIT1:
    case TcpState.FIN_WAIT2:
      if ((sk.shutdownFlags & RCV_SHUTDOWN) !== 0 && sk.orphan && skb.len > 0 && seqGt(endSeq, sk.rcvNxt)) {
        // data after close: the application cannot read it (tcp_rcv_state_process → tcp_reset)
        stack.mib.abortOnData++;
        tcpSendActiveReset(sk);
        tcpDone(sk);
        skb.free();
        return;
      }
      if (ts !== undefined && skb.len > 0) tcpRcvRttMeasureTs(sk, skb.len, ts.tsecr, tcpTsval(sk));
      queued = tcpDataQueue(sk, skb);
      break;
    case TcpState.CLOSE_WAIT:
    case TcpState.CLOSING:
    case TcpState.LAST_ACK:
      if (seqLt(seq, sk.rcvNxt) && (flags & TcpFlags.FIN) !== 0) tcpSendAck(sk); // retransmitted FIN
      break;
    default:
      break;
  }
  if (sk.state !== TcpState.CLOSE && sk.state !== TcpState.TIME_WAIT) {
    tcpPushPendingFrames(sk);
    tcpAckSndCheck(sk);
  }
  if (!queued) skb.free();
}


export { TCP_NAGLE_PUSH, tcpWriteXmit };
