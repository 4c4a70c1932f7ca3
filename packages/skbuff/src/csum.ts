/**
 * Internet checksum (RFC 1071, RFC 1624) — Linux `include/net/checksum.h`,
 * `lib/checksum.c`.
 *
 * Representation. A *partial sum* (`__wsum` in Linux) is an unsigned 32-bit number
 * congruent, modulo 0xffff, to the one's-complement sum of the data read as
 * **big-endian** (network order) 16-bit words. Partial sums compose with
 * {@link csumAdd}; a sum of a block that starts at an odd offset of the whole is
 * composed with {@link csumBlockAdd}. {@link csumFold} turns a partial sum into the
 * final 16-bit checksum field value (complemented), again in network order as a
 * number (write it with `DataView.setUint16(…, false)` / `(v >> 8, v & 0xff)`).
 *
 * Speed. The body is summed as little-endian 32-bit words through a `Uint32Array`
 * view (cached per `ArrayBuffer`) into float accumulators that are folded only every
 * few megabytes (exact below 2^53); 65536 ≡ 1 (mod 0xffff) makes the 32-bit word sum
 * congruent to the 16-bit word sum, and a final byte swap converts the
 * little-endian result to network order (byte swapping is multiplication by 256
 * in the one's-complement ring, so it commutes with addition). Unaligned heads and
 * odd tails are summed bytewise.
 *
 * @module
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let lastAb: ArrayBufferLike | null = null;
let lastU32: Uint32Array | null = null;
const viewCache = new WeakMap<ArrayBufferLike, Uint32Array>();

function u32View(ab: ArrayBufferLike, needWords: number): Uint32Array {
  if (ab === lastAb && lastU32!.length >= needWords) return lastU32!;
  let v = viewCache.get(ab);
  if (v === undefined || v.length < needWords) {
    v = new Uint32Array(ab, 0, ab.byteLength >>> 2);
    viewCache.set(ab, v);
  }
  lastAb = ab;
  lastU32 = v;
  return v;
}

/** Fold a non-negative number (< 2^53) to its 16-bit one's-complement residue (0 only for 0). */
function fold16(s: number): number {
  if (s <= 0xffff) return s;
  const r = s % 0xffff;
  return r === 0 ? 0xffff : r;
}

function swap16(x: number): number {
  return ((x & 0xff) << 8) | (x >>> 8);
}

/** Bytewise big-endian sum of [i, end) where position i has parity `odd`. */
function sumBytes(b: Uint8Array, i: number, end: number, odd: boolean): number {
  let s = 0;
  if (odd && i < end) s += b[i++]!;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

// Fold every 2^19 words (2 MiB): all sums stay below 2^53 (exact in a double).
const BLOCK_WORDS = 1 << 19;

/**
 * One's-complement sum of `len` bytes of `bytes` from `off`, added to `sum`
 * (`csum_partial`). Handles any alignment and odd lengths.
 *
 * @param bytes - the data
 * @param off - first byte (relative to `bytes`)
 * @param len - number of bytes
 * @param sum - partial sum to add to (0 to start)
 * @returns the new partial sum (unsigned 32-bit)
 * @throws RangeError if the range is outside `bytes`
 */
export function csumPartial(bytes: Uint8Array, off: number, len: number, sum: number): number {
  if (off < 0 || len < 0 || off + len > bytes.length) {
    throw new RangeError(`csumPartial range [${off}, ${off + len}) outside ${bytes.length} bytes`);
  }
  const end = off + len;
  let total: number;
  if (len < 32 || !LITTLE_ENDIAN) {
    total = sumBytes(bytes, off, end, false);
  } else {
    const abs = bytes.byteOffset + off;
    const lead = (4 - (abs & 3)) & 3;
    let s = sumBytes(bytes, off, off + lead, false);
    const bodyStart = off + lead;
    const nWords = (end - bodyStart) >>> 2;
    const w0 = (bytes.byteOffset + bodyStart) >>> 2;
    const u32 = u32View(bytes.buffer, w0 + nWords);
    let body = 0;
    let j = w0;
    const wEnd = w0 + nWords;
    while (j < wEnd) {
      const blockEnd = Math.min(wEnd, j + BLOCK_WORDS);
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      // 16 words per iteration into 4 accumulators: each grows < 2^34 per step,
      // < 2^49 per block.
      for (; j + 16 <= blockEnd; j += 16) {
        a += u32[j]! + u32[j + 4]! + u32[j + 8]! + u32[j + 12]!;
        b += u32[j + 1]! + u32[j + 5]! + u32[j + 9]! + u32[j + 13]!;
        c += u32[j + 2]! + u32[j + 6]! + u32[j + 10]! + u32[j + 14]!;
        d += u32[j + 3]! + u32[j + 7]! + u32[j + 11]! + u32[j + 15]!;
      }
      for (; j + 4 <= blockEnd; j += 4) {
        a += u32[j]!;
        b += u32[j + 1]!;
        c += u32[j + 2]!;
        d += u32[j + 3]!;
      }
      for (; j < blockEnd; j++) a += u32[j]!;
      body = fold16(body + fold16(a + b) + fold16(c + d));
    }
    // body is a little-endian 16-bit sum; in network order it is swapped, unless the
    // body starts at an odd position of the region (then the grid shifts by a byte).
    s += (lead & 1) === 0 ? swap16(body) : body;
    const tailStart = bodyStart + (nWords << 2);
    s += sumBytes(bytes, tailStart, end, ((tailStart - off) & 1) === 1);
    total = s;
  }
  return csumAdd(sum, fold16(total));
}

/**
 * Add two partial sums with end-around carry (`csum_add`).
 * @returns unsigned 32-bit partial sum
 */
export function csumAdd(a: number, b: number): number {
  let r = (a >>> 0) + (b >>> 0);
  if (r > 0xffffffff) r -= 0xffffffff;
  return r >>> 0;
}

/** Subtract partial sum `b` from `a` (`csum_sub`). */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/**
 * Combine `sum2`, the sum of a block starting `offset` bytes into the region, with
 * `sum` (`csum_block_add`): an odd offset swaps the block's bytes.
 */
export function csumBlockAdd(sum: number, sum2: number, offset: number): number {
  if ((offset & 1) !== 0) sum2 = swap16(csumFold16(sum2));
  return csumAdd(sum, sum2);
}

/** Remove a block's sum at `offset` (`csum_block_sub`). */
export function csumBlockSub(sum: number, sum2: number, offset: number): number {
  if ((offset & 1) !== 0) sum2 = swap16(csumFold16(sum2));
  return csumSub(sum, sum2);
}

/** Fold a 32-bit partial sum to 16 bits without complementing (`csum_from32to16`). */
export function csumFold16(sum: number): number {
  let s = sum >>> 0;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}

/**
 * Fold a partial sum into the 16-bit checksum field value (`csum_fold`):
 * the complement of the 16-bit one's-complement sum.
 */
export function csumFold(sum: number): number {
  return ~csumFold16(sum) & 0xffff;
}

/** Turn a 16-bit checksum field value back into a partial sum (`csum_unfold`). */
export function csumUnfold(check: number): number {
  return check & 0xffff;
}

/**
 * Pseudo-header sum for TCP/UDP over IPv4, not folded (`csum_tcpudp_nofold`).
 *
 * @param saddr - source address as an unsigned 32-bit number (e.g. 0xc0a80001)
 * @param daddr - destination address
 * @param len - transport length (header + payload)
 * @param proto - IP protocol number (6 TCP, 17 UDP)
 * @param sum - partial sum of the transport header + payload
 */
export function csumTcpUdpNofold(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  const s =
    (saddr >>> 16) + (saddr & 0xffff) + (daddr >>> 16) + (daddr & 0xffff) + (proto & 0xff) + (len >>> 16) + (len & 0xffff);
  return csumAdd(sum, s);
}

/**
 * Final TCP/UDP checksum over the IPv4 pseudo header and `sum` (`csum_tcpudp_magic`).
 * On receive, a correct segment yields 0 when `sum` covers the checksum field too.
 * @returns the 16-bit checksum field value
 */
export function csumTcpUdpMagic(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  return csumFold(csumTcpUdpNofold(saddr, daddr, len, proto, sum));
}

/**
 * IPv4 header checksum over `ihl` 32-bit words (`ip_fast_csum`). Over a header
 * whose checksum field is filled in, a correct header yields 0.
 */
export function ipFastCsum(bytes: Uint8Array, off: number, ihl: number): number {
  return csumFold(csumPartial(bytes, off, ihl * 4, 0));
}

/**
 * Incrementally update a checksum field when a 16-bit word changes from `from`
 * to `to` (RFC 1624 eqn. 3, `csum_replace2`).
 * @returns the new checksum field value
 */
export function csumReplace2(check: number, from: number, to: number): number {
  return csumFold(csumAdd(csumAdd(~check & 0xffff, ~from & 0xffff), to & 0xffff));
}

/** Like {@link csumReplace2} for a 32-bit field, e.g. an address (`csum_replace4`). */
export function csumReplace4(check: number, from: number, to: number): number {
  const f = (~from >>> 0);
  const t = to >>> 0;
  return csumFold(csumAdd(csumAdd(~check & 0xffff, (f >>> 16) + (f & 0xffff)), (t >>> 16) + (t & 0xffff)));
}
