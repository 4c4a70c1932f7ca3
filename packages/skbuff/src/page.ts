/**
 * Refcounted pages for paged fragments (`struct page`, `get_page()`/`put_page()`,
 * and a page_pool-like cache).
 *
 * A {@link Page} owns `bytes`, a `Uint8Array` of `pageSize` bytes. It starts with a
 * refcount of 1 (the allocator's reference). `get()` takes another reference,
 * `put()` drops one; when the count reaches zero the page returns to its
 * {@link PagePool} for reuse (its contents are NOT cleared). Using a page after its
 * last `put()` throws `PAGE_FREED` as long as the page has not been recycled yet
 * (construct the pool with `{ recycle: false }` to detect every use after free).
 *
 * @module
 */
import { skbNewBytes, skbThrow } from './errors.js';
import { globalCounters, PoolCounters, type PoolStats } from './stats.js';

/** A refcounted page (`struct page`). */
export class Page {
  /** The page's memory; `bytes.length === pool.pageSize` (except {@link Page.borrow}ed pages). */
  readonly bytes: Uint8Array;
  /** The pool this page returns to. */
  readonly pool: PagePool;
  /** @internal current reference count; 0 = free (in the pool's cache). */
  _ref = 1;
  /** @internal a borrowed page's release hook (see {@link Page.borrow}); null for pool pages. */
  _release: (() => void) | null = null;

  /** @internal use {@link PagePool.alloc}. */
  constructor(pool: PagePool, bytes: Uint8Array) {
    this.pool = pool;
    this.bytes = bytes;
  }

  /**
   * A page over memory owned by someone else (Linux: the page behind an skb's
   * `head_frag` head), so that bytes not in a pool page — e.g. an skb's linear
   * area — can be referenced as fragments without copying. The caller gets one
   * reference; when the last one is put, `release` runs (e.g. freeing the clone
   * that keeps the memory alive) instead of returning the page to a pool. The page
   * also holds a permanent reference for the owner, so its `refcount` is at least
   * 2 while in use: skbuff never treats the borrowed bytes as private (writes to
   * them are refused as to any shared page). Not counted in any pool's stats.
   *
   * @param bytes - the memory (any length; `pool` is a placeholder pool)
   * @param release - called once, after the last reference is dropped
   * @returns the page, refcount 2 (caller's + owner's)
   */
  static borrow(bytes: Uint8Array, release: () => void): Page {
    const p = new Page(borrowedPagePool, bytes);
    p._ref = 2;
    p._release = release;
    return p;
  }

  /** Current reference count (`page_ref_count`). */
  get refcount(): number {
    return this._ref;
  }

  /**
   * Take a reference (`get_page`).
   * @returns this page
   * @throws SkbError `PAGE_FREED` if the page was already released
   */
  get(): this {
    if (this._ref <= 0) skbThrow('PAGE_FREED', 'get() on a freed page');
    this._ref++;
    return this;
  }

  /**
   * Drop a reference (`put_page`); at zero the page returns to its pool.
   * @throws SkbError `PAGE_FREED` on a double put
   */
  put(): void {
    if (this._ref <= 0) skbThrow('PAGE_FREED', 'put() on a freed page (double free)');
    if (--this._ref === 0) this.pool._release(this);
    else if (this._ref === 1 && this._release !== null) {
      // only the owner's reference of a borrowed page is left: give the memory back
      const release = this._release;
      this._release = null;
      this._ref = 0;
      release();
    }
  }
}

/** Options of {@link PagePool}. */
export interface PagePoolOptions {
  /** Page size in bytes (default 4096, Linux's PAGE_SIZE). */
  pageSize?: number;
  /** Maximum number of free pages kept for reuse (default 1024). */
  maxCached?: number;
  /**
   * Reuse freed pages (default true). `false` is a debugging mode: freed pages are
   * never handed out again, so every use after free is detected.
   */
  recycle?: boolean;
  /**
   * Fault injection (Linux `fail_page_alloc`): called before every page allocation
   * with the page size; returning true makes `alloc()` throw `SKB_NOMEM`. For tests
   * of allocation-failure paths. Default: never fail.
   */
  shouldFail?: ((bytes: number) => boolean) | undefined;
}

/** A cache of equally sized pages (like the kernel's page_pool). */
export class PagePool {
  /** Size of every page of this pool. */
  readonly pageSize: number;
  private readonly maxCached: number;
  private readonly recycle: boolean;
  private readonly free: Page[] = [];
  private readonly counters = new PoolCounters();
  private readonly shouldFail: ((bytes: number) => boolean) | undefined;

  /**
   * @param opts - page size, cache bound, debug recycling switch, fault injection
   * @throws RangeError if `pageSize` is not a positive integer
   */
  constructor(opts: PagePoolOptions = {}) {
    const pageSize = opts.pageSize ?? 4096;
    if (!Number.isInteger(pageSize) || pageSize <= 0) throw new RangeError(`bad pageSize ${pageSize}`);
    this.pageSize = pageSize;
    this.maxCached = opts.maxCached ?? 1024;
    this.recycle = opts.recycle ?? true;
    this.shouldFail = opts.shouldFail;
  }

  /**
   * Allocate a page with refcount 1 (`alloc_page` / `page_pool_alloc_pages`).
   * Contents are unspecified (a recycled page keeps old bytes).
   * @throws SkbError `SKB_NOMEM` if the engine or an injected fault refuses the
   *   memory (nothing is counted then)
   */
  alloc(): Page {
    if (this.shouldFail !== undefined && this.shouldFail(this.pageSize)) {
      skbThrow('SKB_NOMEM', `${this.pageSize}-byte page allocation failed (injected)`);
    }
    let p = this.free.pop();
    if (p !== undefined) {
      this.counters.cacheHits++;
      globalCounters.pages.cacheHits++;
      p._ref = 1;
    } else {
      p = new Page(this, skbNewBytes(this.pageSize, 'page'));
    }
    this.counters.allocated++;
    globalCounters.pages.allocated++;
    return p;
  }

  /** Per-pool statistics `{ live, allocated, freed, cacheHits }`. */
  stats(): PoolStats {
    return this.counters.snapshot();
  }

  /** Number of free pages currently cached. */
  get cached(): number {
    return this.free.length;
  }

  /** @internal called by {@link Page.put} at refcount zero. */
  _release(p: Page): void {
    this.counters.freed++;
    globalCounters.pages.freed++;
    if (this.recycle && this.free.length < this.maxCached) this.free.push(p);
  }
}

/** The default page pool (4096-byte pages) used when none is given. */
export const defaultPagePool: PagePool = new PagePool();

/** The `pool` of {@link Page.borrow}ed pages: never allocates, never receives them back. */
const borrowedPagePool: PagePool = new PagePool({ maxCached: 0 });
