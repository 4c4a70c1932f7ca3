/**
 * Allocation failure at every allocation site (issue 13): a pool and a page pool
 * with an injected fault (`shouldFail`, Linux's failslab / fail_page_alloc) fail
 * the 1st, 2nd, … allocation an operation makes until it succeeds. Each failure
 * must be a typed `SKB_NOMEM`, leave every skb's bytes as they were, leave the
 * counters (`stats()`, `liveBytes`, `skbStats()`) exactly as before when it is the
 * operation's first allocation, and let everything be freed back to zero live.
 */
import { describe, expect, it } from 'vitest';
import { PagePool, SkbError, SkbPool, allocSkb, allocSkbHead, skbStats, type SkBuff } from './index.js';
import { skbBytes, skbFromChunks } from './testing/index.js';

interface Harness {
  pool: SkbPool;
  pages: PagePool;
  /** Fail the allocation this many allocations from now (0 = the next one); -1 = never. */
  failIn: number;
  failed: string[];
}

function harness(): Harness {
  const h: Harness = {
    failIn: -1,
    failed: [],
    pool: undefined as unknown as SkbPool,
    pages: undefined as unknown as PagePool,
  };
  const fail = (site: string): boolean => {
    if (h.failIn < 0) return false;
    if (h.failIn-- !== 0) return false;
    h.failed.push(site);
    return true;
  };
  h.pool = new SkbPool({ shouldFail: (site) => fail(site) });
  h.pages = new PagePool({ pageSize: 256, shouldFail: () => fail('page') });
  return h;
}

function bytes(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
}

/** A paged skb: 40 linear bytes, 2 page frags, 2 fragList children. */
function paged(h: Harness, headroom = 16): SkBuff {
  const skb = skbFromChunks([bytes(40, 1), bytes(100, 2), bytes(300, 3)], { pool: h.pool, pagePool: h.pages, headroom, maxFrags: 2 });
  const c1 = allocSkb(50, { pool: h.pool });
  c1.putData(bytes(50, 4));
  skb.appendFragList(c1);
  const c2 = allocSkb(70, { pool: h.pool });
  c2.putData(bytes(70, 5));
  skb.appendFragList(c2);
  return skb;
}

function linear(h: Harness): SkBuff {
  const skb = allocSkb(200, { pool: h.pool });
  skb.reserve(32);
  skb.putData(bytes(100, 9));
  return skb;
}

/** A fixture: the skbs the operation works on (all freed afterwards) and the operation. */
type Fixture = (h: Harness) => { held: SkBuff[]; op: () => SkBuff | { free(): void } | void };

const SITES: Record<string, Fixture> = {
  allocSkb: (h) => ({ held: [], op: () => allocSkb(300, { pool: h.pool }) }),
  'allocSkb unpooled (> 128 KiB)': (h) => ({ held: [], op: () => allocSkb(200_000, { pool: h.pool }) }),
  allocSkbHead: (h) => ({ held: [], op: () => allocSkbHead({ pool: h.pool }) }),
  'PagePool.alloc': (h) => ({ held: [], op: () => ({ free: ((p) => () => p.put())(h.pages.alloc()) }) }),
  clone: (h) => {
    const s = linear(h);
    return { held: [s], op: () => s.clone() };
  },
  'copy (linear)': (h) => {
    const s = linear(h);
    return { held: [s], op: () => s.copy() };
  },
  'copy (paged + fragList)': (h) => {
    const s = paged(h);
    return { held: [s], op: () => s.copy() };
  },
  pskbCopy: (h) => {
    const s = paged(h);
    return { held: [s], op: () => s.pskbCopy() };
  },
  expandHead: (h) => {
    const s = paged(h);
    return { held: [s], op: () => s.expandHead(64, 64) };
  },
  'cowHead of a clone': (h) => {
    const s = linear(h);
    const c = s.clone();
    return { held: [s, c], op: () => c.cowHead(64) };
  },
  'cow of a clone': (h) => {
    const s = paged(h);
    const c = s.clone();
    return { held: [s, c], op: () => c.cow(0) };
  },
  'unshare of a clone': (h) => {
    const s = paged(h);
    const c = s.clone();
    return { held: [s, c], op: () => void c.unshare() };
  },
  linearize: (h) => {
    const s = paged(h);
    return { held: [s], op: () => s.linearize() };
  },
  'linearize of a clone with shared fragList children': (h) => {
    const s = paged(h);
    const c = s.pskbCopy(); // fragList children now have users = 2
    return { held: [s, c], op: () => c.linearize() };
  },
  'mayPull into a shared fragList child': (h) => {
    const s = paged(h);
    const c = s.pskbCopy();
    return { held: [s, c], op: () => void c.mayPull(40 + 100 + 300 + 20) };
  },
  'trim into a shared fragList child': (h) => {
    const s = paged(h);
    const c = s.clone();
    return { held: [s, c], op: () => c.trim(40 + 100 + 300 + 20) };
  },
  ensureWritable: (h) => {
    const s = paged(h);
    const c = s.clone();
    return { held: [s, c], op: () => c.ensureWritable(200) };
  },
};

function liveCounts(h: Harness): unknown {
  const g = skbStats();
  const { heads, data } = h.pool.stats(); // allocation counters (not the copy meter)
  return { pool: { heads, data }, liveBytes: h.pool.liveBytes, pages: h.pages.stats(), global: { heads: g.heads.live, data: g.data.live, pages: g.pages.live } };
}

function freeAll(x: SkBuff | { free(): void } | void, held: SkBuff[]): void {
  if (x !== undefined) x.free();
  for (const s of held) s.free();
}

describe('allocation failure at every allocation site', () => {
  for (const [name, fixture] of Object.entries(SITES)) {
    it(`${name}: each failing allocation is a typed SKB_NOMEM and changes no bytes or counters`, () => {
      const live0 = skbStats().live;
      let failures = 0;
      for (let k = 0; ; k++) {
        expect(k).toBeLessThan(32);
        const h = harness();
        const { held, op } = fixture(h);
        const before = held.map((s) => skbBytes(s));
        const counts = liveCounts(h);
        h.failIn = k;
        let result: ReturnType<typeof op> = undefined;
        let error: unknown;
        try {
          result = op();
        } catch (e) {
          error = e;
        }
        const injected = h.failed.length > 0;
        h.failIn = -1;
        if (!injected) {
          expect(error).toBeUndefined();
          freeAll(result, held);
          expect(h.pool.stats().live).toBe(0);
          expect(h.pool.liveBytes).toBe(0);
          expect(h.pages.stats().live).toBe(0);
          break;
        }
        failures++;
        expect(error).toBeInstanceOf(SkbError);
        expect((error as SkbError).code).toBe('SKB_NOMEM');
        expect(held.map((s) => skbBytes(s))).toEqual(before);
        // The operation's first allocation failed: nothing at all happened.
        if (k === 0) expect(liveCounts(h)).toEqual(counts);
        freeAll(undefined, held);
        expect(h.pool.stats().live).toBe(0);
        expect(h.pool.liveBytes).toBe(0);
        expect(h.pages.stats().live).toBe(0);
      }
      expect(failures).toBeGreaterThan(0);
      expect(skbStats().live).toBe(live0);
    });
  }
});
