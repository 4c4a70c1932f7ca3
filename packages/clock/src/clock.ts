/**
 * Clocks and timer services for sans-I/O protocol code.
 *
 * Protocol code in netlayers never calls `setTimeout`, `Date.now` or
 * `performance.now` itself: it is handed a {@link TimerService}. Production code
 * passes a {@link RealClock}; tests pass a {@link VirtualClock} and move time by
 * hand, so every timeout, retransmission and delay is reproducible.
 *
 * Time is measured in milliseconds as a number that may be fractional
 * (like `performance.now()`), monotonic, with an arbitrary origin.
 *
 * @module
 */

/** A monotonic time source in milliseconds. */
export interface Clock {
  /** Current time in milliseconds (monotonic; may be fractional). */
  now(): number;
}

/** A scheduled timer. */
export interface TimerHandle {
  /** Cancels the timer; a no-op if it already fired or was cancelled. */
  cancel(): void;
  /** True until the timer fires or is cancelled. */
  readonly active: boolean;
}

/** A clock that can also schedule callbacks: everything protocol code needs of time. */
export interface TimerService extends Clock {
  /**
   * Schedules `cb` to run once, `delayMs` milliseconds from now (clamped to ≥ 0).
   * Timers due at the same instant fire in the order they were scheduled.
   */
  setTimeout(cb: () => void, delayMs: number): TimerHandle;
}

/** Typed error for misuse of a clock (e.g. moving virtual time backwards). */
export class ClockError extends Error {
  override readonly name = 'ClockError';
  constructor(
    readonly code: 'CLOCK_BACKWARDS' | 'CLOCK_BAD_DELAY' | 'CLOCK_RUNAWAY',
    message: string,
  ) {
    super(message);
  }
}
