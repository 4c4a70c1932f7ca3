import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelay } from './backoff.js';

describe('retryDelay', () => {
  it('follows the Postfix defaults: 300 s doubling, capped at 4000 s', () => {
    const s = [0, 1, 2, 3, 4, 5, 6, 30, 5000].map((n) => retryDelay(n, 300_000, 4_000_000));
    expect(s).toEqual([0, 300_000, 600_000, 1_200_000, 2_400_000, 4_000_000, 4_000_000, 4_000_000, 4_000_000]);
  });

  it('is non-decreasing, at least min after the first attempt and never above max', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 0, max: 1e9 }), (n, min, extra) => {
        const max = min + extra;
        const d = retryDelay(n + 1, min, max);
        expect(d).toBeGreaterThanOrEqual(min);
        expect(d).toBeLessThanOrEqual(max);
        expect(retryDelay(n + 2, min, max)).toBeGreaterThanOrEqual(d);
      }),
    );
  });
});
