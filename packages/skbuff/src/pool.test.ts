/**
 * Pool accounting of allocations above the largest size class (unpooled buffers),
 * including one the engine refuses: it must throw `SKB_NOMEM` and count nothing.
 */
import { expect, it } from 'vitest';
import { SKB_MAX_CLASS, SkbError, SkbPool, allocSkb, skbStats } from './index.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SkbError) return e.code;
    throw e;
  }
  return undefined;
}

it('a huge allocation the engine refuses throws SKB_NOMEM and leaves live/allocated/liveBytes alone', () => {
  const pool = new SkbPool();
  const g0 = skbStats();
  const p0 = pool.stats();
  // Beyond the typed-array length limit: `new Uint8Array` throws a RangeError.
  expect(code(() => allocSkb(2 ** 40, { pool }))).toBe('SKB_NOMEM');
  const p1 = pool.stats();
  const g1 = skbStats();
  expect(p1.data).toEqual(p0.data);
  expect(p1.heads).toEqual(p0.heads);
  expect(pool.liveBytes).toBe(0);
  expect(g1.live).toBe(g0.live);
  expect(g1.data.allocated).toBe(g0.data.allocated);
  // The pool still serves a limited budget afterwards (no phantom live bytes).
  const limited = new SkbPool({ maxLiveBytes: 2 * SKB_MAX_CLASS });
  expect(code(() => allocSkb(2 ** 40, { pool: limited }))).toBe('SKB_NOMEM');
  expect(code(() => allocSkb(2 ** 33, { pool: limited }))).toBe('SKB_NOMEM');
  const ok = allocSkb(2 * SKB_MAX_CLASS, { pool: limited });
  expect(limited.liveBytes).toBe(2 * SKB_MAX_CLASS);
  ok.free();
  expect(limited.liveBytes).toBe(0);
  expect(limited.stats().live).toBe(0);
});

it('a huge engine-refused expandHead throws SKB_NOMEM, keeps the skb, counts nothing', () => {
  const pool = new SkbPool();
  const skb = allocSkb(64, { pool });
  skb.putData(new Uint8Array([1, 2, 3]));
  const data0 = pool.stats().data;
  // nhead + ntail above the typed-array length limit (2^32), each a valid int32.
  expect(code(() => skb.expandHead(2 ** 31 - 1, 2 ** 31 - 1))).toBe('SKB_NOMEM');
  expect(pool.stats().data).toEqual(data0);
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
