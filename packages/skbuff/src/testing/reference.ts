/**
 * Naive reference implementations for property tests.
 *
 * @module
 */

/**
 * RFC 1071 §4.1 checksum sum, the obvious way: add big-endian 16-bit words (an odd
 * trailing byte padded with zero) with end-around carry after every addition.
 * @returns the 16-bit one's-complement sum (not complemented)
 */
export function naiveOnesSum(bytes: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) {
    s += (bytes[i]! << 8) | (i + 1 < bytes.length ? bytes[i + 1]! : 0);
    if (s > 0xffff) s = (s & 0xffff) + 1;
  }
  return s;
}

/** RFC 1071 checksum field value: `~naiveOnesSum(bytes) & 0xffff`. */
export function naiveChecksum(bytes: ArrayLike<number>): number {
  return ~naiveOnesSum(bytes) & 0xffff;
}
