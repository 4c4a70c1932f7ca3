/**
 * The receive path (Linux `net/ipv4/tcp_ipv4.c`, `tcp_input.c`, `tcp_minisocks.c`),
 * following the thesis §2.3:
 *
 * ```
 * tcpV4Rcv ── checksum, demux ──┬─ owned by user ─────────────▶ backlog  (processed by releaseSock)
 *                               ├─ reader waiting (ESTAB) ────▶ prequeue (processed in the reader's context)
 *                               └─ tcpV4DoRcv ─┬─ ESTABLISHED ▶ tcpRcvEstablished: header prediction fast path
 *                                              │                 └─ slow path ─┐
 *                                              ├─ LISTEN ─────▶ tcpV4ConnRequest (SYN queue)
 *                                              └─ others ─────▶ tcpRcvStateProcess (RFC 9293 §3.10.7)
 *                                                                 └─ tcpDataQueue ─▶ receive queue | out-of-order queue
 * ```
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { csumTcpUdpNofold, IpSummed, skbChecksumComplete } from '@netlayers/skbuff';
import { initialWindow } from './cong.js';
import {
  skbSetOwnerR,
  skWmemFreeSkb,
  tcpDestroySock,
  tcpDone,
  tcpFin,
  tcpReset,
  tcpSetState,
  tcpTimeWait,
  tcpTwKill,
} from './proto.js';
import {
  clearRtxTimer,
  currentRto,
  resetRtxTimer,
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
  tcpSyncMss,
  tcpV4SendReset,
  tcpWriteXmit,
} from './output.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { CB_ACK, CB_END_SEQ, CB_FLAGS, CB_SEQ, CB_WHEN, CB_WINDOW } from './skb-cb.js';
import { CaState, NO_SKBS, NO_SOCKS, type TcpSock } from './sock.js';
import { RCV_SHUTDOWN, TcpState } from './state.js';
import type { TcpStack } from './stack.js';
import { parseTcpOptions, type TcpOptions, TcpFlags } from './wire/tcp.js';

/** On receive, `CB_WHEN` holds the header length (the header was pulled). */
const CB_DOFF = CB_WHEN;

/** Whether the segment's checksum is good, honouring `ipSummed` (`tcp_v4_checksum_init`). */
function checksumOk(skb: SkBuff, saddr: number, daddr: number): boolean {
  const s = skb.ipSummed;
  if (s === IpSummed.UNNECESSARY || s === IpSummed.PARTIAL) return true;
  return skbChecksumComplete(skb, 0, csumTcpUdpNofold(saddr, daddr, skb.len, 6, 0));
}

/**
 * Entry point from the network layer (`tcp_v4_rcv`): `skb.data` points at the TCP
 * header, `skb.len` is the segment length. Takes ownership of `skb`.
 */
export function tcpV4Rcv(stack: TcpStack, skb: SkBuff, saddr: number, daddr: number): void {
  const mib = stack.mib;
  mib.inSegs++;
  if (!skb.mayPull(20)) {
    mib.inErrs++;
    skb.free();
    return;
  }
  let buf = skb.buf;
  let o = skb.data;
  const doff = (buf[o + 12]! >>> 4) * 4;
  if (doff < 20 || doff > skb.len || !skb.mayPull(doff)) {
    mib.inErrs++;
    skb.free();
    return;
  }
  if (!checksumOk(skb, saddr, daddr)) {
    mib.inCsumErrors++;
    mib.inErrs++;
    skb.free();
    return;
  }
  buf = skb.buf;
  o = skb.data;
  const sport = (buf[o]! << 8) | buf[o + 1]!;
  const dport = (buf[o + 2]! << 8) | buf[o + 3]!;
  const seq = ((buf[o + 4]! << 24) | (buf[o + 5]! << 16) | (buf[o + 6]! << 8) | buf[o + 7]!) >>> 0;
  const ack = ((buf[o + 8]! << 24) | (buf[o + 9]! << 16) | (buf[o + 10]! << 8) | buf[o + 11]!) >>> 0;
  const flags = buf[o + 13]!;
  const win = (buf[o + 14]! << 8) | buf[o + 15]!;
  const plen = skb.len - doff;
  if (sport === 0 || dport === 0 || ((flags & TcpFlags.SYN) !== 0 && (flags & (TcpFlags.FIN | TcpFlags.RST)) !== 0)) {
    mib.inErrs++;
    skb.free();
    return;
  }
  const cb = skb.cb;
  cb[CB_SEQ] = seq;
  cb[CB_END_SEQ] = seqAdd(seq, plen + ((flags & TcpFlags.SYN) !== 0 ? 1 : 0) + ((flags & TcpFlags.FIN) !== 0 ? 1 : 0));
  cb[CB_FLAGS] = flags;
  cb[CB_ACK] = ack;
  cb[CB_WINDOW] = win;
  cb[CB_DOFF] = doff;
  skb.pull(doff);

  let sk = stack.table.lookup(daddr, dport, saddr, sport);
  if (sk === undefined) {
    sk = stack.table.lookupListener(daddr, dport);
    if (sk === undefined) {
      mib.noPort++;
      tcpV4SendReset(stack, saddr, daddr, sport, dport, seq, ack, flags, (cb[CB_END_SEQ]! - seq) >>> 0);
      skb.free();
      return;
    }
  }
  if (sk.state === TcpState.LISTEN) {
    stack.setRxTuple(saddr, daddr, sport, dport);
    tcpV4ConnRequest(sk, skb);
    return;
  }
  if (sk.state === TcpState.TIME_WAIT) {
    tcpTimewaitProcess(stack, sk, skb, saddr, daddr, sport, dport);
    return;
  }
  if (sk.owned) {
    // sk_add_backlog: bounded so a flood cannot grow it without limit
    if (sk.backlogLen + skb.truesize > sk.rcvbuf + sk.sndbuf) {
      mib.backlogDrop++;
      skb.free();
      return;
    }
    sk.backlogLen += skb.truesize;
    sk.backlog.enqueueTail(skb);
    mib.backlogged++;
    return;
  }
  if (tcpPrequeue(sk, skb)) return;
  tcpV4DoRcv(sk, skb);
}

/**
 * Defers an in-order data segment to a waiting reader (`tcp_prequeue`): it will be
 * processed by `tcpPrequeueProcess` from the reader's context. A delayed-ACK timer
 * guarantees the ACK if the reader does not run soon.
 */
function tcpPrequeue(sk: TcpSock, skb: SkBuff): boolean {
  if (!sk.readerWaiting || sk.state !== TcpState.ESTABLISHED || skb.len === 0 || sk.stack.config.lowLatency) return false;
  sk.prequeue.enqueueTail(skb);
  sk.prequeueLen += skb.truesize;
  sk.stack.mib.prequeued++;
  if (sk.prequeueLen >= sk.rcvbuf) {
    tcpPrequeueProcess(sk);
  } else if (sk.prequeue.qlen === 1) {
    if (!sk.delackTimer.pending) sk.stack.wheel.mod(sk.delackTimer, (3 * sk.stack.config.rtoMin) / 4);
    sk.onDataReady?.(sk);
  }
  return true;
}

/** Processes the prequeue in the reader's context (`tcp_prequeue_process`). */
export function tcpPrequeueProcess(sk: TcpSock): void {
  for (let s = sk.prequeue.dequeue(); s !== null; s = sk.prequeue.dequeue()) {
    sk.prequeueLen -= s.truesize;
    tcpV4DoRcv(sk, s);
  }
  sk.prequeueLen = 0;
}

/** Processes the backlog queued while the socket was owned (`__release_sock`). */
export function tcpProcessBacklog(sk: TcpSock): void {
  for (let s = sk.backlog.dequeue(); s !== null; s = sk.backlog.dequeue()) {
    sk.backlogLen -= s.truesize;
    if (sk.dead || sk.state === TcpState.CLOSE) {
      s.free();
      continue;
    }
    tcpV4DoRcv(sk, s);
  }
  sk.backlogLen = 0;
}

/** Dispatch by state (`tcp_v4_do_rcv`). Takes ownership of `skb`. */
export function tcpV4DoRcv(sk: TcpSock, skb: SkBuff): void {
  switch (sk.state) {
    case TcpState.ESTABLISHED:
      tcpRcvEstablished(sk, skb);
      return;
    case TcpState.LISTEN:
    case TcpState.CLOSE:
      skb.free();
      return;
    default:
      tcpRcvStateProcess(sk, skb);
  }
}

function synOptions(skb: SkBuff): TcpOptions {
  const doff = skb.cb[CB_DOFF]!;
  if (doff <= 20) return {};
  const start = skb.data - doff;
  return parseTcpOptions(skb.buf, start + 20, start + doff);
}

/** Window scale we offer for our receive buffer (`tcp_select_initial_window`). */
function chooseRcvWscale(sk: TcpSock): number {
  let space = Math.max(sk.rcvbuf, sk.stack.config.rcvbufMax);
  let ws = 0;
  while (space > 65535 && ws < 14) {
    space >>>= 1;
    ws++;
  }
  return ws;
}

/** Sets up a socket for the first SYN it sends (`tcp_connect_init`). */
export function tcpConnectInit(sk: TcpSock): void {
  sk.rcvWscale = chooseRcvWscale(sk);
  sk.windowClamp = 65535 * 2 ** sk.rcvWscale;
  tcpSyncMss(sk);
  sk.advMss = Math.min(sk.pmtu, 65535) - 40;
  if (sk.userMss > 0) sk.advMss = Math.min(sk.advMss, sk.userMss);
  sk.rcvWnd = Math.min(tcpNewWindow(sk) || sk.advMss, 65535);
}

/** Connection established: congestion state and MSS (`tcp_init_transfer`). */
function tcpInitTransfer(sk: TcpSock): void {
  tcpSyncMss(sk);
  sk.sndCwnd = initialWindow(sk.mss);
  sk.sndSsthresh = 0x7fffffff;
  sk.caState = CaState.OPEN;
  sk.highSeq = sk.sndUna;
  sk.quickAcks = 8;
  sk.lastRcvTime = sk.stack.clock.now();
  sk.ca.init?.(sk);
  if (sk.keepalive) sk.stack.wheel.mod(sk.kaTimer, sk.keepIdleMs);
}

/** Applies the peer's SYN options (`tcp_parse_options` on SYN / `tcp_openreq_init`). */
function applySynOptions(sk: TcpSock, opts: TcpOptions, weOffered: boolean): void {
  sk.peerMss = opts.mss ?? 536;
  if (opts.windowScale !== undefined && weOffered) {
    sk.sndWscale = opts.windowScale;
    sk.wscaleOk = true;
  } else {
    sk.sndWscale = 0;
    sk.rcvWscale = 0;
    sk.wscaleOk = false;
    sk.windowClamp = Math.min(sk.windowClamp, 65535);
  }
  sk.sackOk = opts.sackPermitted === true && sk.stack.config.sack;
}

/**
 * A SYN on a listener (`tcp_v4_conn_request`): checks the accept and SYN queue
 * bounds (dropping on overflow like Linux without syncookies), creates the child
 * in SYN-RECV in the connection table and answers SYN-ACK.
 */
function tcpV4ConnRequest(lsk: TcpSock, skb: SkBuff): void {
  const stack = lsk.stack;
  const flags = skb.cb[CB_FLAGS]!;
  const seq = skb.cb[CB_SEQ]!;
  const saddr = stack.rxSaddr;
  const daddr = stack.rxDaddr;
  const sport = stack.rxSport;
  const dport = stack.rxDport;
  if ((flags & TcpFlags.RST) !== 0) {
    skb.free();
    return;
  }
  if ((flags & TcpFlags.ACK) !== 0) {
    tcpV4SendReset(stack, saddr, daddr, sport, dport, seq, skb.cb[CB_ACK]!, flags, (skb.cb[CB_END_SEQ]! - seq) >>> 0);
    skb.free();
    return;
  }
  if ((flags & TcpFlags.SYN) === 0) {
    skb.free();
    return;
  }
  if (lsk.acceptQueue.length >= lsk.maxAckBacklog) {
    stack.mib.listenOverflows++;
    stack.mib.listenDrops++;
    skb.free();
    return;
  }
  if (lsk.synQueueLen >= Math.max(lsk.maxAckBacklog, stack.config.minSynBacklog)) {
    stack.mib.listenDrops++;
    skb.free();
    return;
  }
  const opts = synOptions(skb);
  const c = stack.newSock();
  c.sndbuf = lsk.sndbuf;
  c.rcvbuf = lsk.rcvbuf;
  c.nodelay = lsk.nodelay;
  c.keepalive = lsk.keepalive;
  c.keepIdleMs = lsk.keepIdleMs;
  c.keepIntvlMs = lsk.keepIntvlMs;
  c.keepCnt = lsk.keepCnt;
  c.userMss = lsk.userMss;
  c.lingerOn = lsk.lingerOn;
  c.lingerSecs = lsk.lingerSecs;
  c.laddr = daddr;
  c.lport = dport;
  c.raddr = saddr;
  c.rport = sport;
  c.parent = lsk;
  c.irs = seq;
  c.rcvNxt = seqAdd(seq, 1);
  c.copiedSeq = c.rcvNxt;
  c.rcvWup = c.rcvNxt;
  c.iss = stack.isn(daddr, saddr, dport, sport);
  c.sndUna = c.iss;
  c.sndNxt = seqAdd(c.iss, 1);
  c.sndMax = c.sndNxt;
  c.writeSeq = c.sndNxt;
  c.sndSml = c.sndUna;
  c.sndWl1 = seq;
  c.sndWnd = skb.cb[CB_WINDOW]!;
  c.maxWindow = c.sndWnd;
  tcpConnectInit(c);
  applySynOptions(c, opts, true);
  c.state = TcpState.SYN_RECV;
  if (!stack.table.insert(c)) {
    tcpDestroySock(c);
    skb.free();
    return;
  }
  c.hashed = true;
  stack.table.bindPort(dport); // the child holds the local port too (bind conflicts, SO_REUSEADDR)
  c.portBound = true;
  c.inSynQueue = true;
  lsk.synQueueLen++;
  (lsk.synQueue ??= new Set()).add(c);
  stack.mib.passiveOpens++;
  tcpSendSynAck(c);
  resetRtxTimer(c, 1, stack.config.synAckTimeout);
  skb.free();
}

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
 * Rate limit for ACKs answering out-of-window pure ACKs (`tcp_oow_rate_limited`,
 * `tcp_invalid_ratelimit` 500 ms): two endpoints that each find the other's ACK
 * unacceptable must not ping-pong forever.
 */
function tcpOowRateOk(sk: TcpSock): boolean {
  const now = sk.stack.clock.now();
  if (now - sk.lastOowAck < sk.stack.config.invalidRatelimitMs) {
    sk.stack.mib.oowRateLimited++;
    return false;
  }
  sk.lastOowAck = now;
  return true;
}

/**
 * Linux `tcp_sequence` acceptability test (RFC 9293 §3.10.7.4 first check): the
 * segment must overlap [rcv_wup, rcv_nxt + receive window].
 */
function tcpSequenceOk(sk: TcpSock, seq: number, endSeq: number): boolean {
  return !seqLt(endSeq, sk.rcvWup) && !seqGt(seq, seqAdd(sk.rcvNxt, tcpReceiveWindow(sk)));
}

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
function tcpCleanRtxQueue(sk: TcpSock, ack: number): void {
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = sk.rtxQueue.peek()) {
    if (!seqLe(skb.cb[CB_END_SEQ]!, ack)) break;
    sk.rtxQueue.unlink(skb);
    skWmemFreeSkb(sk, skb);
  }
  // after go-back-N, acknowledged data may sit at the head of the write queue
  for (let skb = sk.writeQueue.peek(); skb !== null; skb = sk.writeQueue.peek()) {
    if (!seqLe(skb.cb[CB_END_SEQ]!, ack)) break;
    sk.writeQueue.unlink(skb);
    skWmemFreeSkb(sk, skb);
  }
  if (sk.rttTime >= 0 && seqGe(ack, sk.rttSeq)) {
    tcpRttEstimator(sk, sk.stack.clock.now() - sk.rttTime);
    sk.rttTime = -1;
  }
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
function tcpAck(sk: TcpSock, skb: SkBuff): number {
  const ack = skb.cb[CB_ACK]!;
  const seq = skb.cb[CB_SEQ]!;
  const flags = skb.cb[CB_FLAGS]!;
  if (seqGt(ack, sk.sndMax)) {
    // RFC 9293: ACK of something not yet sent → ACK and drop (RFC 5961 §5.2)
    tcpSendChallengeAck(sk);
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
    tcpCleanRtxQueue(sk, ack);
    sk.sndUna = ack;
    if (seqLt(sk.sndNxt, ack)) sk.sndNxt = ack;
    sk.retransmits = 0;
    sk.backoff = 0;
    sk.probesOut = 0;
    if (sk.caState === CaState.RECOVERY) {
      if (seqGe(ack, sk.highSeq)) {
        // full acknowledgment (RFC 6582 §3.2 step 3)
        sk.sndCwnd = Math.max(Math.min(sk.sndSsthresh, sk.inFlight + sk.mss), 2 * sk.mss);
        sk.caState = CaState.OPEN;
        sk.dupAcks = 0;
        sk.ca.cwndEvent?.(sk, 'recovery-exit');
      } else {
        // partial acknowledgment (step 4): retransmit the next hole, deflate
        const head = sk.rtxQueue.peek();
        if (head !== null) tcpRetransmitSkb(sk, head);
        sk.sndCwnd = Math.max(sk.sndCwnd - acked + sk.mss, sk.mss);
      }
    } else {
      if (sk.caState === CaState.LOSS && seqGe(ack, sk.highSeq)) sk.caState = CaState.OPEN;
      if (sk.caState === CaState.DISORDER) sk.caState = CaState.OPEN;
      sk.dupAcks = 0;
      sk.ca.congAvoid(sk, acked);
    }
    if (sk.rtxQueue.qlen > 0) resetRtxTimer(sk, 1, currentRto(sk));
    else if (sk.pendingTimer === 1) clearRtxTimer(sk);
    stack.mib.ackedBytes += acked;
    tcpCheckSpace(sk);
  } else if (
    skb.len === 0 &&
    !winUpdate &&
    (flags & (TcpFlags.SYN | TcpFlags.FIN)) === 0 &&
    sk.rtxQueue.qlen > 0 &&
    ack === sk.sndUna
  ) {
    // duplicate ACK (RFC 5681 §2)
    sk.dupAcks++;
    stack.mib.dupAcks++;
    if (sk.caState === CaState.RECOVERY) {
      sk.sndCwnd += sk.mss; // inflate (RFC 6582 step 3 of 5681 §3.2)
    } else if (sk.caState !== CaState.LOSS && sk.dupAcks >= stack.config.dupThresh && seqGt(ack, sk.highSeq)) {
      sk.sndSsthresh = sk.ca.ssthresh(sk);
      sk.highSeq = sk.sndMax;
      sk.caState = CaState.RECOVERY;
      stack.mib.fastRetrans++;
      const head = sk.rtxQueue.peek();
      if (head !== null) tcpRetransmitSkb(sk, head);
      sk.sndCwnd = sk.sndSsthresh + 3 * sk.mss;
    } else if (sk.caState === CaState.OPEN) {
      sk.caState = CaState.DISORDER;
    }
  }
  if (winUpdate && sk.pendingTimer === 2 && sk.sndWnd > 0) clearRtxTimer(sk);
  return 1;
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

/** Bookkeeping for a received data segment (`tcp_event_data_recv`). */
function tcpEventDataRecv(sk: TcpSock, skb: SkBuff): void {
  const len = skb.len;
  if (len > sk.rcvMss) sk.rcvMss = Math.min(len, sk.advMss);
  if (len >= sk.rcvMss) sk.rcvSegsSinceAck++;
  else sk.rcvSegsSinceAck += 0.5;
  sk.ackPending = true;
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

/** Moves segments that became in-order from the out-of-order queue (`tcp_ofo_queue`). */
function tcpOfoQueue(sk: TcpSock): void {
  const q = sk.ofoQueue;
  while (q.length > 0) {
    const s = q[0]!;
    const seq = s.cb[CB_SEQ]!;
    if (seqGt(seq, sk.rcvNxt)) break;
    q.shift();
    const fin = (s.cb[CB_FLAGS]! & TcpFlags.FIN) !== 0;
    const end = s.cb[CB_END_SEQ]!;
    if (!seqGt(end, sk.rcvNxt)) {
      s.free(); // duplicate
      continue;
    }
    const n = (sk.rcvNxt - seq) >>> 0;
    if (n > 0) {
      // pskb_pull: the overlap may lie in frags (reassembled or GRO'd skbs)
      if (!s.mayPull(n)) {
        s.free();
        continue;
      }
      s.pull(n);
      s.cb[CB_SEQ] = sk.rcvNxt;
    }
    const len = s.len;
    if (len > 0) {
      sk.receiveQueue.enqueueTail(s); // already charged
      sk.rcvNxt = seqAdd(sk.rcvNxt, len);
    } else s.free();
    if (fin) {
      tcpFin(sk);
      break;
    }
  }
}

/** Drops out-of-order segments from the highest sequence down until `need` bytes fit (`tcp_prune_ofo_queue`). */
function tcpPruneOfoQueue(sk: TcpSock, need: number): void {
  const q = sk.ofoQueue;
  while (q.length > 0 && sk.rmemAlloc + need > sk.rcvbuf) {
    q.pop()!.free();
    sk.stack.mib.ofoPruned++;
  }
}

/** Inserts into the sorted out-of-order queue (`tcp_data_queue_ofo`), dropping covered duplicates. */
function tcpDataQueueOfo(sk: TcpSock, skb: SkBuff): boolean {
  const stack = sk.stack;
  if (sk.rmemAlloc + skb.truesize > sk.rcvbuf) {
    stack.mib.ofoDrop++;
    return false;
  }
  const q = sk.ofoQueue;
  const seq = skb.cb[CB_SEQ]!;
  const end = skb.cb[CB_END_SEQ]!;
  let lo = 0;
  let hi = q.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (seqLt(q[mid]!.cb[CB_SEQ]!, seq)) lo = mid + 1;
    else hi = mid;
  }
  // covered by the previous one?
  if (lo > 0 && seqGe(q[lo - 1]!.cb[CB_END_SEQ]!, end)) {
    stack.mib.ofoDup++;
    return false;
  }
  if (lo < q.length && q[lo]!.cb[CB_SEQ]! === seq && seqGe(q[lo]!.cb[CB_END_SEQ]!, end)) {
    stack.mib.ofoDup++;
    return false;
  }
  // drop following segments fully covered by this one
  let k = lo;
  while (k < q.length && seqLe(q[k]!.cb[CB_END_SEQ]!, end)) k++;
  for (let i = lo; i < k; i++) q[i]!.free();
  skbSetOwnerR(skb, sk);
  if (q === NO_SKBS) sk.ofoQueue = [skb];
  else q.splice(lo, k - lo, skb);
  stack.mib.ofoQueued++;
  return true;
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
    // complete duplicate: ACK at once (the peer probably lost our ACK)
    stack.mib.dupData++;
    tcpSendAck(sk);
    return false;
  }
  if (!seqLt(seq, seqAdd(sk.rcvNxt, tcpReceiveWindow(sk))) && !(seq === sk.rcvNxt && skb.len === 0)) {
    // beyond the window (includes data into a zero window)
    stack.mib.outOfWindow++;
    tcpSendAck(sk);
    return false;
  }
  if (seqLt(seq, sk.rcvNxt)) {
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
    if (len > 0) sk.onDataReady?.(sk);
    return queued;
  }
  // out of order
  const queued = skb.len > 0 || fin ? tcpDataQueueOfo(sk, skb) : false;
  tcpSendAck(sk);
  return queued;
}

/**
 * ESTABLISHED input (`tcp_rcv_established`): header prediction. A segment with only
 * ACK(/PSH), no options, the expected sequence number, an unchanged window and no
 * out-of-order data takes the fast path; everything else the full slow path.
 */
function tcpRcvEstablished(sk: TcpSock, skb: SkBuff): void {
  const cb = skb.cb;
  const flags = cb[CB_FLAGS]!;
  const stack = sk.stack;
  if (
    (flags & ~TcpFlags.PSH) === TcpFlags.ACK &&
    cb[CB_DOFF] === 20 &&
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
    if (sk.parent !== null) tcpSendSynAck(sk);
    else {
      const syn = sk.rtxQueue.peek();
      if (syn !== null) tcpRetransmitSkb(sk, syn);
    }
    skb.free();
    return;
  }
  // first: sequence number check
  if (!tcpSequenceOk(sk, seq, endSeq)) {
    if ((flags & TcpFlags.RST) === 0) {
      stack.mib.outOfWindow++;
      if ((flags & TcpFlags.SYN) !== 0) tcpSendChallengeAck(sk);
      else if (skb.len > 0 || (flags & TcpFlags.FIN) !== 0 || tcpOowRateOk(sk)) tcpSendAck(sk);
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

/**
 * SYN-RECV → ESTABLISHED on an acceptable ACK (`tcp_check_req` + `inet_csk_complete_hashdance`):
 * a passive child moves to the listener's accept queue — or, if it is full, the ACK
 * is dropped (the SYN-ACK will be retransmitted) unless `abortOnOverflow` asks for
 * a RST, as Linux's `tcp_abort_on_overflow`.
 */
function tcpSynRecvEstablish(sk: TcpSock, skb: SkBuff): boolean {
  const stack = sk.stack;
  const p = sk.parent;
  if (p !== null) {
    if (p.state !== TcpState.LISTEN) {
      tcpSendActiveReset(sk);
      tcpDone(sk);
      return false;
    }
    if (p.acceptQueue.length >= p.maxAckBacklog) {
      stack.mib.listenOverflows++;
      if (stack.config.abortOnOverflow) {
        tcpSendActiveReset(sk);
        tcpDone(sk);
      }
      return false;
    }
  }
  const ack = skb.cb[CB_ACK]!;
  tcpCleanRtxQueue(sk, ack);
  sk.sndUna = ack;
  sk.sndWnd = stack.winScaled(skb.cb[CB_WINDOW]!, sk.sndWscale);
  sk.maxWindow = Math.max(sk.maxWindow, sk.sndWnd);
  sk.sndWl1 = skb.cb[CB_SEQ]!;
  sk.sndWl2 = ack;
  sk.retransmits = 0;
  sk.backoff = 0;
  if (sk.rtxQueue.qlen === 0) clearRtxTimer(sk);
  tcpSetState(sk, TcpState.ESTABLISHED);
  tcpInitTransfer(sk);
  if (p !== null) {
    sk.inSynQueue = false;
    p.synQueueLen--;
    p.synQueue?.delete(sk);
    sk.inAcceptQueue = true;
    if (p.acceptQueue === NO_SOCKS) p.acceptQueue = [];
    p.acceptQueue.push(sk);
    p.onAcceptReady?.(p);
  } else {
    sk.onStateChange?.(sk);
    sk.onWriteSpace?.(sk);
  }
  return true;
}

/**
 * TIME-WAIT input (`tcp_timewait_state_process`): a retransmitted FIN is ACKed
 * and restarts 2·MSL; an acceptable RST or a new SYN above rcv_nxt ends TIME-WAIT
 * (the SYN then goes to the listener); anything else gets an ACK.
 */
function tcpTimewaitProcess(stack: TcpStack, sk: TcpSock, skb: SkBuff, saddr: number, daddr: number, sport: number, dport: number): void {
  const flags = skb.cb[CB_FLAGS]!;
  const seq = skb.cb[CB_SEQ]!;
  if ((flags & TcpFlags.RST) !== 0) {
    if (seq === sk.rcvNxt) tcpTwKill(sk);
    skb.free();
    return;
  }
  if ((flags & TcpFlags.SYN) !== 0 && (flags & TcpFlags.ACK) === 0 && seqGt(seq, sk.rcvNxt)) {
    tcpTwKill(sk);
    const l = stack.table.lookupListener(daddr, dport);
    if (l !== undefined) {
      stack.setRxTuple(saddr, daddr, sport, dport);
      tcpV4ConnRequest(l, skb);
    } else skb.free();
    return;
  }
  if ((flags & TcpFlags.FIN) !== 0 && skb.cb[CB_END_SEQ] === sk.rcvNxt) {
    // retransmitted FIN: ACK it again and restart 2·MSL
    stack.wheel.mod(sk.kaTimer, stack.config.timeWaitMs);
    tcpSendAck(sk);
  } else if (seq !== sk.rcvNxt || skb.len > 0) {
    // old duplicate or stray data: ACK (TCP_TW_ACK), rate-limited
    if (tcpOowRateOk(sk)) tcpSendAck(sk);
  }
  // an in-window pure ACK is absorbed silently (TCP_TW_SUCCESS): no ACK war in simultaneous close
  skb.free();
}

export { TCP_NAGLE_PUSH, tcpWriteXmit };
