import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Impairment, flipBit, type ImpairmentProfile } from './impairment.js';
import { Xoshiro128ss } from './prng.js';
import { isNetdevError } from './errors.js';

const N = 100_000;

/** |observed − expected| within 5 standard deviations of a binomial(n, p). */
function withinBinomial(observed: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p)).toBeLessThanOrEqual(5 * sd + 1);
}

describe('Xoshiro128ss', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Xoshiro128ss(42);
    const b = new Xoshiro128ss(42);
    const c = new Xoshiro128ss(43);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
  });
  it('is roughly uniform (chi-square over 16 buckets)', () => {
    const r = new Xoshiro128ss(7);
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < N; i++) buckets[r.nextInt(16)]!++;
    const e = N / 16;
    const chi = buckets.reduce((s, o) => s + ((o - e) * (o - e)) / e, 0);
    expect(chi).toBeLessThan(50); // df=15, p≈1e-5
  });
});

describe('Impairment', () => {
  it('validates its profile with typed errors', () => {
    for (const bad of [{ loss: 2 }, { duplicate: -0.1 }, { delayMs: -1 }, { rateBps: 0 }, { corrupt: Number.NaN }]) {
      let err: unknown;
      try {
        new Impairment(bad as ImpairmentProfile);
      } catch (e) {
        err = e;
      }
      expect(isNetdevError(err) && err.code).toBe('ERR_BAD_ARGUMENT');
    }
  });

  it('is reproducible from the seed (property)', () => {
    const arbProfile = fc.record(
      {
        seed: fc.integer(),
        loss: fc.double({ min: 0, max: 1, noNaN: true }),
        duplicate: fc.double({ min: 0, max: 1, noNaN: true }),
        reorder: fc.double({ min: 0, max: 1, noNaN: true }),
        delayMs: fc.double({ min: 0, max: 50, noNaN: true }),
        jitterMs: fc.double({ min: 0, max: 10, noNaN: true }),
        corrupt: fc.double({ min: 0, max: 1, noNaN: true }),
        rateBps: fc.integer({ min: 1000, max: 1e9 }),
        mtu: fc.integer({ min: 60, max: 9000 }),
      },
      { requiredKeys: ['seed'] },
    );
    fc.assert(
      fc.property(arbProfile, fc.array(fc.integer({ min: 0, max: 9000 }), { maxLength: 200 }), (profile, lens) => {
        const a = new Impairment(profile);
        const b = new Impairment(profile);
        lens.forEach((len, i) => {
          expect(b.decide(len, i * 0.1)).toEqual(a.decide(len, i * 0.1));
        });
        expect(a.stats()).toEqual(b.stats());
      }),
      { numRuns: 100 },
    );
  });

  it('hits loss, duplication, reorder and corruption rates over 100k frames', () => {
    const profile = { seed: 2024, loss: 0.05, duplicate: 0.02, reorder: 0.1, corrupt: 0.01, delayMs: 10, jitterMs: 2 };
    const imp = new Impairment(profile);
    let lost = 0;
    let dup = 0;
    let reordered = 0;
    let copies = 0;
    let corrupted = 0;
    let delaySum = 0;
    for (let i = 0; i < N; i++) {
      const now = i * 0.01;
      const d = imp.decide(100, now);
      if (d.dropped === 'loss') {
        lost++;
        continue;
      }
      if (d.deliveries.length === 2) dup++;
      for (const c of d.deliveries) {
        copies++;
        const extra = c.atMs - now;
        if (extra > profile.delayMs + profile.jitterMs + 0.5) reordered++;
        else delaySum += extra;
        if (c.corruptBit >= 0) {
          expect(c.corruptBit).toBeLessThan(800);
          corrupted++;
        }
        expect(extra).toBeGreaterThanOrEqual(profile.delayMs - profile.jitterMs - 1e-9);
      }
    }
    withinBinomial(lost, N, profile.loss);
    withinBinomial(dup, N - lost, profile.duplicate);
    withinBinomial(reordered, copies, profile.reorder);
    withinBinomial(corrupted, copies, profile.corrupt);
    // Mean delay of non-reordered copies ≈ delayMs (jitter is symmetric).
    expect(Math.abs(delaySum / (copies - reordered) - profile.delayMs)).toBeLessThan(0.05);
    const s = imp.stats();
    expect(s).toMatchObject({ offered: N, lost, duplicated: dup, corrupted, reordered });
  });

  it('enforces the rate limit and its bounded queue', () => {
    // 1 Mbit/s, 1250-byte frames = 10 ms each; offered every 5 ms → half must be dropped eventually.
    const imp = new Impairment({ rateBps: 1e6, rateQueueMs: 50 });
    let delivered = 0;
    let last = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = imp.decide(1250, i * 5);
      if (d.dropped === null) {
        delivered++;
        const at = d.deliveries[0]!.atMs;
        expect(at - last).toBeGreaterThanOrEqual(10 - 1e-9); // serialised one after another
        last = at;
      } else expect(d.dropped).toBe('rate');
    }
    // 50 s of offered traffic at a 10 ms/frame link: ≈ 5000 frames fit.
    expect(Math.abs(delivered - 5000)).toBeLessThanOrEqual(6);
    expect(imp.stats().rateDropped).toBe(10_000 - delivered);
  });

  it('clamps the MTU', () => {
    const imp = new Impairment({ mtu: 1500 });
    expect(imp.decide(1500, 0).dropped).toBeNull();
    expect(imp.decide(1501, 0).dropped).toBe('mtu');
    expect(imp.stats().mtuDropped).toBe(1);
  });

  it('flipBit flips exactly one bit', () => {
    const b = new Uint8Array(4);
    flipBit(b, 0);
    flipBit(b, 31);
    expect([...b]).toEqual([0x80, 0, 0, 1]);
  });
});
