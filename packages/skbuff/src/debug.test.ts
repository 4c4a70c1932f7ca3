/**
 * Debug mode (issue 13): a stale reference to a freed, recycled head used to write
 * silently into its new owner (`a === b` after free and realloc). With
 * `debug: true` / `NETLAYERS_SKB_DEBUG=1` every operation through such a reference
 * throws `SKB_STALE` naming the operation, and the new owner is untouched.
 */
import { describe, expect, it } from 'vitest';
import { SkBuff, SkbError, SkbPool, SkbQueue, allocSkb, allocSkbHead, skbStats } from './index.js';

function codeOf(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SkbError) return { code: e.code, message: e.message };
    throw e;
  }
  return undefined;
}

describe('skb debug mode', () => {
  it('off: the recycled head is the same object and a stale write lands in its new owner (the hazard)', () => {
    const pool = new SkbPool({ debug: false });
    const a = allocSkb(64, { pool });
    a.putData(Uint8Array.of(1, 2, 3));
    a.free();
    const b = allocSkb(64, { pool });
    expect(b).toBe(a);
    b.putData(Uint8Array.of(9));
    a.buf[a.data] = 0xee; // the stale reference writes into b's packet
    expect(b.bytes()[0]).toBe(0xee);
    b.free();
  });

  it('on: every operation through a stale reference throws SKB_STALE naming it; the new owner is untouched', () => {
    const pool = new SkbPool({ debug: true });
    expect(pool.debug).toBe(true);
    const a = allocSkb(64, { pool });
    a.putData(Uint8Array.of(1, 2, 3));
    a.free();
    const b = allocSkb(64, { pool });
    expect(b === a).toBe(false); // a new reference (toBe would walk the stale one's fields)
    expect(pool.stats().heads.cacheHits).toBe(1); // the head itself was recycled
    b.putData(Uint8Array.of(9));
    const ops: [string, () => unknown][] = [
      ['put', () => a.put(1)],
      ['push', () => a.push(1)],
      ['pull', () => a.pull(1)],
      ['buf', () => a.buf],
      ['len', () => a.len],
      ['clone', () => a.clone()],
      ['copy', () => a.copy()],
      ['free', () => a.free()],
      ['data', () => { a.data = 0; }],
    ];
    for (const [op, fn] of ops) {
      const e = codeOf(fn);
      expect(e?.code, op).toBe('SKB_STALE');
      expect(e?.message, op).toMatch(new RegExp(`^SKB_STALE: ${op} through a stale skb reference`));
    }
    expect(Array.from(b.bytes())).toEqual([9]);
    expect(b.len).toBe(1);
    b.free();
    expect(pool.stats().live).toBe(0);
  });

  it('on: a freed head not handed out again still reports SKB_FREED (use after free, double free)', () => {
    const pool = new SkbPool({ debug: true });
    const a = allocSkb(64, { pool });
    a.free();
    expect(codeOf(() => a.put(1))?.code).toBe('SKB_FREED');
    expect(codeOf(() => a.free())?.code).toBe('SKB_FREED');
  });

  it('on: clones, copies, heads without data, queues and fragList chains work through references', () => {
    const live0 = skbStats().live;
    const pool = new SkbPool({ debug: true });
    const a = allocSkb(256, { pool });
    expect(a).toBeInstanceOf(SkBuff);
    a.reserve(32);
    a.putData(Uint8Array.of(1, 2, 3, 4));
    const c = a.clone();
    const p = a.pskbCopy();
    const h = allocSkbHead({ pool });
    h.setDataPart(a);
    const child = allocSkb(16, { pool });
    child.putData(Uint8Array.of(5, 6));
    p.appendFragList(child);
    expect(codeOf(() => child.appendFragList(p))?.code).toBe('SKB_RANGE'); // cycle detection sees the same references
    p.linearize();
    expect(Array.from(p.bytes())).toEqual([1, 2, 3, 4, 5, 6]);
    const q = new SkbQueue();
    q.enqueueTail(c);
    q.enqueueTail(h);
    expect(q.dequeue()).toBe(c);
    expect(q.dequeue()).toBe(h);
    for (const s of [a, c, p, h]) s.free();
    expect(pool.stats().live).toBe(0);
    // Every one of those heads was recycled: stale references to all of them are caught.
    const again = [allocSkb(16, { pool }), allocSkb(16, { pool }), allocSkb(16, { pool }), allocSkb(16, { pool }), allocSkb(16, { pool })];
    for (const s of [a, c, p, h, child]) expect(codeOf(() => s.len)?.code).toBe('SKB_STALE');
    for (const s of again) s.free();
    expect(skbStats().live).toBe(live0);
  });

  it('NETLAYERS_SKB_DEBUG=1 turns it on for pools created afterwards; the option overrides it', () => {
    const was = process.env['NETLAYERS_SKB_DEBUG'];
    try {
      process.env['NETLAYERS_SKB_DEBUG'] = '1';
      expect(new SkbPool().debug).toBe(true);
      expect(new SkbPool({ debug: false }).debug).toBe(false);
      delete process.env['NETLAYERS_SKB_DEBUG'];
      expect(new SkbPool().debug).toBe(false);
      expect(new SkbPool({ debug: true }).debug).toBe(true);
    } finally {
      if (was === undefined) delete process.env['NETLAYERS_SKB_DEBUG'];
      else process.env['NETLAYERS_SKB_DEBUG'] = was;
    }
  });
});
