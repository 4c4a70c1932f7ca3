/**
 * TCP's layout of `skb.cb` (Linux `struct tcp_skb_cb`, `TCP_SKB_CB(skb)`): the
 * skbuff control block is a `Float64Array` of 8 numbers owned by the layer holding
 * the skb; TCP names its slots here and accesses them through these helpers.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';

/** First sequence number of the segment. */
export const CB_SEQ = 0;
/** seq + payload + SYN + FIN. */
export const CB_END_SEQ = 1;
/** TCP flag bits (TcpFlags). */
export const CB_FLAGS = 2;
/** ACK number carried (received segments). */
export const CB_ACK = 3;
/**
 * Scoreboard bits of a sent segment (Linux `TCP_SKB_CB(skb)->sacked`; shares
 * `CB_ACK`'s slot, which only received segments use): {@link TCPCB_SACKED_ACKED}…
 */
export const CB_SACKED = 3;
/** The receiver SACKed this segment. */
export const TCPCB_SACKED_ACKED = 1;
/** A retransmission of this segment is in flight. */
export const TCPCB_SACKED_RETRANS = 2;
/** The segment is deemed lost (RFC 6675 IsLost, RACK) and awaits retransmission. */
export const TCPCB_LOST = 4;
/** The segment was retransmitted at least once (Karn, undo). */
export const TCPCB_EVER_RETRANS = 8;
/** Last transmission time in ms (sent segments); 0 = never sent. */
export const CB_WHEN = 4;
/** On receive, the TCP header length (the header was pulled; shares `CB_WHEN`'s slot). */
export const CB_DOFF = 4;
/** Retransmission count (sent segments). */
export const CB_RETRANS = 5;
/** Raw window field (received) / memory charged to sk_wmem_queued (sent). */
export const CB_WINDOW = 6;
export const CB_CHARGE = 6;
/** Cached payload checksum + 1 (0 = not computed). */
export const CB_PCSUM = 7;

export function cbSeq(skb: SkBuff): number {
  return skb.cb[CB_SEQ]!;
}
export function cbEndSeq(skb: SkBuff): number {
  return skb.cb[CB_END_SEQ]!;
}
export function cbFlags(skb: SkBuff): number {
  return skb.cb[CB_FLAGS]!;
}
