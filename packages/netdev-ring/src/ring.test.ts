import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ring } from './ring.js';
import { isNetdevError } from './errors.js';

type Op = { kind: 'p'; n: number } | { kind: 'c'; n: number } | { kind: 'p1' } | { kind: 'c1' } | { kind: 'd'; n: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('p' as const), n: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('c' as const), n: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('d' as const), n: fc.integer({ min: 0, max: 40 }) }),
  fc.constant({ kind: 'p1' as const }),
  fc.constant({ kind: 'c1' as const }),
);

describe('Ring', () => {
  it('rejects capacities that are not powers of two', () => {
    for (const c of [0, 3, 6, -4, 1.5, 2 ** 31]) {
      let err: unknown;
      try {
        new Ring(c);
      } catch (e) {
        err = e;
      }
      expect(isNetdevError(err) && err.code).toBe('ERR_RING_CAPACITY');
    }
  });

  it('fills to capacity exactly and counts refusals', () => {
    const r = new Ring<number>(4);
    expect(r.produceBatch([1, 2, 3, 4, 5, 6])).toBe(4);
    expect(r.isFull).toBe(true);
    expect(r.produce(7)).toBe(false);
    expect(r.stats().full).toBe(3);
    expect(r.consumeBatch(10)).toEqual([1, 2, 3, 4]);
    expect(r.consume()).toBeUndefined();
    expect(r.stats()).toMatchObject({ produced: 4, consumed: 4, highWater: 4 });
  });

  it('property: never loses, duplicates or reorders under random batch interleavings', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 4, 8, 16, 64), fc.array(arbOp, { maxLength: 200 }), (cap, ops) => {
        const r = new Ring<number>(cap);
        let next = 0; // next value to produce
        let expectNext = 0; // next value the consumer must see
        const check = (v: number | undefined) => {
          expect(v).toBe(expectNext);
          expectNext++;
        };
        for (const op of ops) {
          const before = r.size;
          switch (op.kind) {
            case 'p': {
              const items = Array.from({ length: op.n }, (_, i) => next + i);
              const k = r.produceBatch(items);
              expect(k).toBe(Math.min(op.n, cap - before));
              next += k;
              break;
            }
            case 'p1':
              if (r.produce(next)) next++;
              else expect(before).toBe(cap);
              break;
            case 'c':
              for (const v of r.consumeBatch(op.n)) check(v);
              break;
            case 'd':
              r.drain(op.n, check);
              break;
            case 'c1': {
              const v = r.consume();
              if (v === undefined) expect(before).toBe(0);
              else check(v);
              break;
            }
          }
          expect(r.size).toBe(next - expectNext);
          expect(r.size).toBeLessThanOrEqual(cap);
        }
        for (const v of r.consumeBatch(cap)) check(v);
        expect(expectNext).toBe(next);
        const s = r.stats();
        expect(s.produced).toBe(next);
        expect(s.consumed).toBe(next);
      }),
      { numRuns: 300 },
    );
  });

  it('drain consumes the throwing descriptor and keeps the rest', () => {
    const r = new Ring<number>(8);
    r.produceBatch([1, 2, 3, 4]);
    expect(() =>
      r.drain(4, (v) => {
        if (v === 2) throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(r.consumeBatch(8)).toEqual([3, 4]);
  });
});

describe('Ring argument edges', () => {
  it('treats NaN/negative maxima as 0 and clamps batch ranges', () => {
    const r = new Ring<number>(8);
    expect(r.produceBatch([1, 2, 3], 1, 10)).toBe(2);
    expect(r.consumeBatch(Number.NaN)).toEqual([]);
    expect(r.consumeBatch(-3)).toEqual([]);
    expect(r.drain(Number.NaN, () => {})).toBe(0);
    expect(r.consumeBatch(1.9)).toEqual([2]);
    expect(r.consume()).toBe(3);
  });
});
