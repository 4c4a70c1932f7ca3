/**
 * The shared benchmark harness of the netlayers packages (internal; imported
 * by relative path from each `packages/<name>/bench/`, run with tsx).
 *
 * Every bench: builds cases (`loopCase` for calibrated synchronous loops, or a
 * `{ name, run }` that returns a `Sample`), measures competitors side by side
 * with `compare` (same warm-up, alternating rounds, median and min–max/IQR of
 * >= 5 samples, per-round ratios), verifies what it moved (`verify`,
 * `report.check`), and ends with `report.finish()`, which writes
 * `bench-results/<package>.json`.
 */
export { benchConfig, pick, MIN_ROUNDS, type BenchConfig } from './config.js';
export { machineInfo, machineLine, type MachineInfo } from './machine.js';
export {
  BenchVerificationError,
  compare,
  groupFromSamples,
  loopCase,
  rateOf,
  sampleRuns,
  timed,
  timedSync,
  verify,
  type BenchClock,
  type Case,
  type CaseResult,
  type GroupOptions,
  type GroupResult,
  type Sample,
} from './measure.js';
export { BenchReport, formatGroup, formatValues, RESULTS_DIR, type BenchResultFile, type CheckResult, type ValueResult } from './report.js';
export { BenchStatsError, formatSi, quantile, summarize, type Summary } from './stats.js';
