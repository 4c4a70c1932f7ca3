/**
 * The copy meter: bytes of packet data copied by skbuff operations.
 *
 * Every operation that moves payload bytes with a memcpy (`Uint8Array.set`)
 * adds the number of bytes it moved to two {@link CopyCounters}: its skb's pool's
 * and the process-wide one. Each byte is counted once, under the primitive that
 * moved it:
 *
 * | kind         | operation                                                        | bytes               |
 * |--------------|------------------------------------------------------------------|---------------------|
 * | `copyBits`   | `copyBits`, `skbCopyAndCsumBits`                                 | `len`               |
 * | `putData`    | `putData`                                                        | `src.length`        |
 * | `storeBits`  | `storeBits`                                                      | `src.length`        |
 * | `copy`       | `copy`, and `unshare` (which copies)                             | headroom + `len`    |
 * | `pskbCopy`   | `pskbCopy`                                                       | headroom + headlen  |
 * | `expandHead` | `expandHead`, and the reallocation inside `cow`, `cowHead`, `ensureWritable`, `trim`, `mayPull`, `linearize` | headroom + headlen |
 * | `pull`       | `mayPull` / `ensureWritable` pulling paged bytes into the linear area | bytes pulled     |
 * | `headers`    | `copyHeaders`: protocol headers copied into a new head (software GSO, GRO) | `len` (≤ {@link SKB_MAX_HEADER_COPY}) |
 * | `linearize`  | `linearize` pulling paged bytes into the linear area             | bytes pulled        |
 * | `other`      | copies by code outside this package, reported with {@link countSkbCopy} | as reported   |
 *
 * Reading in place (`bytes()`, `chunks()`, `forEachChunk`, checksums), clones,
 * `push`/`pull`/`put`/`reserve`/`trim`, `setDataPart` and moving page fragments
 * copy nothing and add nothing. `putZero` fills, it does not copy.
 *
 * `bytesCopied` is the sum of every kind; `payloadBytesCopied` leaves out
 * `headers`, which are per-packet protocol headers and not data (Linux's
 * `skb_segment` and GRO copy them too). A path called zero-copy shows a
 * `payloadBytesCopied` of 0.
 *
 * The counters are monotonic totals (doubles: exact up to 2^53 bytes) and are never
 * reset: to measure a piece of code, take a snapshot before and after and subtract
 * ({@link copyStatsDelta}).
 *
 * @module
 */
import type { SkBuff } from './skbuff.js';

/** Bytes copied, per kind of operation (see the module table). */
export interface SkbCopyKinds {
  /** `linearize()`: paged bytes pulled into the linear area. */
  readonly linearize: number;
  /** `expandHead()` and every reallocation of the linear area (headroom + headlen moved). */
  readonly expandHead: number;
  /** `copyBits()` (and `skbCopyAndCsumBits`). */
  readonly copyBits: number;
  /** `copy()` (and `unshare()`): headroom + every packet byte. */
  readonly copy: number;
  /** `pskbCopy()`: headroom + linear bytes. */
  readonly pskbCopy: number;
  /** `putData()`. */
  readonly putData: number;
  /** `storeBits()`. */
  readonly storeBits: number;
  /** `mayPull()` / `ensureWritable()`: paged bytes pulled into the linear area. */
  readonly pull: number;
  /** Copies reported by other code with {@link countSkbCopy}. */
  readonly other: number;
  /** `copyHeaders()`: protocol headers copied into a fresh head (GSO segments, GRO heads). */
  readonly headers: number;
}

/** The most bytes one `copyHeaders` call may copy: Ethernet + VLANs + IPv4 and TCP with full options fit. */
export const SKB_MAX_HEADER_COPY = 256;

/** The copy meter of a pool or of the process. */
export interface SkbCopyStats {
  /** Total bytes copied (the sum of `copies`). Monotonic: diff two snapshots. */
  readonly bytesCopied: number;
  /** `bytesCopied` without `copies.headers`: data (payload) bytes copied. */
  readonly payloadBytesCopied: number;
  /** The same bytes by kind of operation. */
  readonly copies: SkbCopyKinds;
}

/** Mutable copy counters: one field per kind, added to by the copying operations. @internal */
export class CopyCounters {
  linearize = 0;
  expandHead = 0;
  copyBits = 0;
  copy = 0;
  pskbCopy = 0;
  putData = 0;
  storeBits = 0;
  pull = 0;
  other = 0;
  headers = 0;

  /** Snapshot as a plain {@link SkbCopyStats}. */
  snapshot(): SkbCopyStats {
    return kindsStats((k) => this[k]);
  }
}

/** The process-wide copy counters, fed together with each pool's. @internal */
export const globalCopies: CopyCounters = new CopyCounters();

/** The kinds, in the order of {@link SkbCopyKinds}. */
const KINDS: readonly (keyof SkbCopyKinds)[] = [
  'linearize',
  'expandHead',
  'copyBits',
  'copy',
  'pskbCopy',
  'putData',
  'storeBits',
  'pull',
  'other',
  'headers',
];

/** `{ bytesCopied, payloadBytesCopied, copies }` with `copies[k] = get(k)` and their sum. */
function kindsStats(get: (k: keyof SkbCopyKinds) => number): SkbCopyStats {
  const copies = {} as Record<keyof SkbCopyKinds, number>;
  let bytesCopied = 0;
  for (const k of KINDS) bytesCopied += copies[k] = get(k);
  return { bytesCopied, payloadBytesCopied: bytesCopied - copies.headers, copies };
}

/**
 * The bytes copied between two snapshots of the same meter (`after - before`),
 * e.g. `copyStatsDelta(before, skbStats())`.
 *
 * @param before - the earlier snapshot (`skbStats()` or `pool.stats()`)
 * @param after - the later snapshot of the same meter
 * @returns `{ bytesCopied, copies }` copied in between
 */
export function copyStatsDelta(before: SkbCopyStats, after: SkbCopyStats): SkbCopyStats {
  return kindsStats((k) => after.copies[k] - before.copies[k]);
}

/**
 * Report `bytes` copied into or out of `skb`'s data by code outside this package
 * (e.g. a `skb.buf.set(...)` after `putOff`), so the meter stays complete. Counted
 * under `copies.other`, in the skb's pool and process-wide — or, with `kind`
 * `'headers'`, under `copies.headers`: protocol headers a driver copies into a
 * fresh head while the payload stays in a page (at most {@link SKB_MAX_HEADER_COPY}).
 *
 * @param skb - the skb whose data was copied
 * @param bytes - number of bytes copied (a non-negative integer)
 * @param kind - `'other'` (default) or `'headers'`
 * @throws RangeError if `bytes` is not a non-negative integer, or more than
 *   `SKB_MAX_HEADER_COPY` for `'headers'`
 */
export function countSkbCopy(skb: SkBuff, bytes: number, kind: 'other' | 'headers' = 'other'): void {
  if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`countSkbCopy: bad byte count ${bytes}`);
  if (kind === 'headers') {
    if (bytes > SKB_MAX_HEADER_COPY) throw new RangeError(`countSkbCopy: ${bytes} header bytes is more than SKB_MAX_HEADER_COPY (${SKB_MAX_HEADER_COPY})`);
    skb.pool._copies.headers += bytes;
    globalCopies.headers += bytes;
    return;
  }
  skb.pool._copies.other += bytes;
  globalCopies.other += bytes;
}
