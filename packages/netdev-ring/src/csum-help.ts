/**
 * `skb_checksum_help` as a driver calls it: finish a CHECKSUM_PARTIAL checksum in
 * software for a device without checksum offload (seed 003: "With the checksum
 * offload, the NIC computes the checksum when the NIC gets the packet data"),
 * turning a malformed packet into a drop instead of an exception.
 *
 * @module
 */
import { SkbError, skbChecksumHelp as skbuffChecksumHelp, type SkBuff } from '@netlayers/skbuff';

/**
 * Runs skbuff's {@link skbuffChecksumHelp} (sum from `csumStart` to the end, folded
 * into the field at `csumStart + csumOffset`, `ipSummed = NONE`, header unshared
 * first if a clone shares it).
 * @returns false if the skb's checksum offsets are out of range or its header could
 *   not be made writable: the caller drops and counts the packet
 */
export function skbChecksumHelp(skb: SkBuff): boolean {
  try {
    skbuffChecksumHelp(skb);
    return true;
  } catch (e) {
    if (e instanceof SkbError) return false;
    throw e;
  }
}
