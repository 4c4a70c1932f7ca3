/**
 * Internet checksum (RFC 1071, RFC 1624) helpers used by the wire formats.
 *
 * `sum16` accumulates 16-bit big-endian words without folding (a JavaScript
 * number holds 2^53, so folding is deferred to the end, like Linux's
 * `csum_partial` + `csum_fold`); `fold16` folds the carries; `checksum16`
 * returns the one's complement ready to store in a header.
 *
 * Blocks of {@link SKBUFF_CSUM_MIN} bytes or more are summed by
 * `@netlayers/skbuff`'s `csumPartial` (32-bit word kernel, ~3× faster on
 * payloads); headers are summed by the local loop, which has less call
 * overhead for 20–60 bytes (measured side by side: 28 ns vs 35 ns for 20 B,
 * 1.3 µs vs 0.46 µs for 1500 B).
 *
 * @module
 */
import { csumPartial } from '@netlayers/skbuff';

/** Length from which {@link sum16} delegates to skbuff's `csumPartial`. */
export const SKBUFF_CSUM_MIN = 256;

/**
 * Adds the bytes `buf[off, off+len)` as big-endian 16-bit words to `sum`
 * (an odd trailing byte is padded with zero, RFC 1071 §4.1). Not folded.
 *
 * @param buf - bytes to sum
 * @param off - start offset (may be odd)
 * @param len - number of bytes
 * @param sum - running unfolded sum (default 0)
 * @returns the new unfolded sum (a non-negative integer)
 */
export function sum16(buf: Uint8Array, off: number, len: number, sum = 0): number {
  if (len >= SKBUFF_CSUM_MIN) return csumPartial(buf, off, len, fold16(sum));
  let s = sum;
  const end = off + len;
  let i = off;
  // Unrolled by 8 bytes; every partial sum stays far below 2^53.
  const end8 = end - 7;
  for (; i < end8; i += 8) {
    s +=
      ((buf[i]! << 8) | buf[i + 1]!) +
      ((buf[i + 2]! << 8) | buf[i + 3]!) +
      ((buf[i + 4]! << 8) | buf[i + 5]!) +
      ((buf[i + 6]! << 8) | buf[i + 7]!);
  }
  const end2 = end - 1;
  for (; i < end2; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) s += buf[i]! << 8;
  // Keep the accumulator bounded for very long running sums.
  if (s > 0x3fffffffffff) s = (s % 0xffff) || 0xffff;
  return s;
}

/** Folds an unfolded sum to 16 bits with end-around carry (csum_fold without the NOT). */
export function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The value to store in a checksum field: `~fold16(sum) & 0xffff` (Linux `csum_fold`). */
export function checksum16(sum: number): number {
  return ~fold16(sum) & 0xffff;
}

/**
 * Unfolded sum of the TCP/UDP IPv4 pseudo-header (RFC 768, RFC 9293 §3.1):
 * source, destination, zero+protocol, L4 length.
 */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/**
 * Incremental checksum update (RFC 1624 eqn. 3): `HC' = ~(~HC + ~m + m')`,
 * used when forwarding decrements TTL (Linux `ip_decrease_ttl`/`csum_replace2`).
 *
 * @param check - old checksum field value
 * @param oldWord - old 16-bit word
 * @param newWord - new 16-bit word
 * @returns the new checksum field value
 */
export function checksumReplace16(check: number, oldWord: number, newWord: number): number {
  const s = (~check & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold16(s) & 0xffff;
}
