/**
 * Pool accounting of allocations above the largest size class (unpooled buffers),
 * and of sizes outside `[0, maxAllocSize]`: they throw `SKB_RANGE` and count nothing.
 */
import { expect, it } from 'vitest';
import { SKB_MAX_ALLOC, SKB_MAX_CLASS, SkbError, SkbPool, allocSkb, skbStats } from './index.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SkbError) return e.code;
    throw e;
  }
  return undefined;
}

it('allocSkb(2 ** 40) throws SKB_RANGE (was an untyped RangeError with live +1, liveBytes +1 TiB) and counts nothing', () => {
  const pool = new SkbPool();
  const g0 = skbStats();
  const p0 = pool.stats();
  for (const size of [2 ** 40, 2 ** 33, SKB_MAX_ALLOC + 1, -1, 1.5, Number.NaN]) {
    expect(code(() => allocSkb(size, { pool }))).toBe('SKB_RANGE');
  }
  expect(pool.stats()).toEqual(p0);
  expect(pool.liveBytes).toBe(0);
  const g1 = skbStats();
  expect(g1.live).toBe(g0.live);
  expect(g1.heads.allocated).toBe(g0.heads.allocated);
  expect(g1.data.allocated).toBe(g0.data.allocated);
  // A limited pool still serves its whole budget afterwards (no phantom live bytes).
  const limited = new SkbPool({ maxLiveBytes: 2 * SKB_MAX_CLASS });
  expect(code(() => allocSkb(2 ** 40, { pool: limited }))).toBe('SKB_RANGE');
  const ok = allocSkb(2 * SKB_MAX_CLASS, { pool: limited });
  expect(limited.liveBytes).toBe(2 * SKB_MAX_CLASS);
  ok.free();
  expect(limited.liveBytes).toBe(0);
  expect(limited.stats().live).toBe(0);
});

it('maxAllocSize bounds every allocation (allocSkb, expandHead, copy) with SKB_RANGE; the skb is kept', () => {
  const pool = new SkbPool({ maxAllocSize: 4096 });
  expect(code(() => new SkbPool({ maxAllocSize: 2 ** 31 }))).toBe('SKB_RANGE');
  const max = allocSkb(4096, { pool });
  expect(max.end).toBe(4096);
  max.free();
  expect(code(() => allocSkb(4097, { pool }))).toBe('SKB_RANGE');
  const skb = allocSkb(64, { pool });
  skb.putData(new Uint8Array([1, 2, 3]));
  const s0 = pool.stats();
  expect(code(() => skb.expandHead(2 ** 31 - 1, 2 ** 31 - 1))).toBe('SKB_RANGE');
  expect(code(() => skb.expandHead(4000, 100))).toBe('SKB_RANGE');
  expect(pool.stats()).toEqual(s0);
  expect(Array.from(skb.bytes())).toEqual([1, 2, 3]);
  skb.free();
  expect(pool.stats().live).toBe(0);
  expect(pool.liveBytes).toBe(0);
});

it('unpooled buffers above the largest class are counted once each way and never cached', () => {
  const pool = new SkbPool();
  const live0 = skbStats().live;
  for (const size of [SKB_MAX_CLASS + 1, 3 * SKB_MAX_CLASS]) {
    const a = allocSkb(size, { pool });
    const abuf = a.buf;
    expect(abuf.length).toBe(size);
    expect(pool.liveBytes).toBe(size);
    expect(pool.stats().data.live).toBe(1);
    a.free();
    expect(pool.liveBytes).toBe(0);
    const b = allocSkb(size, { pool });
    expect(b.buf === abuf).toBe(false); // a fresh buffer: oversized ones are never cached
    b.free();
  }
  const s = pool.stats();
  expect(s.data).toEqual({ live: 0, allocated: 4, freed: 4, cacheHits: 0 });
  expect(s.heads.live).toBe(0);
  expect(skbStats().live).toBe(live0);
});
