/**
 * A position-dependent byte stream for bulk-transfer benchmarks: the byte at
 * stream offset p is a hash of (p mod PERIOD). PERIOD is odd and larger than
 * any window or buffer in the benches, so a lost, duplicated, reordered or
 * shifted segment changes the bytes at the receiver and is caught.
 *
 * Sender and receiver both slice one precomputed buffer (PERIOD + MAX_SLICE
 * bytes), so producing and checking cost one memcpy-speed compare per chunk,
 * the same on every side of a comparison.
 */
export const PERIOD = (1 << 24) - 1;
/** The longest slice `at` hands out (and the longest chunk `check` takes at once). */
export const MAX_SLICE = 1 << 20;

const bytes: Buffer = (() => {
  const b = Buffer.allocUnsafe(PERIOD + MAX_SLICE);
  for (let p = 0; p < PERIOD; p++) b[p] = (Math.imul(p, 0x9e3779b1) >>> 24) ^ (p & 0xff);
  b.copy(b, PERIOD, 0, MAX_SLICE);
  return b;
})();

/** The `len` (<= MAX_SLICE) stream bytes starting at stream offset `pos`. */
export function patternAt(pos: number, len: number): Buffer {
  const o = pos % PERIOD;
  return bytes.subarray(o, o + Math.min(len, MAX_SLICE));
}

/** Whether `chunk` holds exactly the stream bytes starting at offset `pos`. */
export function patternMatches(pos: number, chunk: Uint8Array): boolean {
  for (let done = 0; done < chunk.length; done += MAX_SLICE) {
    const part = chunk.subarray(done, Math.min(chunk.length, done + MAX_SLICE));
    if (patternAt(pos + done, part.length).compare(part) !== 0) return false;
  }
  return true;
}
