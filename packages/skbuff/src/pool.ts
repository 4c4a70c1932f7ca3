/**
 * Pooled allocation of skb heads and data buffers: the buffer cache of the HP
 * user-space TCP paper and Linux's `skbuff_head_cache` + kmalloc size classes.
 *
 * Heads (`SkBuff` objects) are kept on a free stack; data buffers live in power of
 * two size classes from 64 B to 128 KiB, each buffer together with its shared-info
 * object, so a steady alloc/free cycle allocates no JavaScript objects at all.
 * Larger requests get an unpooled buffer (counted in the statistics all the same).
 *
 * Failure contract: a size that is not an integer in `[0, maxAllocSize]` throws
 * `SKB_RANGE` before anything happens; an allocation the pool's `maxLiveBytes`,
 * the engine (`new Uint8Array` refused) or an injected fault ({@link
 * SkbPoolOptions.shouldFail}, Linux's `failslab`) refuses throws `SKB_NOMEM`. In
 * every case the counters (`stats()`, `liveBytes`, `skbStats()`) are exactly as
 * before: they are updated only once an allocation has succeeded.
 *
 * Debug mode (`debug: true`, or `NETLAYERS_SKB_DEBUG=1` in the environment): see
 * `debug.ts`. Every allocation hands out a new reference to the head, tagged with
 * the head's generation; any use of a reference whose head has been freed and
 * reallocated since throws `SKB_STALE` naming the operation.
 *
 * @module
 */
import { CopyCounters, type SkbCopyStats } from './copy-stats.js';
import { skbNewBytes, skbThrow } from './errors.js';
import { skbDebugEnv, skbDebugHandle, skbDebugRaw } from './debug.js';
import { SkbSharedInfo } from './shinfo.js';
import { SkBuff, SKB_TRUESIZE_OVERHEAD } from './skbuff.js';
import { globalCounters, PoolCounters, sumStats, type PoolStats } from './stats.js';

/** Smallest size class (bytes). */
export const SKB_MIN_CLASS = 64;
/** Largest pooled size class (bytes); bigger buffers are allocated fresh. */
export const SKB_MAX_CLASS = 128 * 1024;
/**
 * Default largest linear area one allocation may ask for (64 MiB; `maxAllocSize`).
 * Linux's limit is the largest kmalloc (`KMALLOC_MAX_SIZE`, 4 MiB with 4 KiB pages);
 * ours is higher so whole messages fit one buffer. The hard ceiling is 2^31 − 1,
 * the geometry's int32 range.
 */
export const SKB_MAX_ALLOC = 64 * 1024 * 1024;
/** What an injected allocation failure ({@link SkbPoolOptions.shouldFail}) is asked about. */
export type SkbAllocSite = 'head' | 'data';
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
  /**
   * Largest linear area one allocation (`allocSkb`, `copy`, `expandHead` …) may ask
   * for (default {@link SKB_MAX_ALLOC}, 64 MiB; at most 2^31 − 1). A bigger request
   * throws `SkbError('SKB_RANGE')` and changes nothing.
   */
  maxAllocSize?: number;
  /**
   * Fault injection (Linux `failslab`): called before every head (`'head'`) and
   * data buffer (`'data'`) allocation with the bytes asked for; returning true
   * makes that allocation fail with `SKB_NOMEM`, as an out-of-memory engine would.
   * For tests of allocation-failure paths. Default: never fail.
   */
  shouldFail?: ((site: SkbAllocSite, bytes: number) => boolean) | undefined;
  /**
   * Debug mode (default: true iff the environment has `NETLAYERS_SKB_DEBUG=1`):
   * each allocation returns a fresh reference carrying the head's generation, and
   * every operation through a reference whose head was freed and handed out again
   * throws `SkbError('SKB_STALE')` naming the operation. Costs a Proxy per
   * allocation and a check per property access; no cost when off.
   */
  debug?: boolean;
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
  private readonly maxAllocSize: number;
  private readonly shouldFail: ((site: SkbAllocSite, bytes: number) => boolean) | undefined;
  /** Debug mode is on (see {@link SkbPoolOptions.debug}). */
  readonly debug: boolean;
  private liveBytesCount = 0;
  /** @internal bytes copied by operations on this pool's skbs (the per-pool copy meter). */
  readonly _copies: CopyCounters = new CopyCounters();

  /**
   * @param opts - cache bounds, memory limits, fault injection and debug switches
   * @throws SkbError `SKB_RANGE` if `maxAllocSize` is not an integer in [0, 2^31 − 1]
   */
  constructor(opts: SkbPoolOptions = {}) {
    this.maxHeads = opts.maxCachedHeads ?? 65536;
    this.recycle = opts.recycle ?? true;
    this.maxLiveBytes = opts.maxLiveBytes ?? Infinity;
    const maxAlloc = opts.maxAllocSize ?? SKB_MAX_ALLOC;
    if (!Number.isInteger(maxAlloc) || maxAlloc < 0 || maxAlloc > 0x7fffffff) skbThrow('SKB_RANGE', `bad maxAllocSize ${maxAlloc}`);
    this.maxAllocSize = maxAlloc;
    this.shouldFail = opts.shouldFail;
    this.debug = opts.debug ?? skbDebugEnv();
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

  /**
   * @internal get a head with `users = 1`, no data (a debug reference in debug mode).
   * A failure (injected) throws `SKB_NOMEM` before anything is taken or counted.
   */
  _allocHead(): SkBuff {
    if (this.shouldFail !== undefined && this.shouldFail('head', SKB_TRUESIZE_OVERHEAD)) {
      skbThrow('SKB_NOMEM', 'head allocation failed (injected)');
    }
    const h = this.heads.pop();
    if (h !== undefined) {
      this.headCounters.cacheHits++;
      globalCounters.heads.cacheHits++;
    }
    // Count only once the head exists: a failed `new` must not leave a phantom live head.
    const n = h ?? new SkBuff(this);
    n._cacheHit = h !== undefined;
    this.headCounters.allocated++;
    globalCounters.heads.allocated++;
    n.users = 1;
    return this.debug ? skbDebugHandle(n) : n;
  }

  /** @internal return a head whose fields were already reset. */
  _freeHead(h: SkBuff): void {
    this.headCounters.freed++;
    globalCounters.heads.freed++;
    if (this.recycle && this.heads.length < this.maxHeads) this.heads.push(this.debug ? skbDebugRaw(h) : h);
  }

  /**
   * @internal undo the `_allocHead` that returned `h` (its caller failed later):
   * the head goes back and the counters are as before that call.
   */
  _unallocHead(h: SkBuff): void {
    this.headCounters.allocated--;
    globalCounters.heads.allocated--;
    h.users = 0;
    // A fresh head would have been garbage; a cached one goes back where it came from.
    const raw = this.debug ? skbDebugRaw(h) : h;
    if (raw._cacheHit) {
      this.headCounters.cacheHits--;
      globalCounters.heads.cacheHits--;
      this.heads.push(raw);
    }
  }

  /**
   * @internal a shared info with a buffer of at least `size` bytes, dataref 1.
   * @throws SkbError `SKB_RANGE` (bad size), `SKB_NOMEM` (limit, engine, injected) — counting nothing
   */
  _allocData(size: number): SkbSharedInfo {
    if (!Number.isInteger(size) || size < 0 || size > this.maxAllocSize) {
      skbThrow('SKB_RANGE', `skb size ${size} not an integer in [0, ${this.maxAllocSize}] (maxAllocSize)`);
    }
    const big = size > SKB_MAX_CLASS;
    const cls = big ? -1 : size <= SKB_MIN_CLASS ? 0 : 32 - Math.clz32(size - 1) - MIN_SHIFT;
    const bytes = big ? size : SKB_MIN_CLASS << cls;
    if (this.liveBytesCount + bytes > this.maxLiveBytes) {
      skbThrow('SKB_NOMEM', `pool limit: ${this.liveBytesCount} + ${bytes} > ${this.maxLiveBytes} bytes`);
    }
    if (this.shouldFail !== undefined && this.shouldFail('data', bytes)) {
      skbThrow('SKB_NOMEM', `${bytes}-byte data allocation failed (injected)`);
    }
    const cached = big ? undefined : this.classes[cls]!.pop();
    // Allocate before counting: `new Uint8Array` throws for a huge size (above the
    // engine's limit, or out of memory), and a failed allocation must leave `live`,
    // `allocated` and `liveBytes` as they were.
    const sh = cached ?? new SkbSharedInfo(this, skbNewBytes(bytes, 'buffer'), big ? -1 : cls);
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

/** The process-wide default pool used by `allocSkb` when no pool is given. */
export const defaultSkbPool: SkbPool = new SkbPool();
