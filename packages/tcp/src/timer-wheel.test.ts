import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '@netlayers/clock';
import { TimerWheel, WheelTimer } from './timer-wheel.js';

describe('TimerWheel', () => {
  it('fires each timer exactly once, never early, at its tick (model check)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 5_000 }),
            delay: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 3_000_000 })),
            cancel: fc.boolean(),
            rearm: fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined }),
          }),
          { maxLength: 40 },
        ),
        (ops) => {
          const clock = new VirtualClock(1000);
          const wheel = new TimerWheel(clock);
          const fired: { id: number; t: number }[] = [];
          const expected = new Map<number, number>();
          const sorted = [...ops].sort((a, b) => a.at - b.at);
          sorted.forEach((op, id) => {
            clock.advanceTo(1000 + op.at);
            const t = new WheelTimer(() => fired.push({ id, t: clock.now() }));
            wheel.mod(t, op.delay);
            expected.set(id, clock.now() + op.delay);
            if (op.rearm !== undefined) {
              wheel.mod(t, op.rearm);
              expected.set(id, clock.now() + op.rearm);
            }
            if (op.cancel) {
              wheel.del(t);
              expected.delete(id);
            }
          });
          clock.runAll();
          expect(fired.length).toBe(expected.size);
          for (const f of fired) {
            const due = expected.get(f.id)!;
            expect(f.t).toBeGreaterThanOrEqual(due);
            expect(f.t - due).toBeLessThan(1.0001);
          }
          expect(wheel.size).toBe(0);
        },
      ),
      { numRuns: 150, seed: 42 },
    );
  });

  it('uses one clock timer for many wheel timers', () => {
    const clock = new VirtualClock();
    const wheel = new TimerWheel(clock);
    let n = 0;
    for (let i = 0; i < 10_000; i++) wheel.mod(new WheelTimer(() => n++), 100 + (i % 50));
    expect(clock.pending).toBeLessThanOrEqual(1);
    clock.runAll();
    expect(n).toBe(10_000);
    expect(wheel.wakeups).toBeLessThanOrEqual(60);
  });
});
