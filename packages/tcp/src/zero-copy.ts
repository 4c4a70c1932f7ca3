/**
 * The zero-copy skb API of the thesis §3.1:
 *
 * - {@link recvSkbs} (`tcp_recvskbuff()`): whole received skbs, dequeued from the
 *   receive queue and uncharged from the socket (`skb.orphan()` runs `sock_rfree`),
 *   never split — the total may exceed `maxBytes` by less than one skb. The caller
 *   owns them (free, or pass them to {@link sendSkbs}).
 * - {@link sendSkbs} (`tcp_sendskbuff()`): queues the payload of given skbs for
 *   transmission without copying it: for each one a new head is allocated
 *   (`allocSkbHead`, the thesis's `__alloc_skb_wo_data`) and pointed at the same
 *   data with `setDataPart` (`skb_set_data_part`); the original is released
 *   (`kfree_skb(orig)`), so the data is owned by the write queue alone and the
 *   TCP header can be pushed into the old headroom. When the headroom is too
 *   small for the headers below TCP, that one buffer is re-headed (`expandHead`,
 *   one copy) — receive paths that keep the link/IP headroom (loopback, veth)
 *   never need it.
 *
 * @module
 */

import { allocSkbHead, type SkBuff } from '@netlayers/skbuff';
import { TcpError } from './errors.js';
import { CB_FLAG_NO_COALESCE, takeError, tcpRecvSkbs } from './socket.js';
import { sockNonagle, tcpPush, tcpWriteXmit } from './output.js';
import { seqAdd } from './seq.js';
import { CB_CHARGE, CB_END_SEQ, CB_FLAGS, CB_PCSUM, CB_SEQ, rxPayloadCsum } from './skb-cb.js';
import type { TcpSock } from './sock.js';
import { SEND_SHUTDOWN, TcpState } from './state.js';
import { TcpFlags } from './wire/tcp.js';

/**
 * Queues the payload of `orig` (taking its reference) on the write queue: a new
 * head over the same data (`setDataPart`), then `kfree_skb(orig)`. A GRO'd skb's
 * `fragList` members are queued as skbs of their own, in order, after its
 * linear + paged part (what Linux's `skb_segment` would cut) — never linearised.
 */
function queueSkbData(sk: TcpSock, orig: SkBuff): void {
  const stack = sk.stack;
  const members = orig.fragList.map((c) => c.get());
  let membersLen = 0;
  for (const c of members) membersLen += c.len;
  // sk_stream_alloc_skb_wo_data + skb_set_data_part, then kfree_skb(orig)
  // the payload sum tcp_v4_rcv verified, when these are still exactly those bytes
  let psum = membersLen === 0 ? rxPayloadCsum(orig) : 0;
  const skb = allocSkbHead({ pool: stack.pool });
  skb.setDataPart(orig);
  orig.free();
  if (membersLen > 0) {
    skb.trim(skb.len - membersLen); // drops the fragList refs; ours stay
    for (const c of members) skb.truesize -= c.truesize; // each member is charged itself
  }
  if (skb.len > 0) {
    if (skb.headroom() < stack.maxTcpHeader) {
      skb.expandHead(stack.maxTcpHeader - skb.headroom(), 0);
      psum = 0; // conservative: the range moved
    }
    skb.headerRelease();
    skb.ipSummed = 0;
    skb.cb.fill(0);
    skb.cb[CB_SEQ] = sk.writeSeq;
    skb.cb[CB_END_SEQ] = seqAdd(sk.writeSeq, skb.len);
    skb.cb[CB_FLAGS] = TcpFlags.ACK | CB_FLAG_NO_COALESCE;
    skb.cb[CB_CHARGE] = skb.truesize;
    skb.cb[CB_PCSUM] = psum; // reused by tcp_transmit_skb for a software checksum
    sk.wmemQueued += skb.truesize;
    sk.writeSeq = seqAdd(sk.writeSeq, skb.len);
    sk.writeQueue.enqueueTail(skb);
  } else skb.free();
  for (const c of members) queueSkbData(sk, c);
}

/**
 * Receives whole skbs (payload only). See the module doc.
 * @returns the skbs (empty array = end of stream)
 * @throws TcpError EAGAIN when nothing is queued yet, or the pending socket error
 */
export function recvSkbs(sk: TcpSock, maxBytes: number): SkBuff[] {
  return tcpRecvSkbs(sk, maxBytes);
}

/**
 * Queues `skbs` (their bytes from `data` to the end, linear and paged) for
 * transmission without copying payload. Takes ownership of every skb it accepts;
 * returns how many were accepted (the rest stay with the caller when the send
 * buffer is full — wait for write space and call again).
 * @throws TcpError EAGAIN (nothing accepted), EPIPE, ENOTCONN
 */
export function sendSkbs(sk: TcpSock, skbs: readonly SkBuff[]): number {
  const stack = sk.stack;
  stack.lockSock(sk);
  try {
    takeError(sk, 'sendSkbs');
    if ((sk.shutdownFlags & SEND_SHUTDOWN) !== 0 || sk.finQueued) throw new TcpError('EPIPE', 'send after shutdown', 'sendSkbs');
    const st = sk.state;
    if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECV) throw new TcpError('EAGAIN', 'connection not yet established', 'sendSkbs');
    if (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT) throw new TcpError('ENOTCONN', 'not connected', 'sendSkbs');
    let accepted = 0;
    for (const orig of skbs) {
      if (orig.len === 0) {
        orig.free();
        accepted++;
        continue;
      }
      if (sk.wmemQueued + orig.truesize > sk.sndbuf && sk.wmemQueued > 0) {
        sk.writeBlocked = true;
        break;
      }
      queueSkbData(sk, orig);
      accepted++;
    }
    if (accepted === 0 && skbs.length > 0) throw new TcpError('EAGAIN', 'send buffer full', 'sendSkbs');
    // The accepted skbs belong to the write queue now: a failure while pushing them
    // out must not reach the caller as "not accepted" (it would free them again).
    // They stay queued; the retransmit timer sends them.
    if (accepted === 0) tcpWriteXmit(sk, sockNonagle(sk));
    else {
      try {
        tcpPush(sk, false); // PSH on the last queued skb, as tcp_sendmsg's tcp_push
      } catch {
        sk.softErr = 'ENOBUFS';
      }
    }
    return accepted;
  } finally {
    stack.releaseSock(sk);
  }
}
