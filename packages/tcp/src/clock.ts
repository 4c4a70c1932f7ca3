/**
 * The time interfaces TCP consumes, re-exported from `@netlayers/clock`
 * (any of its clocks — VirtualClock, RealClock — can be passed to a stack).
 *
 * @module
 */
export type { Clock, TimerHandle, TimerService } from '@netlayers/clock';
