/**
 * Hierarchical timing wheel (Varghese & Lauck scheme 6; the cascading `tvec`
 * wheel of Linux ≤ 4.7 `kernel/timer.c`): O(1) arm and cancel, timers kept in
 * intrusive doubly linked slot lists, exact to one tick (never early).
 *
 * ```
 * level 0: 256 slots × 1 tick          (< 256 ticks ahead)
 * level 1:  64 slots × 256 ticks       (< 2^14)
 * level 2:  64 slots × 2^14 ticks      (< 2^20)
 * level 3:  64 slots × 2^20 ticks      (< 2^26)
 * level 4:  64 slots × 2^26 ticks      (< 2^32, farther deadlines are clamped)
 * ```
 *
 * When level 0 wraps, the due slot of the next level is cascaded down
 * (re-inserted), as `cascade()` does in Linux. The whole wheel is driven by ONE
 * timer on the injected {@link TimerService}, armed for the earliest slot that
 * may hold a due timer — one clock timer per stack, not per socket.
 *
 * @module
 */

import type { TimerHandle, TimerService } from './clock.js';

const TVR_BITS = 8;
const TVN_BITS = 6;
const TVR_SIZE = 1 << TVR_BITS;
const TVN_SIZE = 1 << TVN_BITS;
const TVR_MASK = TVR_SIZE - 1;
const TVN_MASK = TVN_SIZE - 1;
const LEVELS = 5;
const MAX_TICKS = 2 ** 32 - 1;

/**
 * A timer that can be armed on a {@link TimerWheel}. Embed one per purpose in the
 * owning object (like `struct timer_list` inside `inet_connection_sock`).
 */
export class WheelTimer<T = unknown> {
  /** Absolute expiry tick. */
  expires = 0;
  /** @internal */ next: WheelTimer | null = null;
  /** @internal */ prev: WheelTimer | null = null;
  /** @internal slot list this timer is linked in, or null */
  slot: SlotList | null = null;
  /** Callback, called with {@link WheelTimer.owner} (share one function among many timers). */
  readonly fn: (owner: T) => void;
  /** Argument passed to `fn` — lets an owner embed timers without allocating closures. */
  readonly owner: T;
  constructor(fn: (owner: T) => void, owner?: T) {
    this.fn = fn;
    this.owner = owner as T;
  }
  /** True while armed. */
  get pending(): boolean {
    return this.slot !== null;
  }
}

/** @internal */
export class SlotList {
  head: WheelTimer | null = null;
  tail: WheelTimer | null = null;
  push(t: WheelTimer): void {
    t.slot = this;
    t.next = null;
    t.prev = this.tail;
    if (this.tail !== null) this.tail.next = t;
    else this.head = t;
    this.tail = t;
  }
  unlink(t: WheelTimer): void {
    if (t.prev !== null) t.prev.next = t.next;
    else this.head = t.next;
    if (t.next !== null) t.next.prev = t.prev;
    else this.tail = t.prev;
    t.next = t.prev = null;
    t.slot = null;
  }
  take(): WheelTimer | null {
    const h = this.head;
    this.head = this.tail = null;
    return h;
  }
}

/** Options of a {@link TimerWheel}. */
export interface TimerWheelOptions {
  /** Tick length in milliseconds (default 1). */
  tickMs?: number;
}

/**
 * The wheel. `mod(t, delayMs)` arms or re-arms (`mod_timer`), `del(t)` cancels
 * (`del_timer`); both O(1).
 */
export class TimerWheel {
  readonly tickMs: number;
  private readonly clock: TimerService;
  private readonly levels: SlotList[][] = [];
  /** Next tick to process (Linux `base->timer_jiffies`). */
  private current: number;
  private count = 0;
  private handle: TimerHandle | null = null;
  private handleAt = Infinity;
  private running = false;
  /** Number of clock callbacks taken (for tests/benchmarks). */
  wakeups = 0;
  /** Timer callbacks that threw (contained: the wheel keeps running). */
  errors = 0;
  /** Receives exceptions thrown by timer callbacks (default: rethrown in a microtask). */
  onError: ((err: unknown) => void) | undefined;

  constructor(clock: TimerService, opts: TimerWheelOptions = {}) {
    this.clock = clock;
    this.tickMs = opts.tickMs ?? 1;
    for (let l = 0; l < LEVELS; l++) {
      const n = l === 0 ? TVR_SIZE : TVN_SIZE;
      const arr: SlotList[] = [];
      for (let i = 0; i < n; i++) arr.push(new SlotList());
      this.levels.push(arr);
    }
    this.current = this.nowTick();
  }

  /** Timers currently armed. */
  get size(): number {
    return this.count;
  }

  private nowTick(): number {
    return Math.floor(this.clock.now() / this.tickMs);
  }

  private insert(t: WheelTimer): void {
    const expires = t.expires;
    let idx = expires - this.current;
    let list: SlotList;
    if (idx < 0) {
      list = this.levels[0]![this.current & TVR_MASK]!;
    } else if (idx < TVR_SIZE) {
      list = this.levels[0]![expires & TVR_MASK]!;
    } else {
      if (idx > MAX_TICKS) {
        idx = MAX_TICKS;
        t.expires = this.current + MAX_TICKS;
      }
      let level = 1;
      let shift = TVR_BITS + TVN_BITS;
      while (level < LEVELS - 1 && idx >= 2 ** shift) {
        level++;
        shift += TVN_BITS;
      }
      const slotShift = TVR_BITS + (level - 1) * TVN_BITS;
      list = this.levels[level]![Math.floor(t.expires / 2 ** slotShift) & TVN_MASK]!;
    }
    list.push(t);
  }

  /**
   * Arms (or re-arms) `t` to fire `delayMs` from now (Linux `mod_timer`). Never fires early:
   * the deadline is rounded up to the next tick.
   */
  mod<T>(timer: WheelTimer<T>, delayMs: number): void {
    const t = timer as unknown as WheelTimer;
    if (t.slot !== null) {
      t.slot.unlink(t);
      this.count--;
    }
    const now = this.clock.now();
    if (this.count === 0 && !this.running) this.current = Math.floor(now / this.tickMs);
    t.expires = Math.max(Math.ceil((now + Math.max(0, delayMs)) / this.tickMs), this.current);
    this.insert(t);
    this.count++;
    if (!this.running) this.schedule(t.expires * this.tickMs);
  }

  /** Cancels `t` if armed (Linux `del_timer`). Returns whether it was pending. */
  del<T>(timer: WheelTimer<T>): boolean {
    const t = timer as unknown as WheelTimer;
    if (t.slot === null) return false;
    t.slot.unlink(t);
    this.count--;
    return true;
  }

  private schedule(atMs: number): void {
    if (atMs >= this.handleAt && this.handle !== null && this.handle.active) return;
    if (this.handle !== null) this.handle.cancel();
    const delay = Math.max(0, atMs - this.clock.now());
    this.handleAt = atMs;
    this.handle = this.clock.setTimeout(this.onClock, delay);
  }

  private readonly onClock = (): void => {
    this.handle = null;
    this.handleAt = Infinity;
    this.wakeups++;
    this.run();
  };

  private cascade(level: number, index: number): number {
    const list = this.levels[level]![index]!;
    let t = list.take();
    while (t !== null) {
      const nx = t.next;
      t.next = t.prev = null;
      t.slot = null;
      this.insert(t);
      t = nx;
    }
    return index;
  }

  /** Fires every timer due at the clock's current time (Linux `run_timers`). */
  run(): void {
    if (this.running) return;
    this.running = true;
    try {
      const nowTick = this.nowTick();
      while (this.current <= nowTick) {
        if (this.count === 0) {
          this.current = nowTick + 1;
          break;
        }
        const index = this.current & TVR_MASK;
        if (index === 0) {
          let level = 1;
          let shift = TVR_BITS;
          while (level < LEVELS && this.cascade(level, Math.floor(this.current / 2 ** shift) & TVN_MASK) === 0) {
            level++;
            shift += TVN_BITS;
          }
        }
        this.current++;
        const list = this.levels[0]![index]!;
        let t = list.head;
        while (t !== null) {
          list.unlink(t);
          this.count--;
          try {
            t.fn(t.owner);
          } catch (err) {
            this.errors++;
            if (this.onError !== undefined) this.onError(err);
            else queueMicrotask(() => {
              throw err;
            });
          }
          t = list.head;
        }
      }
    } finally {
      this.running = false;
    }
    const next = this.nextExpiry();
    if (next !== undefined) this.schedule(next * this.tickMs);
  }

  /**
   * A lower bound of the next tick at which some timer may be due (exact for level 0;
   * the cascade point for higher levels). `undefined` when nothing is armed.
   */
  nextExpiry(): number | undefined {
    if (this.count === 0) return undefined;
    const cur = this.current;
    const l0 = this.levels[0]!;
    for (let i = 0; i < TVR_SIZE; i++) {
      const tick = cur + i;
      if ((tick & TVR_MASK) === 0 && i > 0 && this.cascadeNonEmpty(tick)) return tick;
      if (l0[tick & TVR_MASK]!.head !== null) return tick;
    }
    // Walk the later level-0 wrap points (bounded): wake only where a cascade brings timers down.
    let w = (Math.floor((cur + TVR_SIZE - 1) / TVR_SIZE) + 1) * TVR_SIZE;
    for (let k = 0; k < 64; k++, w += TVR_SIZE) {
      if (this.cascadeNonEmpty(w)) return w;
    }
    return w;
  }

  private cascadeNonEmpty(w: number): boolean {
    let shift = TVR_BITS;
    for (let level = 1; level < LEVELS; level++) {
      const idx = Math.floor(w / 2 ** shift) & TVN_MASK;
      if (this.levels[level]![idx]!.head !== null) return true;
      if (idx !== 0) return false;
      shift += TVN_BITS;
    }
    return false;
  }
}
