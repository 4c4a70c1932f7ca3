/**
 * Cases and how they are sampled. A case is anything that can be run once and
 * say how many units (operations, bytes, frames, messages) it moved and how long
 * that took; `compare` runs several cases side by side in alternating rounds
 * (a, b, c, then b, c, a, …) after the same warm-up, so a burst of load on a
 * shared machine hits every case alike, and every ratio is computed per round
 * from samples taken moments apart.
 */
import type { BenchConfig } from './config.js';
import { summarize, type Summary } from './stats.js';

/** One measured run of a case. */
export interface Sample {
  /** Units moved in the run. */
  units: number;
  /** Wall-clock time of the measured part, ms. */
  ms: number;
  /** CPU time (user + system) of the whole process over the same part, ms. */
  cpuMs: number;
}

export interface Case {
  name: string;
  run(): Sample | Promise<Sample>;
}

/** Thrown (by `verify`) when a bench finds that what it moved is wrong. */
export class BenchVerificationError extends Error {
  readonly code = 'EBENCHVERIFY';
  constructor(message: string) {
    super(message);
    this.name = 'BenchVerificationError';
  }
}

/** Fail the bench unless `ok`: a figure over wrong or missing data is worthless. */
export function verify(ok: boolean, message: string): asserts ok {
  if (!ok) throw new BenchVerificationError(message);
}

/** Time `fn`, which returns the units it moved. */
export async function timed(fn: () => number | Promise<number>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const units = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { units, ms, cpuMs: (c.user + c.system) / 1000 };
}

/** {@link timed} for synchronous code (no promise in the timed path). */
export function timedSync(fn: () => number): Sample {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const units = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { units, ms, cpuMs: (c.user + c.system) / 1000 };
}

/**
 * A synchronous micro-benchmark: `fn(iters)` runs `iters` iterations of
 * `unitsPerIter` units each. The iteration count is calibrated on the first
 * run (a warm-up run) so that one round takes about `cfg.roundMs`, then stays
 * fixed, so every sample does the same work.
 */
export function loopCase(name: string, fn: (iters: number) => void, cfg: BenchConfig, unitsPerIter = 1): Case {
  let iters = 0;
  return {
    name,
    run(): Sample {
      if (iters === 0) {
        let n = 1;
        for (;;) {
          const t = performance.now();
          fn(n);
          const dt = performance.now() - t;
          if (dt > cfg.roundMs / 2 || n >= 2 ** 40) break;
          n *= dt < cfg.roundMs / 50 ? 8 : 2;
        }
        iters = n;
      }
      const n = iters;
      return timedSync(() => {
        fn(n);
        return n * unitsPerIter;
      });
    },
  };
}

/** Which time a rate divides by. */
export type BenchClock = 'wall' | 'cpu';

export interface CaseResult {
  name: string;
  /** Rate of every measured round, in the group's display unit (units/s × scale). */
  samples: number[];
  summary: Summary;
  /** Units moved per round (the same work in every round unless the case varies it). */
  units: number[];
  /** Rate per CPU second of the process, same rounds (when measured by `compare`). */
  cpu?: { samples: number[]; summary: Summary };
  /** Rate of this case / rate of the baseline, paired round by round. */
  ratio?: { vs: string; samples: number[]; summary: Summary };
}

export interface GroupOptions {
  /** Label of the displayed rate, e.g. "M ops/s", "Gbit/s". */
  unit: string;
  /** Multiplier from units per second to the displayed unit (default 1). */
  scale?: number;
  /** Name of the case every other case is divided by, round by round. */
  baseline?: string;
  /** Rates per wall second (default) or per CPU second of this process. */
  clock?: BenchClock;
  /** Free-form note printed under the table and kept in the JSON. */
  note?: string;
  /** Whether the cases' rounds were interleaved (`compare` sets it; default false). */
  alternating?: boolean;
}

export interface GroupResult {
  title: string;
  unit: string;
  clock: BenchClock;
  rounds: number;
  warmup: number;
  /** Rounds interleaved across the cases (true from `compare`), or run case after case. */
  alternating: boolean;
  note?: string;
  cases: CaseResult[];
}

/** Rate of one sample in the display unit. */
export function rateOf(s: Sample, clock: BenchClock, scale: number): number {
  const ms = clock === 'cpu' ? s.cpuMs : s.ms;
  return (s.units / (Math.max(ms, 1e-6) / 1000)) * scale;
}

/**
 * Run `cases` side by side: `cfg.warmup` unmeasured rounds, then `cfg.rounds`
 * measured rounds, each running every case once, the starting case rotating
 * from round to round.
 */
export async function compare(title: string, cases: readonly Case[], cfg: BenchConfig, opts: GroupOptions): Promise<GroupResult> {
  const clock = opts.clock ?? 'wall';
  const scale = opts.scale ?? 1;
  const k = cases.length;
  const rates: number[][] = cases.map(() => []);
  const units: number[][] = cases.map(() => []);
  const cpu: number[][] = cases.map(() => []);
  for (let w = 0; w < cfg.warmup; w++) for (const c of cases) await c.run();
  for (let r = 0; r < cfg.rounds; r++) {
    for (let j = 0; j < k; j++) {
      const i = (r + j) % k;
      const s = await cases[i]!.run();
      rates[i]!.push(rateOf(s, clock, scale));
      cpu[i]!.push(rateOf(s, 'cpu', scale));
      units[i]!.push(s.units);
    }
  }
  return groupFromSamples(
    title,
    cases.map((c, i) => ({ name: c.name, samples: rates[i]!, units: units[i]!, cpu: cpu[i]! })),
    cfg,
    { ...opts, clock, alternating: true },
  );
}

/**
 * Build a group from rates already sampled elsewhere (for example inside a
 * worker thread that ran the same warm-up and rounds with {@link sampleRuns}).
 */
export function groupFromSamples(
  title: string,
  series: readonly { name: string; samples: number[]; units?: number[]; cpu?: number[] }[],
  cfg: BenchConfig,
  opts: GroupOptions,
): GroupResult {
  const base = opts.baseline === undefined ? undefined : series.find((s) => s.name === opts.baseline);
  if (opts.baseline !== undefined && base === undefined) throw new BenchVerificationError(`no baseline case "${opts.baseline}" in "${title}"`);
  const cases: CaseResult[] = series.map((s) => {
    const res: CaseResult = { name: s.name, samples: s.samples, summary: summarize(s.samples), units: s.units ?? [] };
    if (s.cpu !== undefined && s.cpu.length > 0) res.cpu = { samples: s.cpu, summary: summarize(s.cpu) };
    if (base !== undefined && base !== s) {
      const paired = s.samples.map((x, r) => x / base.samples[r]!);
      res.ratio = { vs: base.name, samples: paired, summary: summarize(paired) };
    }
    return res;
  });
  const g: GroupResult = { title, unit: opts.unit, clock: opts.clock ?? 'wall', rounds: cfg.rounds, warmup: cfg.warmup, alternating: opts.alternating ?? false, cases };
  if (opts.note !== undefined) g.note = opts.note;
  return g;
}

/** Warm-up then measured runs of one case, returning the measured samples. */
export async function sampleRuns(c: Case, cfg: BenchConfig): Promise<Sample[]> {
  for (let w = 0; w < cfg.warmup; w++) await c.run();
  const out: Sample[] = [];
  for (let r = 0; r < cfg.rounds; r++) out.push(await c.run());
  return out;
}
