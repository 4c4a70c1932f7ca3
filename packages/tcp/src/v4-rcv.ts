/**
 * Segment arrival from the network layer (Linux `net/ipv4/tcp_ipv4.c`, thesis §2.3):
 * header checks and checksum, demultiplexing, and the choice between the socket
 * backlog (owned by the user), the prequeue (a reader is waiting) and immediate
 * processing by state.
 *
 * ```
 * tcpV4Rcv ── checksum, demux ──┬─ owned by user ─────────────▶ backlog  (processed by releaseSock)
 *                               ├─ reader waiting (ESTAB) ────▶ prequeue (processed in the reader's context)
 *                               └─ tcpV4DoRcv ─┬─ ESTABLISHED ▶ tcpRcvEstablished (input.ts)
 *                                              ├─ LISTEN ─────▶ tcpV4ConnRequest (minisocks.ts)
 *                                              ├─ TIME-WAIT ──▶ tcpTimewaitProcess (minisocks.ts)
 *                                              └─ others ─────▶ tcpRcvStateProcess (input.ts)
 * ```
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { csumAdd, csumFold, csumPartial, csumSub, csumTcpUdpNofold, IpSummed, skbChecksum } from '@netlayers/skbuff';
import { tcpRcvEstablished, tcpRcvStateProcess } from './input.js';
import { tcpTimewaitProcess, tcpV4ConnRequest } from './minisocks.js';
import { tcpV4SendReset } from './output.js';
import { seqAdd } from './seq.js';
import { CB_ACK, CB_DOFF, CB_END_SEQ, CB_FLAGS, CB_RX_PSUM, CB_SEQ, CB_WINDOW, setRxPayloadCsum } from './skb-cb.js';
import type { TcpSock } from './sock.js';
import { TcpState } from './state.js';
import type { TcpStack } from './stack.js';
import { TCP_HEADER_LEN, TcpFlags, TcpPacket } from './wire/tcp.js';

/**
 * Whether the segment's checksum is good, honouring `ipSummed` (`tcp_v4_checksum_init`).
 * Sums header and payload apart (one pass, as before) and keeps the payload's sum
 * in the control block ({@link setRxPayloadCsum}, after the header pull) so that a
 * zero-copy relay sending these bytes on needs no second pass. `doff` header bytes
 * are linear.
 * @returns the payload's partial sum, -1 if the device vouched for it (not known), or null if bad
 */
function checksumOk(skb: SkBuff, saddr: number, daddr: number, doff: number): number | null {
  const s = skb.ipSummed;
  if (s === IpSummed.UNNECESSARY || s === IpSummed.PARTIAL) return -1;
  const hsum = csumPartial(skb.buf, skb.data, doff, 0);
  // COMPLETE: the device's sum from data (the TCP header) on; the header is of even length
  const psum = s === IpSummed.COMPLETE ? csumSub(skb.csum, hsum) : skbChecksum(skb, doff, skb.len - doff, 0);
  if (csumFold(csumAdd(csumAdd(hsum, psum), csumTcpUdpNofold(saddr, daddr, skb.len, 6, 0))) !== 0) return null;
  skb.ipSummed = IpSummed.UNNECESSARY;
  return psum;
}

/**
 * Entry point from the network layer (`tcp_v4_rcv`): `skb.data` points at the TCP
 * header, `skb.len` is the segment length. Takes ownership of `skb`.
 */
export function tcpV4Rcv(stack: TcpStack, skb: SkBuff, saddr: number, daddr: number): void {
  const mib = stack.mib;
  mib.inSegs++;
  if (!skb.mayPull(TCP_HEADER_LEN)) {
    mib.inErrs++;
    skb.free();
    return;
  }
  // the wire module's zero-copy view (its contract: length ≥ 20, checked above)
  const doff = TcpPacket.unchecked(skb.buf, skb.data, skb.len).headerLen;
  if (doff < TCP_HEADER_LEN || doff > skb.len || !skb.mayPull(doff)) {
    mib.inErrs++;
    skb.free();
    return;
  }
  const psum = checksumOk(skb, saddr, daddr, doff);
  if (psum === null) {
    mib.inCsumErrors++;
    mib.inErrs++;
    skb.free();
    return;
  }
  const p = TcpPacket.unchecked(skb.buf, skb.data, skb.len); // mayPull may have moved the header
  const sport = p.srcPort;
  const dport = p.dstPort;
  const seq = p.seq;
  const ack = p.ack;
  const flags = p.flags;
  const win = p.window;
  const plen = p.payloadLen;
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
  if (psum >= 0 && plen > 0) setRxPayloadCsum(skb, psum);
  else cb[CB_RX_PSUM] = 0;

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
