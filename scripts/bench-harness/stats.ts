/**
 * Summary statistics of benchmark samples: median, min–max and the interquartile
 * range. Quartiles use linear interpolation between the two nearest ranks (the
 * "type 7" definition of R and NumPy), so they are defined for any n >= 1.
 */

/** The statistics every benchmark reports for one series of samples. */
export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  min: number;
  max: number;
  /** First quartile (25th percentile). */
  q1: number;
  /** Third quartile (75th percentile). */
  q3: number;
  mean: number;
}

/** Thrown when statistics are asked of an empty or non-finite series. */
export class BenchStatsError extends Error {
  readonly code = 'EBENCHSTATS';
  constructor(message: string) {
    super(message);
    this.name = 'BenchStatsError';
  }
}

/**
 * The `p` quantile (0 <= p <= 1) of `sorted` (ascending), interpolating linearly
 * between the neighbouring ranks.
 */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new BenchStatsError('quantile of no samples');
  if (!(p >= 0 && p <= 1)) throw new BenchStatsError(`quantile ${p} outside [0, 1]`);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (h - lo);
}

/** Median, spread and quartiles of `samples` (order does not matter). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new BenchStatsError('summary of no samples');
  for (const s of samples) if (!Number.isFinite(s)) throw new BenchStatsError(`non-finite sample ${s}`);
  const sorted = [...samples].sort((x, y) => x - y);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    mean: sorted.reduce((s, x) => s + x, 0) / sorted.length,
  };
}

/**
 * Format a figure with three significant digits and an SI prefix
 * (1234567 → "1.23 M", 0.5 → "0.500", 45 → "45.0").
 */
export function formatSi(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  const [div, prefix] = a >= 1e9 ? [1e9, ' G'] : a >= 1e6 ? [1e6, ' M'] : a >= 1e4 ? [1e3, ' k'] : [1, ''];
  const v = x / div;
  const av = Math.abs(v);
  const digits = av >= 100 ? 0 : av >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${prefix}`;
}
