import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hsiphash, makeHashKey, secureTcpSeq } from './hash.js';
import { seqAdd, seqGe, seqGt, seqInWindow, seqLe, seqLt } from './seq.js';

describe('RFC 6528 ISN and keyed hash', () => {
  it('ISN = M + F(4-tuple, key): grows with the 4 µs clock for one tuple, unrelated across tuples and keys', () => {
    const k = makeHashKey(1);
    const a0 = secureTcpSeq(k, 1000, 1, 2, 3, 4);
    const a1 = secureTcpSeq(k, 1001, 1, 2, 3, 4);
    expect((a1 - a0) >>> 0).toBe(250); // 1 ms = 250 ticks of 4 µs
    const b = secureTcpSeq(k, 1000, 1, 2, 3, 5);
    expect(b).not.toBe(a0);
    expect(secureTcpSeq(makeHashKey(2), 1000, 1, 2, 3, 4)).not.toBe(a0);
  });

  it('hsiphash spreads sequential tuples evenly over buckets', () => {
    const k = makeHashKey(7);
    const buckets = new Array<number>(256).fill(0);
    for (let i = 0; i < 65536; i++) buckets[hsiphash(k, 0x0a000001, 0x0a000002, ((80 << 16) | i) >>> 0) & 255]!++;
    const max = Math.max(...buckets);
    const min = Math.min(...buckets);
    expect(max).toBeLessThan(330);
    expect(min).toBeGreaterThan(190);
  });
});

describe('sequence arithmetic (RFC 9293 §3.4)', () => {
  it('comparisons are consistent modulo 2^32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 0x7fffffff }), (a, d) => {
        const b = seqAdd(a, d);
        expect(seqLt(a, b)).toBe(true);
        expect(seqGt(b, a)).toBe(true);
        expect(seqLe(a, a) && seqGe(a, a)).toBe(true);
        expect(seqInWindow(a, a, b)).toBe(true);
        expect(seqInWindow(b, a, b)).toBe(false);
      }),
      { numRuns: 500, seed: 4 },
    );
  });
});
