/**
 * The send path (Linux `net/ipv4/tcp_output.c`): header construction and
 * `tcpTransmitSkb` (clone the queued skb, push the header into the clone's
 * headroom, checksum or mark CHECKSUM_PARTIAL, hand to the network layer),
 * `tcpWriteXmit` with its cwnd / receive-window / Nagle (Minshall) / cork checks,
 * splitting (`tcp_fragment`), retransmission, control segments (SYN, SYN-ACK,
 * ACK, FIN, RST, window probes) and receive-window selection without silly
 * window syndrome (`__tcp_select_window`, RFC 9293 §3.8.6.2.2).
 *
 * @module
 */

import {
  allocSkb,
  csumAdd,
  csumFold,
  csumFold16,
  csumPartial,
  csumTcpUdpNofold,
  IpSummed,
  type Page,
  skbBorrowLinear,
  skbChecksum,
  type SkBuff,
} from '@netlayers/skbuff';
import { tcpSackBlocksToSend } from './sack.js';
import { tcpScheduleLossProbe } from './tlp.js';
import { tcpUndoRetransmitted } from './undo.js';
import { tcpXmitRetransmitQueue } from './retransmit.js';
import { tcpPacketsInFlight, tcpSbForget, tcpSbRestore, tcpTimeoutMarkLost } from './scoreboard.js';
import { seqAdd, seqGt, seqLt } from './seq.js';
import { CB_CHARGE, CB_END_SEQ, CB_FLAGS, CB_PCSUM, CB_RETRANS, CB_SACKED, CB_SEQ, CB_WHEN, TCPCB_EOR } from './skb-cb.js';
import { CaState, type TcpSock } from './sock.js';
import { TcpState } from './state.js';
import type { TcpStack } from './stack.js';
import { emitTcpOptions, type TcpOptions, tcpOptionsLen, TcpFlags, TcpPacket, field, TCP_HEADER_LEN } from './wire/tcp.js';

/** Nagle modes (Linux `TCP_NAGLE_OFF`/`CORK`/`PUSH`). */
export const TCP_NAGLE_OFF = 1;
export const TCP_NAGLE_CORK = 2;
export const TCP_NAGLE_PUSH = 4;
/** Internal: ignore sender SWS avoidance (window probe with data, `tcp_write_wakeup`). */
export const TCP_FORCE_PROBE = 8;

const IPPROTO_TCP = 6;
/** `SKB_GSO_TCPV4`. */
export const SKB_GSO_TCPV4 = 1;

/** Current retransmission timeout with exponential backoff (RFC 6298 §5.5). */
export function currentRto(sk: TcpSock): number {
  return Math.min(sk.rto * 2 ** sk.backoff, sk.stack.config.rtoMax);
}

/** Arms the retransmit timer (`inet_csk_reset_xmit_timer(ICSK_TIME_RETRANS)`). */
export function resetRtxTimer(sk: TcpSock, what: 1 | 2, timeout: number): void {
  sk.pendingTimer = what;
  sk.stack.wheel.mod(sk.rtxTimer, timeout);
}

/** Cancels the retransmit/probe timer. */
export function clearRtxTimer(sk: TcpSock): void {
  sk.pendingTimer = 0;
  sk.stack.wheel.del(sk.rtxTimer);
}

/** Writes the fixed header through the wire module's zero-copy view (checksum and urgent pointer zeroed). */
function writeHeader(buf: Uint8Array, o: number, sport: number, dport: number, seq: number, ack: number, hl: number, flags: number, win: number): void {
  const p = TcpPacket.unchecked(buf, o, hl);
  p.srcPort = sport;
  p.dstPort = dport;
  p.seq = seq;
  p.ack = ack;
  p.headerLen = hl;
  p.flags = flags;
  p.window = win;
  p.checksum = 0;
  p.urgentPtr = 0;
}

/**
 * Fills the checksum of the TCP segment at `skb.data` (header of `hl` bytes):
 * CHECKSUM_PARTIAL with the pseudo-header sum in the field when the route
 * offloads, otherwise the full software sum (`tcp_v4_send_check`). `payloadSum`
 * is the partial sum of the payload when already known (cached per queued skb).
 */
function fillChecksum(skb: SkBuff, hl: number, saddr: number, daddr: number, offload: boolean, payloadSum: number): void {
  const o = skb.data;
  const p = TcpPacket.unchecked(skb.buf, o, hl);
  const pseudo = csumTcpUdpNofold(saddr, daddr, skb.len, IPPROTO_TCP, 0);
  if (offload) {
    p.checksum = csumFold16(pseudo);
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumStart = o;
    skb.csumOffset = field.CHECKSUM;
    return;
  }
  let sum = csumPartial(skb.buf, o, hl, pseudo);
  if (skb.len > hl) sum = csumAdd(sum, payloadSum >= 0 ? payloadSum : skbChecksum(skb, hl, skb.len - hl, 0));
  p.checksum = csumFold(sum);
  skb.ipSummed = IpSummed.NONE;
}

/**
 * Receive window we could offer now, in bytes, before scaling (`__tcp_select_window`):
 * free buffer space turned into payload bytes with the socket's len/truesize ratio,
 * clamped; 0 instead of less than one MSS when under half the buffer is free
 * (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
 */
export function tcpNewWindow(sk: TcpSock): number {
  const ratio = sk.scalingRatio;
  const free = Math.max(0, sk.rcvbuf - sk.rmemAlloc - sk.prequeueLen);
  let win = Math.floor(free * ratio);
  const full = Math.floor(sk.rcvbuf * ratio);
  if (win > sk.windowClamp) win = sk.windowClamp;
  const mss = Math.min(sk.rcvMss, full >>> 1);
  if (win < (full >>> 1) && win < mss) return 0;
  // Advertise in whole segments (`__tcp_select_window` rounds to the MSS): the
  // window field stays stable, so the peer's header prediction keeps hitting.
  if (win > mss && mss > 0) win -= win % mss;
  return win;
}

/** Window currently offered and not yet used (`tcp_receive_window`). */
export function tcpReceiveWindow(sk: TcpSock): number {
  return Math.max(0, (sk.rcvWup + sk.rcvWnd - sk.rcvNxt) | 0);
}

/**
 * Receive window to advertise, already shifted by our window scale
 * (`tcp_select_window` / `__tcp_select_window`). Never shrinks the offered right
 * edge (RFC 9293 §3.8.6.2.2); offers 0 rather than a window below one MSS when
 * less than half the buffer is free (receiver SWS avoidance).
 */
export function tcpSelectWindow(sk: TcpSock): number {
  const cur = tcpReceiveWindow(sk);
  let win = tcpNewWindow(sk);
  // While a hole is open, hold the right edge: our duplicate ACKs then carry an
  // unchanged window, which a sender needs to count them (RFC 5681 §2 (e)).
  if (win > cur && sk.ofoQueue.length > 0) win = cur;
  if (sk.rcvWscale > 0) win = (win >>> sk.rcvWscale) << sk.rcvWscale;
  if (win < cur) win = ((cur + (1 << sk.rcvWscale) - 1) >>> sk.rcvWscale) << sk.rcvWscale; // never shrink
  const maxWin = 65535 * 2 ** sk.rcvWscale;
  if (win > maxWin) win = maxWin;
  sk.rcvWnd = win;
  sk.rcvWup = sk.rcvNxt;
  return win >>> sk.rcvWscale;
}

/** Our TSval now: the clock in 1 ms ticks plus the connection's offset (`tcp_time_stamp_ts`). */
export function tcpTsval(sk: TcpSock): number {
  return (Math.floor(sk.stack.clock.now()) + sk.tsOffset) >>> 0;
}

/**
 * Options for a SYN or SYN-ACK (`tcp_syn_options` / `tcp_synack_options`), laid
 * out by `emitTcpOptions` as Linux does: `mss,sackOK,TS val ecr,nop,wscale` (a
 * SYN-ACK answers only what the peer offered: `mss,nop,nop,sackOK,nop,wscale`
 * without timestamps, `mss` alone for a bare SYN).
 */
function synOptions(sk: TcpSock, synAck: boolean): TcpOptions {
  const cfg = sk.stack.config;
  const o: TcpOptions = { mss: sk.advMss };
  if (synAck ? sk.sackOk : cfg.sack) o.sackPermitted = true;
  if (synAck ? sk.tstampOk : cfg.timestamps) o.timestamps = { tsval: tcpTsval(sk), tsecr: synAck ? sk.tsRecent : 0 };
  if (!synAck || sk.wscaleOk) o.windowScale = sk.rcvWscale;
  return o;
}

/**
 * Options of a segment after the handshake (`tcp_established_options`):
 * `nop,nop,TS val ecr` once negotiated, then `nop,nop,sack …` (DSACK first) on
 * segments without payload while we hold out-of-order data or saw a duplicate.
 */
function establishedOptions(sk: TcpSock, plen: number): TcpOptions | undefined {
  const sack = sk.sackOk && plen === 0 ? tcpSackBlocksToSend(sk) : undefined;
  if (!sk.tstampOk && sack === undefined) return undefined;
  const o: TcpOptions = {};
  if (sk.tstampOk) o.timestamps = { tsval: tcpTsval(sk), tsecr: sk.tsRecent };
  if (sack !== undefined) o.sack = sack;
  return o;
}

/**
 * Transmits one queued segment (`tcp_transmit_skb`). With `cloneIt` the queued skb
 * stays on the queue for retransmission and a clone (sharing the payload) goes
 * down; if an earlier clone is still alive the clone's header area is made private
 * first (Linux uses `pskb_copy` there).
 */
export function tcpTransmitSkb(sk: TcpSock, skb: SkBuff, cloneIt: boolean): void {
  const stack = sk.stack;
  let c: SkBuff;
  if (cloneIt) {
    if (!skb.nohdr) skb.headerRelease(); // the queued skb never touches its header area
    c = skb.clone();
    // An earlier clone still holds the header area, or this is the tail of a split
    // whose headroom is the head's payload: make the header private (Linux: pskb_copy).
    if (c.headerCloned() || c.headroom() < stack.maxTcpHeader) c.cowHead(stack.maxTcpHeader);
  } else {
    c = skb;
  }
  let flags = c.cb[CB_FLAGS]!;
  const syn = (flags & TcpFlags.SYN) !== 0;
  let opts: TcpOptions | undefined;
  let hl = TCP_HEADER_LEN;
  if (syn) opts = synOptions(sk, (flags & TcpFlags.ACK) !== 0);
  else opts = establishedOptions(sk, c.len);
  if (opts !== undefined) hl += tcpOptionsLen(opts);
  if (sk.state !== TcpState.SYN_SENT || !syn) flags |= TcpFlags.ACK;
  // Linux forces PSH on every GSO packet (more than one segment) so the receiver's
  // GRO flushes it at once (`__tcp_transmit_skb`); only the copy sent carries it.
  if (!syn && sk.tso && c.len > sk.mss) flags |= TcpFlags.PSH;
  const win = syn ? Math.min(sk.rcvWnd, 65535) : tcpSelectWindow(sk);
  const o = c.pushOff(hl);
  writeHeader(c.buf, o, sk.lport, sk.rport, c.cb[CB_SEQ]!, (flags & TcpFlags.ACK) !== 0 ? sk.rcvNxt : 0, hl, flags, win);
  if (opts !== undefined) emitTcpOptions(opts, c.buf, o + field.OPTIONS);
  c.resetTransportHeader();
  const plen = c.len - hl;
  let offload = sk.csumOffload;
  if (sk.tso && plen > sk.mss) {
    // a TSO/GSO super-segment: the device (or GSO) cuts it into MSS-sized segments
    c.gsoSize = sk.mss;
    c.gsoSegs = Math.ceil(plen / sk.mss);
    c.gsoType = SKB_GSO_TCPV4;
    offload = true; // GSO skbs are always CHECKSUM_PARTIAL
  } else if (c.gsoSize !== 0) {
    c.gsoSize = 0;
    c.gsoSegs = 0;
    c.gsoType = 0;
  }
  let psum = -1;
  if (!offload && plen > 0) {
    const cached = skb.cb[CB_PCSUM]!;
    if (cached > 0) psum = cached - 1;
    else {
      psum = skbChecksum(c, hl, c.len - hl, 0);
      skb.cb[CB_PCSUM] = psum + 1;
    }
  }
  fillChecksum(c, hl, sk.laddr, sk.raddr, offload, psum);
  if ((flags & TcpFlags.ACK) !== 0) onAckSent(sk);
  // data leaving with nothing in flight: CA_EVENT_TX_START (`tcp_event_data_sent`)
  if (plen > 0 && sk.sndNxt === sk.sndUna) sk.ca.cwndEvent?.(sk, 'tx-start');
  sk.lastSendTime = stack.clock.now();
  stack.mib.outSegs++;
  stack.net.queueXmit(c, sk.laddr, sk.raddr);
}

/** An ACK went out: the delayed ACK is no longer needed (`tcp_event_ack_sent`). */
function onAckSent(sk: TcpSock): void {
  sk.ackPending = false;
  sk.rcvSegsSinceAck = 0;
  if (sk.quickAcks > 0) sk.quickAcks--;
  if (sk.delackTimer.pending) sk.stack.wheel.del(sk.delackTimer);
}

/**
 * Splits `skb` (on a write or retransmit queue) after `len` payload bytes
 * (`tcp_fragment` / `skb_split`), without copying payload: a split inside the
 * linear part makes the tail a fresh head whose one frag is a borrowed page over
 * `skb`'s linear bytes past `len` (so its headers go into private headroom, as
 * Linux's `head_frag` heads allow); a split inside the paged
 * part moves the frags past `len` to a fresh head (one frag cut in two shares its
 * page, with adjusted offset and size) and trims `skb`. A paged skb split inside its
 * linear part is first split at `headlen`. FIN/PSH/EOR move to the tail. Never pulls
 * paged data; fragList skbs never reach here (`sendSkbs` queues their members).
 */
export function tcpFragment(sk: TcpSock, skb: SkBuff, len: number): void {
  if (skb.dataLen !== 0 && len < skb.headlen) {
    tcpFragment(sk, skb, skb.headlen);
    tcpFragment(sk, skb, len);
    return;
  }
  const q = skb.list!;
  let tail: SkBuff;
  if (skb.dataLen === 0) {
    // The tail's bytes become one frag over a borrowed page of skb's linear buffer, in
    // a fresh head with private headroom: a clone pulled by `len` would have skb's
    // payload as its headroom, so pushing its headers would copy it (expandHead).
    tail = allocSkb(sk.stack.maxTcpHeader, { pool: sk.stack.pool });
    tail.reserve(sk.stack.maxTcpHeader);
    let page: Page;
    try {
      page = skbBorrowLinear(skb, len);
    } catch (e) {
      tail.free();
      throw e;
    }
    try {
      tail.addFrag(page, skb.data + len, skb.len - len, 0);
    } catch (e) {
      page.put(); // the last user reference: releases the borrowed buffer
      tail.free();
      throw e;
    }
    tail.headerRelease();
  } else {
    tail = allocSkb(sk.stack.maxTcpHeader, { pool: sk.stack.pool });
    tail.reserve(sk.stack.maxTcpHeader);
    let off = skb.headlen;
    for (const f of skb.frags) {
      const from = Math.max(len, off);
      const to = off + f.size;
      if (to > from) {
        const page = f.page.get();
        try {
          tail.addFrag(page, f.off + (from - off), to - from, 0);
        } catch (e) {
          page.put();
          tail.free(); // nothing of `skb` has changed yet
          throw e;
        }
      }
      off = to;
    }
    tail.headerRelease();
  }
  q.bytes -= skb.len - len; // keep the queue's byte count exact across the trim
  skb.trim(len);
  const seq = skb.cb[CB_SEQ]!;
  const flags = skb.cb[CB_FLAGS]!;
  tail.cb[CB_SEQ] = seqAdd(seq, len);
  tail.cb[CB_END_SEQ] = skb.cb[CB_END_SEQ]!;
  tail.cb[CB_FLAGS] = flags;
  tail.cb[CB_PCSUM] = 0;
  tail.cb[CB_CHARGE] = 0;
  tail.cb[CB_RETRANS] = skb.cb[CB_RETRANS]!;
  tail.cb[CB_WHEN] = skb.cb[CB_WHEN]!;
  tail.cb[CB_SACKED] = skb.cb[CB_SACKED]!; // scoreboard bits hold for both halves (byte counters unchanged)
  skb.cb[CB_END_SEQ] = seqAdd(seq, len);
  skb.cb[CB_FLAGS] = flags & ~(TcpFlags.FIN | TcpFlags.PSH | TCPCB_EOR); // the record ends in the tail
  skb.cb[CB_PCSUM] = 0;
  q.insertAfter(skb, tail);
}

/** Whether Nagle/cork holds back a partial segment (`tcp_nagle_check`, Minshall variant). */
function nagleBlocks(sk: TcpSock, skb: SkBuff, nonagle: number): boolean {
  if (skb.len >= sk.mss || (skb.cb[CB_FLAGS]! & TcpFlags.FIN) !== 0) return false;
  return tcpNagleCheck(sk, nonagle);
}

/** Whether Nagle/cork holds back a sub-MSS piece (`tcp_nagle_check` with `partial` set). */
function tcpNagleCheck(sk: TcpSock, nonagle: number): boolean {
  if ((nonagle & TCP_NAGLE_PUSH) !== 0) return false;
  if ((nonagle & TCP_NAGLE_CORK) !== 0) return true;
  if ((nonagle & TCP_NAGLE_OFF) !== 0) return false;
  return sk.sndNxt !== sk.sndUna && seqGt(sk.sndSml, sk.sndUna);
}

/**
 * Bytes per TSO/GSO packet (`tcp_tso_autosize`): what the pacing rate sends in
 * about 1 ms (rate = cwnd / SRTT × 2 in slow start, × 1.2 after: `tcp_update_pacing_rate`),
 * plus `gso_max >> (RTT / 512 µs)` on short paths (`tcp_tso_rtt_log` 9), at least
 * 2 segments and at most the size goal. So a long path sends bursts of a few
 * segments, a short one full 64 KiB packets, and every packet of more than one
 * segment carries PSH (see tcpTransmitSkb), as Linux's do.
 */
function tcpTsoAutosize(sk: TcpSock): number {
  const mss = sk.mss;
  if (sk.srtt <= 0) return sk.sizeGoal;
  const ratio = sk.sndCwnd < sk.sndSsthresh / 2 ? 2 : 1.2;
  const inFlight = (sk.sndNxt - sk.sndUna) >>> 0;
  const ratePerMs = (Math.max(sk.sndCwnd, inFlight) * ratio) / sk.srtt;
  let bytes = ratePerMs * (1000 / 1024); // sk_pacing_shift 10: ~1 ms
  const r = Math.floor((sk.srtt * 1000) / 512);
  if (r < 31) bytes += 65536 / 2 ** r;
  const segs = Math.max(2, Math.floor(Math.min(bytes, sk.sizeGoal) / mss));
  return Math.min(sk.sizeGoal, segs * mss);
}

/** Nagle mode of a socket (`tp->nonagle`). */
export function sockNonagle(sk: TcpSock): number {
  return (sk.cork ? TCP_NAGLE_CORK : 0) | (sk.nodelay ? TCP_NAGLE_OFF : 0);
}

/**
 * Sends as much of the write queue as cwnd, the peer's window and Nagle allow
 * (`tcp_write_xmit`). Arms the RTO for the first segment in flight and the
 * persist timer when data waits on a zero window with nothing in flight.
 * @returns number of segments sent
 */
export function tcpWriteXmit(sk: TcpSock, nonagle: number): number {
  if (sk.state === TcpState.SYN_SENT || sk.state === TcpState.LISTEN || sk.state === TcpState.CLOSE) return 0;
  let sent = 0;
  const stack = sk.stack;
  // lost data before new data (`tcp_xmit_retransmit_queue`, retransmit.ts)
  if (sk.sb.lostOut > 0) tcpXmitRetransmitQueue(sk);
  let skb = sk.writeQueue.peek();
  while (skb !== null) {
    let seq = skb.cb[CB_SEQ]!;
    if (seqLt(seq, sk.sndUna) && skb.len > 0) {
      // partially acknowledged after go-back-N (`tcp_trim_head`)
      const n = Math.min((sk.sndUna - seq) >>> 0, skb.len);
      if (n <= skb.headlen) {
        skb.pull(n);
        sk.writeQueue.bytes -= n;
        seq = seqAdd(seq, n);
        skb.cb[CB_SEQ] = seq;
        skb.cb[CB_PCSUM] = 0;
      }
    }
    const endSeq = skb.cb[CB_END_SEQ]!;
    const isFinOnly = skb.len === 0;
    // cwnd test (tcp_cwnd_test) against the RFC 6675 pipe: SACKed and dup-ACKed
    // bytes have left the network, which gives limited transmit (RFC 3042)
    const inFlight = tcpPacketsInFlight(sk);
    if (inFlight >= sk.sndCwnd && !isFinOnly) break;
    // receive window test (tcp_snd_wnd_test)
    const wndEnd = seqAdd(sk.sndUna, sk.sndWnd);
    let limit = skb.len;
    if (seqGt(endSeq, wndEnd) && !isFinOnly) {
      const avail = (wndEnd - seq) | 0;
      if (avail <= 0) break;
      // sender SWS avoidance (RFC 9293 §3.8.6.2.1): no tiny segments into a small window
      if (avail < sk.mss && avail < (sk.maxWindow >>> 1) && (nonagle & TCP_FORCE_PROBE) === 0) break;
      limit = Math.min(limit, avail);
    }
    const cwndRoom = sk.sndCwnd - inFlight;
    if (limit > cwndRoom && cwndRoom >= sk.mss) limit = Math.max(sk.mss, cwndRoom - (cwndRoom % sk.mss));
    else if (limit > cwndRoom) limit = Math.min(limit, sk.mss);
    const maxSeg = sk.tso ? tcpTsoAutosize(sk) : sk.mss;
    if (limit > maxSeg) limit = maxSeg;
    if (skb.next === null || skb === sk.writeQueue.peekTail()) {
      if (limit === skb.len && nagleBlocks(sk, skb, nonagle)) break;
      // a multi-segment tail: its sub-MSS remainder waits like a small segment would
      // (`tcp_mss_split_point`: MSG_MORE/cork hold it, so does Minshall's Nagle)
      const partial = limit % sk.mss;
      if (limit > sk.mss && partial !== 0 && tcpNagleCheck(sk, nonagle)) limit -= partial;
    }
    if (limit < skb.len) tcpFragment(sk, skb, limit);
    // move to the retransmit queue and send a clone
    if (seqLt(seq, sk.sndMax)) {
      skb.cb[CB_RETRANS] = skb.cb[CB_RETRANS]! + 1; // resent after go-back-N
      stack.mib.retransSegs++;
      tcpUndoRetransmitted(sk); // undo.ts
    } else skb.cb[CB_SACKED] = 0; // new data starts with a clean scoreboard
    if (sk.caState === CaState.RECOVERY) sk.sb.prrOut += (skb.cb[CB_END_SEQ]! - seq) >>> 0; // PRR (prr.ts)
    sk.writeQueue.unlink(skb);
    sk.rtxQueue.enqueueTail(skb);
    skb.cb[CB_WHEN] = stack.clock.now();
    tcpTransmitSkb(sk, skb, true);
    const end = skb.cb[CB_END_SEQ]!;
    if (seqGt(end, sk.sndNxt)) sk.sndNxt = end;
    if (seqGt(end, sk.sndMax)) sk.sndMax = end;
    if (skb.len < sk.mss) sk.sndSml = end;
    if (sk.rttTime < 0 && skb.cb[CB_RETRANS]! === 0) {
      sk.rttTime = skb.cb[CB_WHEN]!;
      sk.rttSeq = end;
    }
    if (sk.pendingTimer !== 1) resetRtxTimer(sk, 1, currentRto(sk));
    sent++;
    skb = sk.writeQueue.peek();
  }
  // nothing in flight but data waiting on the window: persist timer (tcp_check_probe_timer)
  if (sk.writeQueue.qlen > 0 && sk.rtxQueue.qlen === 0 && sk.pendingTimer === 0) {
    resetRtxTimer(sk, 2, currentRto(sk));
  }
  if (sent > 0) tcpScheduleLossProbe(sk, false); // one probe per tail (tlp.ts)
  return sent;
}

/** Pushes pending frames with the socket's Nagle mode (`tcp_push_pending_frames`). */
export function tcpPushPendingFrames(sk: TcpSock, extra = 0): void {
  if (sk.writeQueue.qlen === 0) return;
  tcpWriteXmit(sk, sockNonagle(sk) | extra);
}

/** PSH on `skb`, the write-queue tail (`tcp_mark_push`). */
function tcpMarkPush(sk: TcpSock, skb: SkBuff): void {
  skb.cb[CB_FLAGS] = skb.cb[CB_FLAGS]! | TcpFlags.PSH;
  sk.pushedSeq = sk.writeSeq;
}

/** More than half the peer's largest window was written since the last PSH (`forced_push`). */
function tcpForcedPush(sk: TcpSock): boolean {
  return seqGt(sk.writeSeq, seqAdd(sk.pushedSeq, sk.maxWindow >>> 1));
}

/**
 * A write filled `skb` to the size goal and has more to copy (the loop of
 * `tcp_sendmsg`): PSH and push everything when a push is forced, else send the
 * skb if it is at the send head (`tcp_push_one`).
 */
export function tcpPushFullSkb(sk: TcpSock, skb: SkBuff): void {
  if (tcpForcedPush(sk)) {
    tcpMarkPush(sk, skb);
    tcpWriteXmit(sk, TCP_NAGLE_PUSH);
  } else if (sk.writeQueue.peek() === skb) tcpWriteXmit(sk, sockNonagle(sk));
}

/**
 * End of a write (`tcp_push`): the last skb of the write queue gets PSH unless
 * `more` (MSG_MORE) holds it back and no push is forced; then pending frames go
 * out, corked under MSG_MORE (only full segments leave).
 */
export function tcpPush(sk: TcpSock, more: boolean): void {
  const skb = sk.writeQueue.peekTail();
  if (skb === null) return;
  if (!more || tcpForcedPush(sk)) tcpMarkPush(sk, skb);
  tcpWriteXmit(sk, sockNonagle(sk) | (more ? TCP_NAGLE_CORK : 0));
}

/** Allocates a control skb with room for headers (`alloc_skb(MAX_TCP_HEADER)`). */
function allocCtl(stack: TcpStack): SkBuff {
  const skb = allocSkb(stack.maxTcpHeader, { pool: stack.pool });
  skb.reserve(stack.maxTcpHeader);
  return skb;
}

/**
 * Sends a bare control segment for `sk` (ACK, RST, probe) without queuing it
 * (`tcp_send_ack`, `tcp_send_active_reset`, `tcp_xmit_probe_skb`).
 */
export function tcpSendCtl(sk: TcpSock, seq: number, flags: number): void {
  const skb = allocCtl(sk.stack);
  skb.cb[CB_SEQ] = seq;
  skb.cb[CB_END_SEQ] = seq;
  skb.cb[CB_FLAGS] = flags;
  tcpTransmitSkb(sk, skb, false);
}

/**
 * Sends an ACK now (`tcp_send_ack`). Its sequence number is the highest ever sent:
 * after a go-back-N rewind of snd_nxt, an ACK numbered snd_nxt could fall left of
 * the peer's window and be dropped as unacceptable (Linux never rewinds snd_nxt,
 * so its `tcp_acceptable_seq()` gives the same value).
 */
export function tcpSendAck(sk: TcpSock): void {
  if (sk.state === TcpState.CLOSE || sk.state === TcpState.LISTEN) return;
  tcpSendCtl(sk, sk.sndMax, TcpFlags.ACK);
}

/** RFC 5961 §3.2/§4/§5 challenge ACK, rate-limited per stack (`tcp_send_challenge_ack`). */
export function tcpSendChallengeAck(sk: TcpSock): void {
  const stack = sk.stack;
  if (!stack.challengeAckAllowed()) return;
  stack.mib.challengeAcks++;
  tcpSendAck(sk);
}

/** Sends RST for an aborted connection (`tcp_send_active_reset`). */
export function tcpSendActiveReset(sk: TcpSock): void {
  sk.stack.mib.outRsts++;
  tcpSendCtl(sk, sk.sndMax, TcpFlags.RST | TcpFlags.ACK);
}

/**
 * RST in reply to a segment that has no connection (`tcp_v4_send_reset`,
 * RFC 9293 §3.10.7.1): if the segment had ACK, `<SEQ=SEG.ACK><CTL=RST>`, else
 * `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`. Never in reply to a RST.
 */
export function tcpV4SendReset(stack: TcpStack, saddr: number, daddr: number, sport: number, dport: number, seq: number, ack: number, flags: number, segLen: number): void {
  if ((flags & TcpFlags.RST) !== 0) return;
  const route = stack.net.route(saddr, daddr);
  const skb = allocCtl(stack);
  let rseq = 0;
  let rack = 0;
  let rflags = TcpFlags.RST;
  if ((flags & TcpFlags.ACK) !== 0) rseq = ack;
  else {
    rack = seqAdd(seq, segLen);
    rflags |= TcpFlags.ACK;
  }
  const o = skb.pushOff(20);
  writeHeader(skb.buf, o, dport, sport, rseq, rack, 20, rflags, 0);
  skb.resetTransportHeader();
  fillChecksum(skb, 20, daddr, saddr, route?.csumOffload ?? false, -1);
  stack.mib.outRsts++;
  stack.mib.outSegs++;
  stack.net.queueXmit(skb, daddr, saddr);
}

/**
 * A SYN-ACK that leaves no state behind (a SYN cookie's, `tcp_make_synack` for a
 * cookie request): `<SEQ=isn><ACK=ack><CTL=SYN,ACK>` with the given options.
 */
export function tcpV4SendSynAckStateless(stack: TcpStack, saddr: number, daddr: number, sport: number, dport: number, isn: number, ack: number, opts: TcpOptions, win: number): void {
  const route = stack.net.route(saddr, daddr);
  const skb = allocCtl(stack);
  const hl = TCP_HEADER_LEN + tcpOptionsLen(opts);
  const o = skb.pushOff(hl);
  writeHeader(skb.buf, o, dport, sport, isn, ack, hl, TcpFlags.SYN | TcpFlags.ACK, win);
  emitTcpOptions(opts, skb.buf, o + field.OPTIONS);
  skb.resetTransportHeader();
  fillChecksum(skb, hl, daddr, saddr, route?.csumOffload ?? false, -1);
  stack.mib.outSegs++;
  stack.net.queueXmit(skb, daddr, saddr);
}

/** Queues and sends our SYN (`tcp_connect`). */
export function tcpConnectSend(sk: TcpSock): void {
  const skb = allocCtl(sk.stack);
  skb.cb[CB_SEQ] = sk.iss;
  skb.cb[CB_END_SEQ] = seqAdd(sk.iss, 1);
  skb.cb[CB_FLAGS] = TcpFlags.SYN;
  skb.cb[CB_WHEN] = sk.stack.clock.now();
  skb.headerRelease();
  sk.rtxQueue.enqueueTail(skb);
  sk.sndNxt = seqAdd(sk.iss, 1);
  sk.sndMax = sk.sndNxt;
  sk.rttTime = sk.stack.clock.now();
  sk.rttSeq = sk.sndNxt;
  tcpTransmitSkb(sk, skb, true);
  resetRtxTimer(sk, 1, currentRto(sk));
}

/** Sends a SYN-ACK for a SYN-RECV socket (`tcp_v4_send_synack`). */
export function tcpSendSynAck(sk: TcpSock): void {
  const skb = allocCtl(sk.stack);
  skb.cb[CB_SEQ] = sk.iss;
  skb.cb[CB_END_SEQ] = seqAdd(sk.iss, 1);
  skb.cb[CB_FLAGS] = TcpFlags.SYN | TcpFlags.ACK;
  tcpTransmitSkb(sk, skb, false);
}

/**
 * Queues our FIN (`tcp_send_fin`): set on the unsent tail skb when there is one,
 * otherwise on a new empty skb; then pushes with Nagle off.
 */
export function tcpSendFin(sk: TcpSock): void {
  if (sk.finQueued) return;
  sk.finQueued = true;
  const tail = sk.writeQueue.peekTail();
  if (tail !== null) {
    tail.cb[CB_FLAGS] = tail.cb[CB_FLAGS]! | TcpFlags.FIN;
    tail.cb[CB_END_SEQ] = seqAdd(tail.cb[CB_END_SEQ]!, 1);
  } else {
    const skb = allocCtl(sk.stack);
    skb.cb[CB_SEQ] = sk.writeSeq;
    skb.cb[CB_END_SEQ] = seqAdd(sk.writeSeq, 1);
    skb.cb[CB_FLAGS] = TcpFlags.FIN | TcpFlags.ACK;
    skb.headerRelease();
    sk.writeQueue.enqueueTail(skb);
  }
  sk.writeSeq = seqAdd(sk.writeSeq, 1);
  tcpWriteXmit(sk, TCP_NAGLE_OFF | TCP_NAGLE_PUSH);
  if (sk.writeQueue.qlen > 0 && sk.pendingTimer === 0) resetRtxTimer(sk, 2, currentRto(sk));
}

/**
 * Retransmits the start of `skb`, at most `segs` MSS of it (`tcp_retransmit_skb`):
 * data the peer already acknowledged is trimmed (`tcp_trim_head`), a longer skb is
 * split there (`tcp_fragment`, zero-copy) so only the first part goes out and the
 * rest stays queued with the same scoreboard bits — a fast retransmit is one MSS,
 * as Linux sends it. Karn's rule cancels the RTT sample it covers.
 */
export function tcpRetransmitSkb(sk: TcpSock, skb: SkBuff, segs = 1): void {
  const stack = sk.stack;
  // Trim data the peer already acknowledged (`tcp_trim_head`).
  const seq = skb.cb[CB_SEQ]!;
  if (seqLt(seq, sk.sndUna) && skb.len > 0) {
    const n = Math.min((sk.sndUna - seq) >>> 0, skb.len);
    if (n <= skb.headlen) {
      const bits = skb.cb[CB_SACKED]!;
      tcpSbForget(sk, skb);
      skb.pull(n);
      if (skb.list !== null) skb.list.bytes -= n;
      skb.cb[CB_SEQ] = seqAdd(seq, n);
      skb.cb[CB_PCSUM] = 0;
      tcpSbRestore(sk, skb, bits);
    }
  }
  const len = Math.max(1, segs) * sk.mss;
  if (skb.len > len && skb.list !== null) tcpFragment(sk, skb, len);
  skb.cb[CB_RETRANS] = skb.cb[CB_RETRANS]! + 1;
  skb.cb[CB_WHEN] = stack.clock.now();
  if (sk.rttTime >= 0 && !seqLt(sk.rttSeq, skb.cb[CB_SEQ]!)) sk.rttTime = -1; // Karn's rule
  stack.mib.retransSegs++;
  tcpUndoRetransmitted(sk); // undo.ts
  tcpTransmitSkb(sk, skb, true);
}

/**
 * RTO (`tcp_enter_loss`): ssthresh from the module (once per episode), cwnd to one
 * segment. With SACK every skb not SACKed is marked lost and the retransmission
 * loop resends exactly those, snd_nxt staying put (SACKed data is never resent).
 * Without SACK, go-back-N: everything in flight moves back in front of the unsent
 * data and snd_nxt rewinds to snd_una.
 */
export function tcpEnterLoss(sk: TcpSock): void {
  if (sk.caState !== CaState.LOSS || sk.retransmits === 0) sk.sndSsthresh = sk.ca.ssthresh(sk);
  sk.sndCwnd = sk.mss;
  sk.bytesAcked = 0;
  sk.caState = CaState.LOSS;
  sk.highSeq = sk.sndMax;
  sk.dupAcks = 0;
  sk.ca.cwndEvent?.(sk, 'loss');
  if (sk.sackOk) tcpTimeoutMarkLost(sk);
  else if (sk.rtxQueue.qlen > 0) {
    sk.sb.clear();
    for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) skb.cb[CB_SACKED] = 0;
    sk.rtxQueue.spliceTail(sk.writeQueue);
    sk.writeQueue.spliceTail(sk.rtxQueue);
    const head = sk.writeQueue.peek()!;
    sk.sndNxt = seqLt(head.cb[CB_SEQ]!, sk.sndUna) ? sk.sndUna : head.cb[CB_SEQ]!;
  }
  sk.rttTime = -1;
}

/**
 * Zero-window probe (`tcp_send_probe0` → `tcp_write_wakeup`): sends a segment
 * `<SEQ=SND.UNA-1>` with no data, which the peer must answer with an ACK carrying
 * its current window (RFC 9293 §3.8.6.1).
 */
export function tcpSendProbe0(sk: TcpSock): void {
  tcpSendCtl(sk, (sk.sndUna - 1) >>> 0, TcpFlags.ACK);
}

/**
 * Recomputes the effective MSS and size goal from the route and the peer
 * (`tcp_sync_mss` / `tcp_send_mss`).
 */
export function tcpSyncMss(sk: TcpSock): void {
  const route = sk.stack.net.route(sk.raddr, sk.laddr);
  if (route !== undefined) {
    sk.pmtu = route.mtu;
    sk.csumOffload = route.csumOffload;
    sk.tso = route.tso;
  }
  // an IPv4 datagram is at most 65535 bytes, whatever the MTU (lo has 65536)
  let mss = Math.min(sk.pmtu, 65535) - 40;
  if (sk.peerMss > 0) mss = Math.min(mss, sk.peerMss);
  else if (sk.state !== TcpState.LISTEN && sk.state !== TcpState.CLOSE && sk.state !== TcpState.SYN_SENT) mss = Math.min(mss, 536);
  if (sk.userMss > 0) mss = Math.min(mss, sk.userMss);
  if (sk.tstampOk) mss -= 12; // every segment carries nop,nop,TS (`tcp_mtu_to_mss`: tcp_header_len)
  sk.mss = Math.max(mss, 64);
  const gsoMax = route?.gsoMaxSize ?? 65536;
  sk.sizeGoal = sk.tso ? Math.max(sk.mss, Math.floor((gsoMax - sk.stack.maxTcpHeader) / sk.mss) * sk.mss) : sk.mss;
}
