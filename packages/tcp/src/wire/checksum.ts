/**
 * Internet checksum for TCP (RFC 1071, RFC 9293 §3.1 pseudo header).
 *
 * `csumBytes` is the hot loop (Linux `csum_partial`): when the range is 4-byte
 * aligned it sums 32-bit little-endian words through a `Uint32Array` view,
 * splitting each into two 16-bit halves (byte-order independence, RFC 1071 §2(B)),
 * and swaps the folded result back; otherwise it sums big-endian byte pairs.
 * Sums are kept unfolded in a double (safe far beyond any segment size) and
 * folded late.
 *
 * @module
 */

const u32Cache = new WeakMap<ArrayBufferLike, Uint32Array>();

function u32View(buf: ArrayBufferLike): Uint32Array {
  let v = u32Cache.get(buf);
  if (v === undefined) {
    v = new Uint32Array(buf, 0, buf.byteLength >>> 2);
    u32Cache.set(buf, v);
  }
  return v;
}

function sumPairs(buf: Uint8Array, off: number, len: number): number {
  let s = 0;
  let i = off;
  const end = off + len;
  const end8 = end - 7;
  for (; i < end8; i += 8) {
    s += ((buf[i]! << 8) | buf[i + 1]!) + ((buf[i + 2]! << 8) | buf[i + 3]!) + ((buf[i + 4]! << 8) | buf[i + 5]!) + ((buf[i + 6]! << 8) | buf[i + 7]!);
  }
  for (; i < end - 1; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) s += buf[i]! << 8;
  return s;
}

/** Folds an unfolded sum to 16 bits (end-around carry), without complement. */
export function fold16(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * Sums `buf[off, off+len)` as big-endian 16-bit words (odd tail padded with 0).
 * Returns a folded 16-bit partial sum (0..0xffff) that can be added to others
 * with {@link csumAdd16}. Note: a partial sum that starts at an odd offset
 * relative to the segment must be byte-swapped by the caller.
 */
export function csumBytes(buf: Uint8Array, off: number, len: number): number {
  if (len < 64) return fold16(sumPairs(buf, off, len));
  const abs = buf.byteOffset + off;
  const mis = abs & 3;
  let s = 0;
  let i = off;
  if (mis !== 0) {
    // Align with a head of (4 - mis) bytes; keep big-endian word parity by requiring an even head.
    const head = 4 - mis;
    if ((head & 1) === 1) return fold16(sumPairs(buf, off, len));
    s += sumPairs(buf, off, head);
    i += head;
  }
  const words = (off + len - i) >>> 2;
  const w = u32View(buf.buffer);
  let lo = 0;
  let k = (buf.byteOffset + i) >>> 2;
  const kEnd = k + words;
  const kEnd4 = kEnd - 3;
  for (; k < kEnd4; k += 4) {
    const a = w[k]!;
    const b = w[k + 1]!;
    const c = w[k + 2]!;
    const d = w[k + 3]!;
    lo += (a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16) + (c & 0xffff) + (c >>> 16) + (d & 0xffff) + (d >>> 16);
  }
  for (; k < kEnd; k++) {
    const a = w[k]!;
    lo += (a & 0xffff) + (a >>> 16);
  }
  // little-endian halves → swap the folded value to big-endian order
  const f = fold16(lo);
  s += ((f & 0xff) << 8) | (f >>> 8);
  i += words << 2;
  s += sumPairs(buf, i, off + len - i);
  return fold16(s);
}

/** One's-complement addition of two 16-bit partial sums. */
export function csumAdd16(a: number, b: number): number {
  const s = a + b;
  return (s & 0xffff) + (s >>> 16);
}

/** Byte-swaps a 16-bit partial sum (for sums that started at an odd offset). */
export function csumSwap16(a: number): number {
  return ((a & 0xff) << 8) | (a >>> 8);
}

/**
 * Partial sum of the IPv4 pseudo header (RFC 9293 §3.1): source, destination,
 * zero + protocol 6, TCP length. Linux `csum_tcpudp_nofold`.
 */
export function pseudoHeaderSum(saddr: number, daddr: number, tcpLen: number, proto = 6): number {
  return fold16((saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + proto + tcpLen);
}

/** `~sum & 0xffff` — the value stored in a checksum field (a result of 0 is sent as-is for TCP). */
export function csumFinish(sum: number): number {
  return ~fold16(sum) & 0xffff;
}
