/**
 * The out-of-order queue (Linux `tcp_data_queue_ofo`, `tcp_ofo_queue`,
 * `tcp_prune_ofo_queue`): segments beyond rcv_nxt wait here, in an ordered tree of
 * adjacent-skb runs (ofo-tree.ts), until the hole before them is filled; under memory pressure they are dropped from
 * the highest sequence down.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { skbSetOwnerR, tcpFin } from './proto.js';
import { OfoInsert } from './ofo-tree.js';
import { seqAdd, seqGt, seqLt } from './seq.js';
import { CB_END_SEQ, CB_FLAGS, CB_SEQ } from './skb-cb.js';
import type { TcpSock } from './sock.js';
import { TcpFlags } from './wire/tcp.js';
import { tcpDsackExtend, tcpDsackSet, tcpSackNewOfoSkb } from './sack.js';

/** Moves one skb that became in-order to the receive queue; false when it carried the FIN. */
function ofoDeliver(sk: TcpSock, s: SkBuff): boolean {
  const seq = s.cb[CB_SEQ]!;
  const fin = (s.cb[CB_FLAGS]! & TcpFlags.FIN) !== 0;
  if (!seqGt(s.cb[CB_END_SEQ]!, sk.rcvNxt)) {
    s.free(); // duplicate
    return true;
  }
  const n = (sk.rcvNxt - seq) >>> 0;
  if (n > 0) {
    // pskb_pull: the overlap may lie in frags (reassembled or GRO'd skbs)
    if (!s.mayPull(n)) {
      s.free();
      return true;
    }
    s.pull(n);
    s.cb[CB_SEQ] = sk.rcvNxt;
  }
  const len = s.len;
  if (len > 0) {
    sk.receiveQueue.enqueueTail(s); // already charged
    sk.rcvNxt = seqAdd(sk.rcvNxt, len);
  } else s.free();
  if (fin) tcpFin(sk);
  return !fin;
}

/**
 * Moves the runs that became in-order from the out-of-order queue (`tcp_ofo_queue`).
 * Data after a FIN cannot be delivered and is freed with the rest of its run.
 */
export function tcpOfoQueue(sk: TcpSock): void {
  const q = sk.ofoQueue;
  const dsackHigh = sk.rcvNxt;
  for (let r = q.first(); r !== null && !seqGt(r.seq, sk.rcvNxt); r = q.first()) {
    q.shiftRun();
    let i = 0;
    let more = true;
    for (; i < r.skbs.length && more; i++) {
      const s = r.skbs[i]!;
      const seq = s.cb[CB_SEQ]!;
      if (sk.sackOk && seqLt(seq, dsackHigh)) {
        // bytes the in-order segment already brought: report them (DSACK, as tcp_ofo_queue)
        const end = s.cb[CB_END_SEQ]!;
        tcpDsackExtend(sk, seq, seqLt(end, dsackHigh) ? end : dsackHigh);
      }
      more = ofoDeliver(sk, s);
    }
    for (; i < r.skbs.length; i++) r.skbs[i]!.free();
    if (!more) break;
  }
}

/** Drops out-of-order segments from the highest sequence down until `need` bytes fit (`tcp_prune_ofo_queue`). */
export function tcpPruneOfoQueue(sk: TcpSock, need: number): void {
  const q = sk.ofoQueue;
  while (q.length > 0 && sk.rmemAlloc + need > sk.rcvbuf) {
    q.popLast()!.free();
    sk.stack.mib.ofoPruned++;
    sk.selectiveAcks.length = 0; // tcp_sack_reset: the blocks no longer hold
  }
}

/**
 * Inserts into the out-of-order queue (`tcp_data_queue_ofo`): duplicates are
 * refused, segments it covers are dropped, adjacent segments coalesce into one run.
 * @returns whether `skb` was queued (then charged to the socket)
 */
export function tcpDataQueueOfo(sk: TcpSock, skb: SkBuff): boolean {
  const stack = sk.stack;
  if (sk.rmemAlloc + skb.truesize > sk.rcvbuf) {
    stack.mib.ofoDrop++;
    return false;
  }
  const seq = skb.cb[CB_SEQ]!;
  const end = skb.cb[CB_END_SEQ]!;
  if (sk.ofoQueue.insert(skb) === OfoInsert.DUPLICATE) {
    stack.mib.ofoDup++;
    tcpDsackSet(sk, seq, end);
    return false;
  }
  if (sk.sackOk) tcpSackNewOfoSkb(sk, seq, end);
  skbSetOwnerR(skb, sk);
  stack.mib.ofoQueued++;
  return true;
}
