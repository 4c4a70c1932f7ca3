/**
 * Build skbs whose data is spread over linear area, page frags and frag_list —
 * to test parsers and layers against every shape of nonlinear buffer.
 *
 * @module
 */
import { MAX_SKB_FRAGS, allocSkb, defaultPagePool, type PagePool, type SkBuff, type SkbPool } from '@netlayers/skbuff';

/** Options of {@link skbFromChunks}. */
export interface SkbFromChunksOptions {
  /** Headroom reserved before the first chunk (default 0). */
  headroom?: number;
  /** Extra tailroom after the first chunk (default 0). */
  tailroom?: number;
  /** Skb pool (default: the global pool). */
  pool?: SkbPool;
  /** Page pool for frags (default: the global 4096-byte pool). */
  pagePool?: PagePool;
  /** Use at most this many page frags before switching to fragList skbs (default MAX_SKB_FRAGS). */
  maxFrags?: number;
}

/**
 * An skb holding the concatenation of `chunks`: the first chunk in the linear
 * area, the next ones as page frags (one page each, split over several pages if a
 * chunk exceeds the page size; up to {@link MAX_SKB_FRAGS}), the rest as fragList
 * skbs (one linear skb per chunk). Free it with `skb.free()`.
 */
export function skbFromChunks(chunks: readonly Uint8Array[], opts: SkbFromChunksOptions = {}): SkBuff {
  const pool = opts.pool;
  const pagePool = opts.pagePool ?? defaultPagePool;
  const first = chunks[0] ?? new Uint8Array(0);
  const headroom = opts.headroom ?? 0;
  const skb = allocSkb(headroom + first.length + (opts.tailroom ?? 0), pool ? { pool } : undefined);
  skb.reserve(headroom);
  skb.putData(first);
  let i = 1;
  for (; i < chunks.length; i++) {
    const c = chunks[i]!;
    const pagesNeeded = Math.max(1, Math.ceil(c.length / pagePool.pageSize));
    if (skb.nrFrags + pagesNeeded > Math.min(MAX_SKB_FRAGS, opts.maxFrags ?? MAX_SKB_FRAGS)) break;
    for (let off = 0; off < c.length || off === 0; off += pagePool.pageSize) {
      const part = c.subarray(off, off + pagePool.pageSize);
      const page = pagePool.alloc();
      page.bytes.set(part, 0);
      skb.addFrag(page, 0, part.length);
      if (c.length === 0) break;
    }
  }
  for (; i < chunks.length; i++) {
    const c = chunks[i]!;
    const child = allocSkb(c.length, pool ? { pool } : undefined);
    child.putData(c);
    skb.appendFragList(child);
  }
  return skb;
}

/** All packet bytes of `skb` as a new array (`copyBits` of the whole packet). */
export function skbBytes(skb: SkBuff): Uint8Array {
  const out = new Uint8Array(skb.len);
  skb.copyBits(0, out, skb.len);
  return out;
}

/**
 * Append `bytes` to `skb` as one frag on a fresh page of `pagePool`, at offset
 * `off` modulo the room the page leaves (as the model checker's `addFrag` op does).
 * If `addFrag` throws, the page is released and the error rethrown.
 */
export function addFragOfBytes(skb: SkBuff, pagePool: PagePool, bytes: Uint8Array, off: number): void {
  const page = pagePool.alloc();
  const at = off % (pagePool.pageSize - bytes.length + 1);
  page.bytes.set(bytes, at);
  try {
    skb.addFrag(page, at, bytes.length);
  } catch (e) {
    page.put();
    throw e;
  }
}
