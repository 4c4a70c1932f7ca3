/**
 * Checksum offload states of an skb (`skb->ip_summed`), as in Linux
 * `include/linux/skbuff.h` ("CHECKSUM_* states").
 *
 * Receive side:
 * - `NONE`: nothing verified; software must check the checksum.
 * - `UNNECESSARY`: the device (or an earlier layer) verified it.
 * - `COMPLETE`: `skb.csum` holds the one's-complement sum of the packet from
 *   `skb.data` to the end (unfolded, see `csumPartial`) — upper layers verify by
 *   adding their pseudo header, no second pass over the bytes.
 *
 * Transmit side:
 * - `NONE`: the checksum is already in the packet.
 * - `PARTIAL`: the device (or `skbChecksumHelp`) must compute the sum from
 *   `csumStart` (an offset into `skb.buf`) to the end and store it, folded, at
 *   `csumStart + csumOffset`. The field there holds the pseudo-header sum.
 *
 * @module
 */

/** The `ip_summed` states as a const object (`IpSummed.PARTIAL`). */
export const IpSummed = {
  NONE: 0,
  UNNECESSARY: 1,
  COMPLETE: 2,
  PARTIAL: 3,
} as const;

/** One of the {@link IpSummed} values. */
export type IpSummed = (typeof IpSummed)[keyof typeof IpSummed];

/** `CHECKSUM_NONE` */
export const CHECKSUM_NONE = IpSummed.NONE;
/** `CHECKSUM_UNNECESSARY` */
export const CHECKSUM_UNNECESSARY = IpSummed.UNNECESSARY;
/** `CHECKSUM_COMPLETE` */
export const CHECKSUM_COMPLETE = IpSummed.COMPLETE;
/** `CHECKSUM_PARTIAL` */
export const CHECKSUM_PARTIAL = IpSummed.PARTIAL;
