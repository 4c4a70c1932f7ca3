/**
 * The real clock: `performance.now()` and the host's `setTimeout`.
 * The only place in netlayers' protocol packages that touches wall time.
 */
import type { TimerHandle, TimerService } from './clock.js';

/** Options for {@link RealClock}. */
export interface RealClockOptions {
  /** Unref timers so a pending timer alone does not keep the process alive (default true). */
  unref?: boolean;
}

class RealTimer implements TimerHandle {
  active = true;
  handle: ReturnType<typeof setTimeout> | undefined;
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

/** A {@link TimerService} backed by `performance.now()` and `setTimeout`. */
export class RealClock implements TimerService {
  private readonly unref: boolean;
  constructor(opts: RealClockOptions = {}) {
    this.unref = opts.unref ?? true;
  }
  now(): number {
    return performance.now();
  }
  setTimeout(cb: () => void, delayMs: number): TimerHandle {
    const timer = new RealTimer();
    const h = setTimeout(() => {
      if (!timer.active) return;
      timer.active = false;
      timer.handle = undefined;
      cb();
    }, Math.max(0, delayMs));
    if (this.unref && typeof h === 'object' && h !== null && 'unref' in h) h.unref();
    timer.handle = h;
    return timer;
  }
}

/** A shared {@link RealClock} with unref'd timers. */
export const realClock: RealClock = new RealClock();
