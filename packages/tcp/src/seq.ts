/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, Linux `before()`/`after()`).
 * All values are unsigned 32-bit integers; comparisons use the signed difference.
 *
 * @module
 */

/** `a < b` in sequence space. */
export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
/** `a <= b` in sequence space. */
export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}
/** `a > b` in sequence space. */
export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
/** `a >= b` in sequence space. */
export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
/** `(a + n) mod 2^32`. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
/** Signed distance `a - b` (as a 32-bit signed integer). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
/** `lo <= x < hi` in sequence space (Linux `between(x, lo, hi-1)`). */
export function seqInWindow(x: number, lo: number, hi: number): boolean {
  return ((x - lo) >>> 0) < ((hi - lo) >>> 0);
}
