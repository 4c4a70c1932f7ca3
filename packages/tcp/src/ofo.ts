/**
 * The out-of-order queue (Linux `tcp_data_queue_ofo`, `tcp_ofo_queue`,
 * `tcp_prune_ofo_queue`): segments beyond rcv_nxt wait here, sorted by sequence,
 * until the hole before them is filled; under memory pressure they are dropped from
 * the highest sequence down.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { skbSetOwnerR, tcpFin } from './proto.js';
import { seqAdd, seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { CB_END_SEQ, CB_FLAGS, CB_SEQ } from './skb-cb.js';
import { NO_SKBS, type TcpSock } from './sock.js';
import { TcpFlags } from './wire/tcp.js';

/** Moves segments that became in-order from the out-of-order queue (`tcp_ofo_queue`). */
export function tcpOfoQueue(sk: TcpSock): void {
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
export function tcpPruneOfoQueue(sk: TcpSock, need: number): void {
  const q = sk.ofoQueue;
  while (q.length > 0 && sk.rmemAlloc + need > sk.rcvbuf) {
    q.pop()!.free();
    sk.stack.mib.ofoPruned++;
  }
}

/** Inserts into the sorted out-of-order queue (`tcp_data_queue_ofo`), dropping covered duplicates. */
export function tcpDataQueueOfo(sk: TcpSock, skb: SkBuff): boolean {
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

