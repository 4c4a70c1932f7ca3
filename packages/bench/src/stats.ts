/**
 * Summary statistics of a configuration's readings: the median (the figure we
 * report) with the minimum and maximum (the spread we show next to it).
 * @module
 */

/** Median, minimum and maximum of a set of readings. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Number of readings summarised. */
  n: number;
}

/**
 * median - middle value of `xs` (mean of the two middle values for an even count).
 * @param xs readings (not modified)
 * @returns the median, NaN for an empty list
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/**
 * summarize - median with min–max of `xs`.
 * @returns NaN fields for an empty list
 */
export function summarize(xs: readonly number[]): Summary {
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Formats a summary as `median (min–max)` with `digits` decimals. */
export function formatSummary(s: Summary, digits = 2): string {
  if (s.n === 0 || !Number.isFinite(s.median)) return '—';
  if (s.n === 1) return s.median.toFixed(digits);
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}
