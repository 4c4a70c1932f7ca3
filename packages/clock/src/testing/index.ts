/**
 * Test helpers for code that takes a {@link TimerService}.
 * @module
 */
import type { TimerService } from '../clock.js';
import { VirtualClock } from '../virtual-clock.js';

/**
 * Runs virtual time until `pred()` holds, jumping from timer to timer.
 * @returns true if `pred` held before `timeoutMs` of virtual time passed or timers ran out.
 */
export function runUntil(clock: VirtualClock, pred: () => boolean, timeoutMs = 60_000): boolean {
  const end = clock.now() + timeoutMs;
  while (!pred()) {
    const next = clock.nextDeadline();
    if (next === undefined || next > end) {
      clock.advanceTo(Math.max(clock.now(), Math.min(end, next ?? end)));
      return pred();
    }
    clock.runNext();
  }
  return true;
}

/** Wraps a timer service, counting the timers it schedules (for leak/overhead checks). */
export function countingTimers(inner: TimerService): TimerService & { scheduled: number } {
  const wrapper = {
    scheduled: 0,
    now: () => inner.now(),
    setTimeout(cb: () => void, delayMs: number) {
      wrapper.scheduled++;
      return inner.setTimeout(cb, delayMs);
    },
  };
  return wrapper;
}

export { VirtualClock };
