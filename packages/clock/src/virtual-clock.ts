/**
 * A deterministic clock for tests: time moves only when the test says so.
 *
 * Timers live in a binary min-heap ordered by (deadline, sequence number), so
 * timers due at the same instant fire in scheduling order. Cancelled timers are
 * removed lazily (they stay in the heap, flagged, until they reach the top).
 */
import { ClockError, type TimerHandle, type TimerService } from './clock.js';

class VirtualTimer implements TimerHandle {
  active = true;
  constructor(
    readonly deadline: number,
    readonly seq: number,
    public cb: (() => void) | undefined,
    private readonly owner: VirtualClock,
  ) {}
  cancel(): void {
    if (!this.active) return;
    this.active = false;
    this.cb = undefined;
    this.owner._cancelled();
  }
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq);
}

/** A {@link TimerService} whose time advances only through {@link advance} and friends. */
export class VirtualClock implements TimerService {
  private t: number;
  private seq = 0;
  private readonly heap: VirtualTimer[] = [];
  private live = 0;

  /** @param startMs the initial time (default 0). */
  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimeout(cb: () => void, delayMs: number): TimerHandle {
    if (Number.isNaN(delayMs)) throw new ClockError('CLOCK_BAD_DELAY', 'delay is NaN');
    const timer = new VirtualTimer(this.t + Math.max(0, delayMs), this.seq++, cb, this);
    this.push(timer);
    this.live++;
    return timer;
  }

  /** Number of timers scheduled and not yet fired or cancelled. */
  get pending(): number {
    return this.live;
  }

  /** Deadline of the earliest pending timer, or `undefined` if none. */
  nextDeadline(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.deadline;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way in order
   * (timers scheduled by callbacks fire too if they fall inside the window).
   * @returns the number of timers fired.
   */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new ClockError('CLOCK_BACKWARDS', `cannot advance by ${ms} ms`);
    return this.advanceTo(this.t + ms);
  }

  /** Moves time forward to `t` (≥ now), firing due timers in order. @returns timers fired. */
  advanceTo(t: number): number {
    if (!(t >= this.t)) throw new ClockError('CLOCK_BACKWARDS', `cannot go back from ${this.t} to ${t}`);
    let fired = 0;
    for (;;) {
      this.dropCancelled();
      const top = this.heap[0];
      if (top === undefined || top.deadline > t) break;
      this.fireTop();
      fired++;
    }
    this.t = t;
    return fired;
  }

  /** Jumps to the earliest pending timer and fires it. @returns false if none is pending. */
  runNext(): boolean {
    this.dropCancelled();
    if (this.heap.length === 0) return false;
    this.fireTop();
    return true;
  }

  /**
   * Fires timers (jumping time forward) until none is pending.
   * @param maxTimers bound on timers fired, to stop self-rescheduling loops
   *   (default 1,000,000); throws `CLOCK_RUNAWAY` when exceeded.
   * @returns the number of timers fired.
   */
  runAll(maxTimers = 1_000_000): number {
    let n = 0;
    while (this.runNext()) {
      if (++n >= maxTimers && this.live > 0) {
        throw new ClockError('CLOCK_RUNAWAY', `still ${this.live} timers after firing ${n}`);
      }
    }
    return n;
  }

  /** @internal */
  _cancelled(): void {
    this.live--;
  }

  private fireTop(): void {
    const timer = this.pop();
    if (timer.deadline > this.t) this.t = timer.deadline;
    const cb = timer.cb;
    timer.active = false;
    timer.cb = undefined;
    this.live--;
    cb?.();
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && !this.heap[0]!.active) this.pop();
  }

  private push(x: VirtualTimer): void {
    const h = this.heap;
    let i = h.length;
    h.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!before(x, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = x;
  }

  private pop(): VirtualTimer {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
