/**
 * Allocation statistics shared by every pool (the leak detector tests rely on).
 *
 * Each pool keeps its own {@link PoolCounters}; every pool also feeds the
 * process-wide counters returned by `skbStats()`, so a test can assert that
 * *everything* it allocated — heads, data buffers and pages, from any pool — was
 * returned (`live === 0`).
 *
 * `skbStats()` also carries the process-wide copy meter (`bytesCopied`, `copies`;
 * see `copy-stats.ts`).
 *
 * @module
 */
import { globalCopies, type SkbCopyStats } from './copy-stats.js';

/** Counters of one kind of object (heads, data buffers or pages). */
export interface PoolStats {
  /** Objects handed out and not yet returned (`allocated - freed`). */
  readonly live: number;
  /** Total allocations served (from the cache or fresh). */
  readonly allocated: number;
  /** Total objects returned. */
  readonly freed: number;
  /** Allocations served from the pool's cache (no new memory). */
  readonly cacheHits: number;
}

/** Mutable counters. @internal */
export class PoolCounters {
  allocated = 0;
  freed = 0;
  cacheHits = 0;

  /** Snapshot as a plain {@link PoolStats}. */
  snapshot(): PoolStats {
    return {
      live: this.allocated - this.freed,
      allocated: this.allocated,
      freed: this.freed,
      cacheHits: this.cacheHits,
    };
  }
}

/** Process-wide counters fed by every pool. @internal */
export const globalCounters = {
  heads: new PoolCounters(),
  data: new PoolCounters(),
  pages: new PoolCounters(),
};

/** Sum of several {@link PoolStats}. @internal */
export function sumStats(...parts: PoolStats[]): PoolStats {
  let live = 0;
  let allocated = 0;
  let freed = 0;
  let cacheHits = 0;
  for (const p of parts) {
    live += p.live;
    allocated += p.allocated;
    freed += p.freed;
    cacheHits += p.cacheHits;
  }
  return { live, allocated, freed, cacheHits };
}

/**
 * Statistics of skb memory: the totals (heads + data buffers + pages) at the top
 * level, and each kind separately; and the copy meter: `bytesCopied` (total
 * payload bytes copied by skbuff operations since the process started) and
 * `copies` (the same by operation). The copy counters are monotonic: diff two
 * snapshots (`copyStatsDelta(before, after)`).
 */
export interface SkbStats extends PoolStats, SkbCopyStats {
  /** `SkBuff` heads (the `struct sk_buff` part). */
  readonly heads: PoolStats;
  /** Linear data buffers (with their shared info). */
  readonly data: PoolStats;
  /** Pages of paged fragments. */
  readonly pages: PoolStats;
}

/**
 * Process-wide skb memory statistics, summed over every `SkbPool` and `PagePool`,
 * and the process-wide copy meter.
 * Tests assert `skbStats().live` returns to its starting value (usually 0);
 * `skbStats().bytesCopied` only grows, so measure a piece of code by subtracting
 * the value before from the value after.
 *
 * @returns a snapshot `{ live, allocated, freed, cacheHits, heads, data, pages, bytesCopied, copies }`
 * @example
 * const before = skbStats();
 * skb.linearize();
 * const { bytesCopied, copies } = copyStatsDelta(before, skbStats());
 */
export function skbStats(): SkbStats {
  const heads = globalCounters.heads.snapshot();
  const data = globalCounters.data.snapshot();
  const pages = globalCounters.pages.snapshot();
  return { ...sumStats(heads, data, pages), heads, data, pages, ...globalCopies.snapshot() };
}
