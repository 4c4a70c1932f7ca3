/**
 * Run settings: the thesis's (`--full`), the scaled-down default that fits in
 * about 10–15 minutes on a 2-core machine, and `--quick` (CI smoke, < 60 s).
 * @module
 */
import { SIZES, WINDOWS } from './report/thesis.js';
import type { Schedule } from './runner.js';

/** E-mails per latency reading by default (the thesis: 1000 at every size). */
export const DEFAULT_COUNTS: Record<string, number> = { '10MB': 10, '1MB': 60, '500KB': 120, '100KB': 300, '50KB': 400 };
/** Throughput windows by default (ms); the thesis's are in `WINDOWS`. */
export const DEFAULT_WINDOWS: Record<string, number> = { '10MB': 5000, '1MB': 2000, '500KB': 1000, '100KB': 500, '50KB': 500 };

/** What the CLI resolved. */
export interface Settings {
  schedule: Schedule;
  configs: string[];
  sweep: boolean;
  sweepConcurrency: number[];
  sweepWindowMs: number;
  mode: 'default' | 'full' | 'quick';
  /** Human-readable list of what differs from the thesis's setup. */
  scaledDown: string[];
}

/** Options as parsed by commander. */
export interface CliOptions {
  sizes?: string;
  count?: string;
  readings?: string;
  window?: string;
  configs?: string;
  sweep?: boolean;
  full?: boolean;
  quick?: boolean;
}

const DEFAULT_CONFIGS = ['direct', 'kernel', 'netlayers-copy-64k', 'netlayers-zerocopy-64k', 'netlayers-copy-1500', 'netlayers-zerocopy-1500', 'tap-copy', 'tap-zerocopy'];

/** resolveSettings - turns CLI options into a schedule. @throws RangeError on an unknown size */
export function resolveSettings(o: CliOptions): Settings {
  const mode = o.full ? 'full' : o.quick ? 'quick' : 'default';
  const labels = (o.sizes ?? (mode === 'quick' ? '1MB,50KB' : Object.keys(SIZES).join(','))).split(',').map((s) => s.trim().toUpperCase());
  for (const l of labels) if (SIZES[l] === undefined) throw new RangeError(`unknown size ${l} (one of ${Object.keys(SIZES).join(', ')})`);
  const count = o.count !== undefined ? Number(o.count) : undefined;
  const windowMs = o.window !== undefined ? Number(o.window) : undefined;
  const readings = o.readings !== undefined ? Number(o.readings) : mode === 'quick' ? 1 : 3;
  const sizes = labels.map((label) => ({
    label,
    octets: SIZES[label] as number,
    count: count ?? (mode === 'full' ? 1000 : mode === 'quick' ? 5 : (DEFAULT_COUNTS[label] as number)),
    windowMs: windowMs ?? (mode === 'full' ? (WINDOWS[label] as number) : mode === 'quick' ? 200 : (DEFAULT_WINDOWS[label] as number)),
  }));
  const scaledDown: string[] = [];
  for (const s of sizes) {
    if (s.count !== 1000) scaledDown.push(`${s.label}: ${s.count} e-mails per latency reading (thesis 1000)`);
    if (s.windowMs !== WINDOWS[s.label]) scaledDown.push(`${s.label}: ${s.windowMs / 1000} s throughput window (thesis ${(WINDOWS[s.label] as number) / 1000} s)`);
  }
  if (readings !== 3) scaledDown.push(`${readings} reading(s) per figure (thesis 3)`);
  const configs = (o.configs ?? (mode === 'quick' ? 'direct,kernel,netlayers-zerocopy-64k,tap-zerocopy' : DEFAULT_CONFIGS.join(','))).split(',').map((s) => s.trim());
  return {
    schedule: { sizes, readings, warmupCount: mode === 'quick' ? 1 : 3, drainTimeoutMs: mode === 'quick' ? 8000 : 20_000 },
    configs,
    sweep: o.sweep ?? mode !== 'quick',
    sweepConcurrency: [1, 8, 64],
    sweepWindowMs: mode === 'quick' ? 300 : 3000,
    mode,
    scaledDown,
  };
}
