/**
 * The sender's loss scoreboard (Linux `tcp_sock` `sacked_out`/`lost_out`/
 * `retrans_out`, `tcp_packets_in_flight`, `tcp_mark_head_lost`,
 * `tcp_update_scoreboard`, `tcp_newreno_mark_lost`, `tcp_enter_loss` marking;
 * RFC 6675 §4 "pipe" and IsLost): per-skb bits in `skb.cb[CB_SACKED]` and the
 * byte counters they sum to.
 *
 * Counters are in bytes of sequence space (cwnd is in bytes here), each skb of the
 * retransmit queue counted by its `end_seq − seq`:
 * - `sackedOut`: skbs with {@link TCPCB_SACKED_ACKED}; on a connection without
 *   SACK, one MSS per duplicate ACK (Linux `tcp_add_reno_sack`), capped below the
 *   bytes outstanding;
 * - `lostOut`: skbs with {@link TCPCB_LOST} and not SACKed;
 * - `retransOut`: skbs with {@link TCPCB_SACKED_RETRANS} (a retransmission in flight).
 *
 * Every change of those bits goes through this file (or sacktag.ts), so the
 * counters stay exact; {@link tcpSbRecount} recomputes them from the queue (tests).
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { tcpFragment } from './output.js';
import { skWmemFreeSkb } from './proto.js';
import { seqGt, seqLe } from './seq.js';
import { CB_CHARGE, CB_END_SEQ, CB_SACKED, CB_SEQ, TCPCB_LOST, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS } from './skb-cb.js';
import type { TcpSock } from './sock.js';

export { Scoreboard } from './scoreboard-state.js';

/** Sequence space of a queued skb (payload + SYN/FIN). */
export function skbSeqLen(skb: SkBuff): number {
  return (skb.cb[CB_END_SEQ]! - skb.cb[CB_SEQ]!) >>> 0;
}

/**
 * Bytes in flight by RFC 6675's pipe (`tcp_packets_in_flight`): sent and not
 * cumulatively acknowledged, less what is SACKed or deemed lost, plus what was
 * retransmitted. Without SACK, duplicate ACKs count as SACKed bytes, which is
 * what gives limited transmit (RFC 3042) and NewReno's window inflation.
 */
export function tcpPacketsInFlight(sk: TcpSock): number {
  const sb = sk.sb;
  const out = (sk.sndNxt - sk.sndUna) >>> 0;
  return Math.max(0, out - sb.sackedOut - sb.lostOut) + sb.retransOut;
}

/** Takes `skb`'s bytes off the counters its bits count in (it leaves the queue or its bits are reset). */
export function tcpSbForget(sk: TcpSock, skb: SkBuff): void {
  const s = skb.cb[CB_SACKED]!;
  if ((s & (TCPCB_SACKED_ACKED | TCPCB_LOST | TCPCB_SACKED_RETRANS)) === 0) return;
  const sb = sk.sb;
  const n = skbSeqLen(skb);
  if ((s & TCPCB_SACKED_ACKED) !== 0) {
    if (sk.sackOk) sb.sackedOut -= n;
  } else if ((s & TCPCB_LOST) !== 0) sb.lostOut -= n;
  if ((s & TCPCB_SACKED_RETRANS) !== 0) sb.retransOut -= n;
}

/** Marks `skb` lost (`tcp_skb_mark_lost`): it will be retransmitted. A lost retransmission loses its RETRANS bit. */
export function tcpSkbMarkLost(sk: TcpSock, skb: SkBuff): boolean {
  const s = skb.cb[CB_SACKED]!;
  if ((s & TCPCB_SACKED_ACKED) !== 0) return false;
  if ((s & TCPCB_LOST) !== 0 && (s & TCPCB_SACKED_RETRANS) === 0) return false;
  const n = skbSeqLen(skb);
  if ((s & TCPCB_SACKED_RETRANS) !== 0) sk.sb.retransOut -= n;
  if ((s & TCPCB_LOST) === 0) sk.sb.lostOut += n;
  skb.cb[CB_SACKED] = (s | TCPCB_LOST) & ~TCPCB_SACKED_RETRANS;
  return true;
}

/** Marks `skb`'s retransmission in flight (`__tcp_retransmit_skb`: `TCPCB_SACKED_RETRANS`, `retrans_out`). */
export function tcpSkbMarkRetrans(sk: TcpSock, skb: SkBuff, bits: number): void {
  const s = skb.cb[CB_SACKED]!;
  if ((s & (TCPCB_SACKED_RETRANS | TCPCB_SACKED_ACKED)) === 0) sk.sb.retransOut += skbSeqLen(skb);
  skb.cb[CB_SACKED] = s | bits;
}

/**
 * Before a cumulative ACK to `ack` frees the head of the queue: the counted bytes
 * of every skb it covers come off the counters. Nothing to do while the
 * scoreboard is empty (fast path).
 */
export function tcpSbCleanAcked(sk: TcpSock, ack: number): void {
  const sb = sk.sb;
  if (sb.lostOut === 0 && sb.retransOut === 0 && (sb.sackedOut === 0 || !sk.sackOk)) return;
  for (let skb = sk.rtxQueue.peek(); skb !== null && seqLe(skb.cb[CB_END_SEQ]!, ack); skb = skb.next) tcpSbForget(sk, skb);
}

/**
 * The head skb straddles snd_una (a TSO skb acknowledged in part): its
 * acknowledged bytes are cut off and freed (`tcp_tso_acked` → `tcp_trim_head`,
 * zero-copy: the rest keeps its frags), so the scoreboard never marks, counts or
 * resends acknowledged data. Only while the scoreboard is in use (`force`: the
 * ACK carries SACK blocks), as an idle connection never needs it.
 */
export function tcpSbTrimHead(sk: TcpSock, force: boolean): void {
  let head = sk.rtxQueue.peek();
  while (head !== null && head.len > 0 && seqLe(head.cb[CB_END_SEQ]!, sk.sndUna)) {
    tcpSbForget(sk, head); // acknowledged while a retransmission of it was cut (RTO)
    sk.rtxQueue.unlink(head);
    skWmemFreeSkb(sk, head);
    head = sk.rtxQueue.peek();
  }
  if (head === null) return;
  const cut = (sk.sndUna - head.cb[CB_SEQ]!) | 0;
  if (cut <= 0 || cut >= head.len) return;
  const sb = sk.sb;
  if (!force && sb.lostOut === 0 && sb.retransOut === 0 && sb.sackedOut === 0) return;
  tcpFragment(sk, head, cut);
  tcpSbForget(sk, head);
  const rest = head.next!;
  rest.cb[CB_CHARGE] = head.cb[CB_CHARGE]!; // the pages stay with the rest: so does the charge
  head.cb[CB_CHARGE] = 0;
  sk.rtxQueue.unlink(head);
  skWmemFreeSkb(sk, head);
}

/**
 * A cumulative ACK of `acked` bytes on a connection without SACK
 * (`tcp_remove_reno_sacks`): the dup-ACK "SACKed" bytes it accounts for go.
 * @returns the bytes delivered by this ACK for PRR (at least one MSS)
 */
export function tcpRemoveRenoSacks(sk: TcpSock, acked: number): number {
  const sb = sk.sb;
  const delivered = Math.max(acked - sb.sackedOut, Math.min(acked, sk.mss));
  sb.sackedOut = acked - sk.mss >= sb.sackedOut ? 0 : sb.sackedOut - Math.max(0, acked - sk.mss);
  return delivered;
}

/** A duplicate ACK without SACK (`tcp_add_reno_sack`): one more MSS has left the network. */
export function tcpAddRenoSack(sk: TcpSock): void {
  const sb = sk.sb;
  const out = (sk.sndMax - sk.sndUna) >>> 0;
  sb.sackedOut = Math.min(sb.sackedOut + sk.mss, Math.max(0, out - Math.min(out, sk.mss)));
}

/**
 * RFC 6675 IsLost over the queue (`tcp_update_scoreboard` / `tcp_mark_head_lost`
 * with the sequence-based rule): every skb not SACKed with more than
 * (DupThresh − 1) · MSS bytes SACKed above it is marked lost. Walks from the head
 * and stops where too little is SACKed above. @returns bytes newly marked lost
 */
export function tcpUpdateScoreboard(sk: TcpSock): number {
  const sb = sk.sb;
  if (!sk.sackOk || sb.sackedOut === 0) return 0;
  const thresh = (sk.stack.config.dupThresh - 1) * sk.mss;
  let below = 0;
  let marked = 0;
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) {
    if (sb.sackedOut - below <= thresh) break;
    const s = skb.cb[CB_SACKED]!;
    if ((s & TCPCB_SACKED_ACKED) !== 0) {
      below += skbSeqLen(skb);
      continue;
    }
    if (seqGt(skb.cb[CB_END_SEQ]!, sb.highSacked)) break;
    if ((s & (TCPCB_LOST | TCPCB_SACKED_RETRANS)) === 0 && tcpSkbMarkLost(sk, skb)) marked += skbSeqLen(skb);
  }
  return marked;
}

/**
 * NewReno's loss marking (`tcp_newreno_mark_lost`): the head segment, one MSS of
 * it (the rest of a TSO skb is split off), is lost. @returns bytes newly marked
 */
export function tcpNewrenoMarkLost(sk: TcpSock): number {
  tcpSbTrimHead(sk, true);
  const head = sk.rtxQueue.peek();
  if (head === null) return 0;
  const s = head.cb[CB_SACKED]!;
  if ((s & TCPCB_LOST) !== 0) return 0;
  if (head.len > sk.mss) tcpFragment(sk, head, sk.mss);
  return tcpSkbMarkLost(sk, head) ? skbSeqLen(head) : 0;
}

/**
 * After an RTO (`tcp_enter_loss` → `tcp_timeout_mark_lost`): every skb not SACKed
 * is lost again (retransmissions included); SACKed data is kept and never resent.
 */
export function tcpTimeoutMarkLost(sk: TcpSock): void {
  tcpSbTrimHead(sk, true);
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) tcpSkbMarkLost(sk, skb);
  if (!sk.sackOk) sk.sb.sackedOut = 0; // dup-ACK counts end with the episode
}

/** The counters recomputed from the queue's bits (`sacked_out`, `lost_out`, `retrans_out`): tests compare them. */
export function tcpSbRecount(sk: TcpSock): { sackedOut: number; lostOut: number; retransOut: number } {
  let sackedOut = 0;
  let lostOut = 0;
  let retransOut = 0;
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) {
    const s = skb.cb[CB_SACKED]!;
    const n = skbSeqLen(skb);
    if ((s & TCPCB_SACKED_ACKED) !== 0) sackedOut += n;
    else if ((s & TCPCB_LOST) !== 0) lostOut += n;
    if ((s & TCPCB_SACKED_RETRANS) !== 0) retransOut += n;
  }
  return { sackedOut, lostOut, retransOut };
}

/** Counts `skb` again with bits `s` after its length changed (a trimmed head), as {@link tcpSbForget} undid. */
export function tcpSbRestore(sk: TcpSock, skb: SkBuff, s: number): void {
  skb.cb[CB_SACKED] = s;
  const sb = sk.sb;
  const n = skbSeqLen(skb);
  if ((s & TCPCB_SACKED_ACKED) !== 0) {
    if (sk.sackOk) sb.sackedOut += n;
  } else if ((s & TCPCB_LOST) !== 0) sb.lostOut += n;
  if ((s & TCPCB_SACKED_RETRANS) !== 0) sb.retransOut += n;
}
