/**
 * Pooled allocation of skb heads and data buffers: the buffer cache of the HP
 * user-space TCP paper and Linux's `skbuff_head_cache` + kmalloc size classes.
 *
 * Heads (`SkBuff` objects) are kept on a free stack; data buffers live in power of
 * two size classes from 64 B to 128 KiB, each buffer together with its shared-info
 * object, so a steady alloc/free cycle allocates no JavaScript objects at all.
 * Larger requests get an unpooled buffer (counted in the statistics all the same);
 * one the engine cannot allocate throws `SKB_NOMEM` and counts nothing.
 *
 * @module
 */
import { CopyCounters, type SkbCopyStats } from './copy-stats.js';
import { skbThrow } from './errors.js';
import { SkbSharedInfo } from './shinfo.js';
import { SkBuff } from './skbuff.js';
import { globalCounters, PoolCounters, sumStats, type PoolStats } from './stats.js';

/** Smallest size class (bytes). */
export const SKB_MIN_CLASS = 64;
/** Largest pooled size class (bytes); bigger buffers are allocated fresh. */
export const SKB_MAX_CLASS = 128 * 1024;
const MIN_SHIFT = 6;
const NCLASSES = 12; // 64 … 128 KiB

/** Options of {@link SkbPool}. */
export interface SkbPoolOptions {
  /** Maximum number of free heads kept (default 65536). */
  maxCachedHeads?: number;
  /** Maximum bytes of free data buffers kept per size class (default 8 MiB, at least 16 buffers). */
  maxCachedBytesPerClass?: number;
  /**
   * Reuse freed heads and buffers (default true). `false` is a debugging mode in
   * which a freed skb is never handed out again, so *every* use after free and
   * double free throws `SKB_FREED`.
   */
  recycle?: boolean;
  /**
   * Upper bound on the bytes of data buffers handed out and not yet freed (default
   * unlimited). An allocation beyond it throws `SkbError('SKB_NOMEM')` — `alloc_skb`
   * returning NULL — so a leak or a flood hits a clear error instead of the heap limit.
   */
  maxLiveBytes?: number;
}

/**
 * Statistics of one {@link SkbPool}: totals plus heads and data separately, and
 * the pool's copy meter (`bytesCopied`, `copies`: bytes copied by operations on
 * skbs of this pool, monotonic — see `copyStatsDelta`).
 */
export interface SkbPoolStats extends PoolStats, SkbCopyStats {
  /** `SkBuff` heads. */
  readonly heads: PoolStats;
  /** Data buffers with their shared info. */
  readonly data: PoolStats;
}

/** A cache of skb heads and size-classed data buffers. */
export class SkbPool {
  private readonly heads: SkBuff[] = [];
  private readonly classes: SkbSharedInfo[][] = [];
  private readonly classMax: number[] = [];
  private readonly maxHeads: number;
  private readonly recycle: boolean;
  private readonly headCounters = new PoolCounters();
  private readonly dataCounters = new PoolCounters();
  private readonly maxLiveBytes: number;
  private liveBytesCount = 0;
  /** @internal bytes copied by operations on this pool's skbs (the per-pool copy meter). */
  readonly _copies: CopyCounters = new CopyCounters();

  /** @param opts - cache bounds and the debug recycling switch */
  constructor(opts: SkbPoolOptions = {}) {
    this.maxHeads = opts.maxCachedHeads ?? 65536;
    this.recycle = opts.recycle ?? true;
    this.maxLiveBytes = opts.maxLiveBytes ?? Infinity;
    const perClass = opts.maxCachedBytesPerClass ?? 8 * 1024 * 1024;
    for (let c = 0; c < NCLASSES; c++) {
      this.classes.push([]);
      this.classMax.push(Math.max(16, Math.floor(perClass / (SKB_MIN_CLASS << c))));
    }
  }

  /**
   * `{ live, allocated, freed, cacheHits }` of this pool, with `heads` and `data`,
   * and its copy meter `{ bytesCopied, copies }`.
   */
  stats(): SkbPoolStats {
    const heads = this.headCounters.snapshot();
    const data = this.dataCounters.snapshot();
    return { ...sumStats(heads, data), heads, data, ...this._copies.snapshot() };
  }

  /** Bytes of data buffers currently handed out (size-class bytes). */
  get liveBytes(): number {
    return this.liveBytesCount;
  }

  /** @internal get a head with `users = 1`, no data. */
  _allocHead(): SkBuff {
    const h = this.heads.pop();
    if (h !== undefined) {
      this.headCounters.cacheHits++;
      globalCounters.heads.cacheHits++;
    }
    // Count only once the head exists: a failed `new` must not leave a phantom live head.
    const n = h ?? new SkBuff(this);
    this.headCounters.allocated++;
    globalCounters.heads.allocated++;
    n.users = 1;
    return n;
  }

  /** @internal return a head whose fields were already reset. */
  _freeHead(h: SkBuff): void {
    this.headCounters.freed++;
    globalCounters.heads.freed++;
    if (this.recycle && this.heads.length < this.maxHeads) this.heads.push(h);
  }

  /** @internal a shared info with a buffer of at least `size` bytes, dataref 1. */
  _allocData(size: number): SkbSharedInfo {
    if (!Number.isInteger(size) || size < 0) skbThrow('SKB_RANGE', `bad skb size ${size}`);
    const big = size > SKB_MAX_CLASS;
    const cls = big ? -1 : size <= SKB_MIN_CLASS ? 0 : 32 - Math.clz32(size - 1) - MIN_SHIFT;
    const bytes = big ? size : SKB_MIN_CLASS << cls;
    if (this.liveBytesCount + bytes > this.maxLiveBytes) {
      skbThrow('SKB_NOMEM', `pool limit: ${this.liveBytesCount} + ${bytes} > ${this.maxLiveBytes} bytes`);
    }
    const cached = big ? undefined : this.classes[cls]!.pop();
    // Allocate before counting: `new Uint8Array` throws for a huge size (above the
    // engine's limit, or out of memory), and a failed allocation must leave `live`,
    // `allocated` and `liveBytes` as they were.
    const sh = cached ?? new SkbSharedInfo(this, newBuffer(bytes), big ? -1 : cls);
    this.liveBytesCount += bytes;
    this.dataCounters.allocated++;
    globalCounters.data.allocated++;
    if (cached !== undefined) {
      this.dataCounters.cacheHits++;
      globalCounters.data.cacheHits++;
      cached.dataref = 1;
    }
    return sh;
  }

  /** @internal return a shared info whose pages/children were released. */
  _freeData(sh: SkbSharedInfo): void {
    this.dataCounters.freed++;
    globalCounters.data.freed++;
    this.liveBytesCount -= sh.buf.length;
    if (!this.recycle || sh.cls < 0) return;
    const list = this.classes[sh.cls]!;
    if (list.length < this.classMax[sh.cls]!) list.push(sh);
  }
}

/** A fresh buffer; an allocation the engine refuses is `SKB_NOMEM` (`alloc_skb` returning NULL). */
function newBuffer(bytes: number): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch (e) {
    if (e instanceof RangeError) skbThrow('SKB_NOMEM', `cannot allocate a ${bytes}-byte buffer: ${e.message}`);
    throw e;
  }
}

/** The process-wide default pool used by `allocSkb` when no pool is given. */
export const defaultSkbPool: SkbPool = new SkbPool();
