import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockError, VirtualClock } from './index.js';
import { countingTimers, runUntil } from './testing/index.js';

describe('VirtualClock', () => {
  it('fires timers in (deadline, scheduling order) order', () => {
    const c = new VirtualClock(100);
    const log: string[] = [];
    c.setTimeout(() => log.push('b'), 20);
    c.setTimeout(() => log.push('a'), 10);
    c.setTimeout(() => log.push('c'), 20);
    expect(c.pending).toBe(3);
    expect(c.nextDeadline()).toBe(110);
    expect(c.advance(15)).toBe(1);
    expect(c.now()).toBe(115);
    expect(c.advance(5)).toBe(2);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(c.pending).toBe(0);
  });

  it('cancelled timers never fire and are not pending', () => {
    const c = new VirtualClock();
    let fired = 0;
    const t = c.setTimeout(() => fired++, 5);
    expect(t.active).toBe(true);
    t.cancel();
    t.cancel();
    expect(t.active).toBe(false);
    expect(c.pending).toBe(0);
    expect(c.nextDeadline()).toBeUndefined();
    c.advance(10);
    expect(fired).toBe(0);
  });

  it('timers scheduled by callbacks inside the window fire in the same advance, with now() at their deadline', () => {
    const c = new VirtualClock();
    const seen: number[] = [];
    c.setTimeout(() => {
      seen.push(c.now());
      c.setTimeout(() => seen.push(c.now()), 3);
    }, 2);
    expect(c.advance(10)).toBe(2);
    expect(seen).toEqual([2, 5]);
    expect(c.now()).toBe(10);
  });

  it('runNext jumps to the next deadline; runAll is bounded', () => {
    const c = new VirtualClock();
    c.setTimeout(() => undefined, 50);
    expect(c.runNext()).toBe(true);
    expect(c.now()).toBe(50);
    expect(c.runNext()).toBe(false);
    const loop = (): void => void c.setTimeout(loop, 1);
    loop();
    expect(() => c.runAll(100)).toThrow(ClockError);
  });

  it('rejects moving backwards and NaN delays with typed errors', () => {
    const c = new VirtualClock(10);
    expect(() => c.advanceTo(5)).toThrowError(expect.objectContaining({ code: 'CLOCK_BACKWARDS' }));
    expect(() => c.advance(-1)).toThrow(ClockError);
    expect(() => c.setTimeout(() => undefined, Number.NaN)).toThrowError(
      expect.objectContaining({ code: 'CLOCK_BAD_DELAY' }),
    );
    c.setTimeout(() => undefined, -5); // clamped to now
    expect(c.nextDeadline()).toBe(10);
  });

  it('model: fires exactly the non-cancelled timers, sorted by deadline then order (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delay: fc.integer({ min: 0, max: 1000 }), cancel: fc.boolean() }), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 20 }),
        (specs, steps) => {
          const c = new VirtualClock();
          const fired: number[] = [];
          const handles = specs.map((s, i) => c.setTimeout(() => fired.push(i), s.delay));
          specs.forEach((s, i) => s.cancel && handles[i]!.cancel());
          for (const s of steps) c.advance(s);
          c.runAll();
          const expected = specs
            .map((s, i) => ({ ...s, i }))
            .filter((s) => !s.cancel)
            .sort((a, b) => a.delay - b.delay || a.i - b.i)
            .map((s) => s.i);
          expect(fired).toEqual(expected);
          expect(c.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('testing helpers', () => {
  it('runUntil stops when the predicate holds or at the timeout', () => {
    const c = new VirtualClock();
    let n = 0;
    const tick = (): void => {
      n++;
      c.setTimeout(tick, 10);
    };
    c.setTimeout(tick, 10);
    expect(runUntil(c, () => n >= 5)).toBe(true);
    expect(c.now()).toBe(50);
    expect(runUntil(c, () => false, 100)).toBe(false);
    expect(c.now()).toBe(150);
  });

  it('countingTimers counts scheduled timers', () => {
    const c = countingTimers(new VirtualClock());
    c.setTimeout(() => undefined, 1);
    c.setTimeout(() => undefined, 2);
    expect(c.scheduled).toBe(2);
  });
});
