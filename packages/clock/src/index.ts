export { type Clock, type TimerHandle, type TimerService, ClockError } from './clock.js';
export { VirtualClock } from './virtual-clock.js';
export { RealClock, type RealClockOptions, realClock } from './real-clock.js';
