/**
 * Checksums over whole skbs: `skb_checksum`, `skb_checksum_help`,
 * `__skb_checksum_complete` (Linux `net/core/skbuff.c`, `net/core/dev.c`).
 *
 * @module
 */
import { csumAdd, csumBlockAdd, csumFold, csumPartial } from './csum.js';
import { skbThrow } from './errors.js';
import { IpSummed } from './ip-summed.js';
import type { SkBuff } from './skbuff.js';

let summed = 0;

/**
 * The checksum meter: packet bytes summed by {@link skbChecksum} since the process
 * started (monotonic; diff two readings). With the copy meter it shows how often
 * a forwarded byte is touched: a relay that reuses the sum it verified on receive
 * sums each byte once per hop instead of twice.
 */
export function skbChecksumStats(): { readonly bytesChecksummed: number } {
  return { bytesChecksummed: summed };
}

/**
 * Partial sum of packet bytes `[off, off + len)` across linear data, frags and
 * fragList, added to `sum` (`skb_checksum`). Metered ({@link skbChecksumStats}).
 * @throws SkbError `SKB_RANGE` if out of bounds
 */
export function skbChecksum(skb: SkBuff, off: number, len: number, sum: number): number {
  summed += len;
  let pos = 0;
  let acc = sum;
  skb.forEachChunk(off, len, (b, s, e) => {
    acc = csumBlockAdd(acc, csumPartial(b, s, e - s, 0), pos);
    pos += e - s;
  });
  return acc;
}

/**
 * Copy `len` packet bytes from `offset` into `dst` at `dstOff` and return their
 * partial sum added to `sum` (`skb_copy_and_csum_bits`; the sum is taken over the
 * contiguous copy, which is still in cache).
 */
export function skbCopyAndCsumBits(skb: SkBuff, offset: number, dst: Uint8Array, len: number, sum: number, dstOff = 0): number {
  skb.copyBits(offset, dst, len, dstOff);
  return csumPartial(dst, dstOff, len, sum);
}

/**
 * Resolve CHECKSUM_PARTIAL in software (`skb_checksum_help`): sum from `csumStart`
 * to the end, store the folded value at `csumStart + csumOffset` (big-endian), set
 * `ipSummed = NONE`. Makes the written header bytes private first.
 */
export function skbChecksumHelp(skb: SkBuff): void {
  if (skb.ipSummed !== IpSummed.PARTIAL) return;
  partialRange(skb);
  const field = skb.csumStart - skb.data + skb.csumOffset;
  skb.ensureWritable(field + 2);
  const v = skbPartialCsum(skb); // ensureWritable may have moved buffers: offsets are data-relative
  const at = skb.csumStart + skb.csumOffset;
  skb.buf[at] = v >>> 8;
  skb.buf[at + 1] = v & 0xff;
  skb.ipSummed = IpSummed.NONE;
}

/**
 * The value a CHECKSUM_PARTIAL skb's checksum field must hold: the sum from
 * `csumStart` to the end (the field holding the pseudo-header sum), folded,
 * `csum_fold(csum) ?: CSUM_MANGLED_0` (a computed 0 goes out as 0xffff: for UDP
 * 0 would mean "no checksum"; TCP and ICMP accept either form). Writes nothing,
 * for a device that finishes the sum in the frame it sends rather than in a
 * possibly shared skb.
 * @throws SkbError `SKB_RANGE` if csumStart/csumOffset lie outside the packet
 */
export function skbPartialCsum(skb: SkBuff): number {
  partialRange(skb);
  const s = skb.csumStart - skb.data;
  return csumFold(skbChecksum(skb, s, skb.len - s, 0)) || 0xffff;
}

function partialRange(skb: SkBuff): void {
  const start = skb.csumStart - skb.data;
  if (start < 0 || start + skb.csumOffset + 2 > skb.len) skbThrow('SKB_RANGE', `csumStart/csumOffset outside the packet`);
}

/**
 * Verify a checksum that covers `[off, len)` plus an optional pseudo-header sum
 * (`__skb_checksum_complete`). Uses `skb.csum` when `ipSummed` is COMPLETE and
 * `off` is 0 relative to the sum's start; otherwise computes it. On success marks
 * the skb UNNECESSARY.
 * @returns true if the folded sum is 0 (valid)
 */
export function skbChecksumComplete(skb: SkBuff, off: number, pseudo: number): boolean {
  if (skb.ipSummed === IpSummed.UNNECESSARY) return true;
  const sum =
    skb.ipSummed === IpSummed.COMPLETE && off === 0
      ? csumAdd(skb.csum, pseudo)
      : skbChecksum(skb, off, skb.len - off, pseudo);
  const ok = csumFold(sum) === 0;
  if (ok) skb.ipSummed = IpSummed.UNNECESSARY;
  return ok;
}
