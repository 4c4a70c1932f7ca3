/**
 * `skb_checksum_help`: finish a CHECKSUM_PARTIAL checksum in software, for a
 * device without checksum offload (seed 003: "With the checksum offload, the
 * NIC computes the checksum when the NIC gets the packet data").
 *
 * @module
 */
import { csumBlockAdd, csumFold, csumPartial, IpSummed, type SkBuff } from '@netlayers/skbuff';

/**
 * Computes the one's-complement sum from `csumStart` to the end of the packet
 * (the field at `csumStart + csumOffset` holds the pseudo-header sum seeded by
 * the protocol), stores the folded result there and sets `ipSummed = NONE`.
 * Unshares the header if it is shared with a clone.
 * @returns false if the offsets are out of range (the packet should be dropped)
 */
export function skbChecksumHelp(skb: SkBuff): boolean {
  if (skb.ipSummed !== IpSummed.PARTIAL) return true;
  const start = skb.csumStart - skb.data; // packet offset
  const field = start + skb.csumOffset;
  if (start < 0 || field + 2 > skb.len) return false;
  if (!skb.mayPull(field + 2)) return false;
  if (skb.isCloned()) skb.cowHead(0);
  const startPkt = skb.csumStart - skb.data;
  const fieldOff = skb.data + startPkt + skb.csumOffset;
  let sum = 0;
  let pos = 0; // running offset from startPkt (for odd-length chunk alignment)
  skb.forEachChunk(startPkt, skb.len - startPkt, (bytes, s, e) => {
    sum = csumBlockAdd(sum, csumPartial(bytes, s, e - s, 0), pos);
    pos += e - s;
  });
  let c = csumFold(sum);
  if (c === 0) c = 0xffff; // UDP/TCP: a computed 0 is sent as all ones (harmless for TCP)
  skb.buf[fieldOff] = c >> 8;
  skb.buf[fieldOff + 1] = c & 0xff;
  skb.ipSummed = IpSummed.NONE;
  return true;
}

