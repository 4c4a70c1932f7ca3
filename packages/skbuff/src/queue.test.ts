import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocSkb, SkbError, SkbQueue, skbStats, type SkBuff } from './index.js';

const SCALE = process.env['NETLAYERS_SLOW'] === '1' ? 10 : 1;

type QOp =
  | { k: 'tail' | 'head'; size: number }
  | { k: 'deq' | 'deqTail' | 'purgeB' | 'spliceB' | 'toB' }
  | { k: 'unlink' | 'after' | 'before'; i: number; size: number };

const arbQOp: fc.Arbitrary<QOp> = fc.oneof(
  fc.record({ k: fc.constantFrom('tail' as const, 'head' as const), size: fc.nat({ max: 50 }) }),
  fc.record({ k: fc.constantFrom('deq' as const, 'deqTail' as const, 'purgeB' as const, 'spliceB' as const, 'toB' as const) }),
  fc.record({ k: fc.constantFrom('unlink' as const, 'after' as const, 'before' as const), i: fc.nat(), size: fc.nat({ max: 50 }) }),
);

function listOf(q: SkbQueue): SkBuff[] {
  return [...q];
}

describe('SkbQueue', () => {
  it('behaves like an array model (random ops, 1000 runs)', () => {
    const live0 = skbStats().live;
    fc.assert(
      fc.property(fc.array(arbQOp, { maxLength: 60 }), (ops) => {
        const a = new SkbQueue();
        const b = new SkbQueue();
        const ma: SkBuff[] = [];
        const mb: SkBuff[] = [];
        const mk = (n: number): SkBuff => {
          const s = allocSkb(n);
          s.put(n);
          return s;
        };
        for (const op of ops) {
          switch (op.k) {
            case 'tail': {
              const s = mk(op.size);
              a.enqueueTail(s);
              ma.push(s);
              break;
            }
            case 'head': {
              const s = mk(op.size);
              a.enqueueHead(s);
              ma.unshift(s);
              break;
            }
            case 'deq': {
              const s = a.dequeue();
              expect(s).toBe(ma.shift() ?? null);
              s?.free();
              break;
            }
            case 'deqTail': {
              const s = a.dequeueTail();
              expect(s).toBe(ma.pop() ?? null);
              s?.free();
              break;
            }
            case 'toB': {
              const s = a.dequeue();
              if (s) {
                ma.shift();
                b.enqueueTail(s);
                mb.push(s);
              }
              break;
            }
            case 'spliceB':
              a.spliceTail(b);
              ma.push(...mb.splice(0));
              break;
            case 'purgeB':
              expect(b.purge()).toBe(mb.length);
              mb.length = 0;
              break;
            case 'unlink':
            case 'after':
            case 'before': {
              if (ma.length === 0) break;
              const idx = op.i % ma.length;
              const anchor = ma[idx]!;
              if (op.k === 'unlink') {
                a.unlink(anchor);
                ma.splice(idx, 1);
                anchor.free();
              } else {
                const s = mk(op.size);
                if (op.k === 'after') {
                  a.insertAfter(anchor, s);
                  ma.splice(idx + 1, 0, s);
                } else {
                  a.insertBefore(anchor, s);
                  ma.splice(idx, 0, s);
                }
              }
              break;
            }
          }
          expect(listOf(a)).toEqual(ma);
          expect(listOf(b)).toEqual(mb);
          expect(a.qlen).toBe(ma.length);
          expect(a.bytes).toBe(ma.reduce((n, s) => n + s.len, 0));
          expect(a.peek()).toBe(ma[0] ?? null);
          expect(a.peekTail()).toBe(ma[ma.length - 1] ?? null);
          for (const s of ma) expect(s.list).toBe(a);
          // backward links
          const back: SkBuff[] = [];
          for (let s = a.peekTail(); s !== null; s = a.prevOf(s)) back.push(s);
          expect(back.reverse()).toEqual(ma);
        }
        a.purge();
        b.purge();
      }),
      { numRuns: 1000 * SCALE },
    );
    expect(skbStats().live).toBe(live0);
  });

  it('refuses double queueing, freeing a queued skb and foreign unlinks', () => {
    const q = new SkbQueue();
    const r = new SkbQueue();
    const s = allocSkb(10);
    q.enqueueTail(s);
    expect(() => r.enqueueTail(s)).toThrow(SkbError);
    expect(() => s.free()).toThrow(/SKB_QUEUED/);
    s.get(); // an extra reference may be dropped while queued
    s.free();
    expect(s.users).toBe(1);
    expect(() => r.unlink(s)).toThrow(/SKB_QUEUED/);
    // iteration is safe against unlinking the current skb
    const t = allocSkb(1);
    q.enqueueTail(t);
    for (const x of q) {
      q.unlink(x);
      x.free();
    }
    expect(q.qlen).toBe(0);
    expect(q.isEmpty()).toBe(true);
  });
});
