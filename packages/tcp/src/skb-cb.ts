/**
 * TCP's layout of `skb.cb` (Linux `struct tcp_skb_cb`, `TCP_SKB_CB(skb)`): the
 * skbuff control block is a `Float64Array` of 12 numbers (`SKB_CB_SLOTS`) owned by the layer holding
 * the skb; TCP names its slots here and accesses them through these helpers.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';

/** First sequence number of the segment. */
export const CB_SEQ = 0;
/** seq + payload + SYN + FIN. */
export const CB_END_SEQ = 1;
/**
 * TCP flag bits (TcpFlags, the low 8 bits: what the header carries) plus TCP's own
 * per-skb bits above them (never on the wire: the header's flag byte takes the low
 * 8 bits only): `CB_FLAG_NO_COALESCE` (0x100, socket.ts) and {@link TCPCB_EOR}.
 */
export const CB_FLAGS = 2;
/**
 * A `send(…, MSG_EOR)` ended in this skb (Linux `TCP_SKB_CB(skb)->eor`): later writes
 * never append to it and nothing merges it with the next skb (`tcp_skb_can_collapse_to`).
 * A bit of `CB_FLAGS` above the TCP flag bits.
 */
export const TCPCB_EOR = 0x200;
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
/**
 * Received segments: the payload's partial sum + 1, as verified by `tcp_v4_rcv`
 * (0 = not known: the device vouched for the sum, `CHECKSUM_UNNECESSARY`). Valid
 * for the payload range recorded in {@link CB_RX_PSUM_AT}/{@link CB_RX_PSUM_LEN}
 * only: {@link rxPayloadCsum} checks it, so a pull or trim since simply loses it.
 */
export const CB_RX_PSUM = 8;
/** Received segments: `skb.data` when {@link CB_RX_PSUM} was recorded. */
export const CB_RX_PSUM_AT = 9;
/** Received segments: `skb.len` when {@link CB_RX_PSUM} was recorded. */
export const CB_RX_PSUM_LEN = 10;

/** Records the verified payload sum of a received skb for its current range (`data`, `len`). */
export function setRxPayloadCsum(skb: SkBuff, psum: number): void {
  skb.cb[CB_RX_PSUM] = psum + 1;
  skb.cb[CB_RX_PSUM_AT] = skb.data;
  skb.cb[CB_RX_PSUM_LEN] = skb.len;
}

/**
 * The verified payload sum + 1 of a received skb (or of a clone of one) if its
 * range is still the one verified, else 0: what a zero-copy send reuses as its
 * {@link CB_PCSUM} instead of summing the bytes again (issue: a relayed byte is
 * summed once per hop).
 */
export function rxPayloadCsum(skb: SkBuff): number {
  const cb = skb.cb;
  const v = cb[CB_RX_PSUM]!;
  return v > 0 && cb[CB_RX_PSUM_AT] === skb.data && cb[CB_RX_PSUM_LEN] === skb.len ? v : 0;
}

export function cbSeq(skb: SkBuff): number {
  return skb.cb[CB_SEQ]!;
}
export function cbEndSeq(skb: SkBuff): number {
  return skb.cb[CB_END_SEQ]!;
}
export function cbFlags(skb: SkBuff): number {
  return skb.cb[CB_FLAGS]!;
}
/** Whether later data may be appended to `skb` (`tcp_skb_can_collapse_to`: not after MSG_EOR). */
export function tcpSkbCanCollapseTo(skb: SkBuff): boolean {
  return (skb.cb[CB_FLAGS]! & TCPCB_EOR) === 0;
}
