/**
 * The one output format of every benchmark: a markdown table per group on
 * stdout (median, min–max, IQR, paired ratio), and at the end a JSON file
 * `bench-results/<package>.json` at the repository root with every sample,
 * the run settings and the machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './config.js';
import { machineInfo, machineLine, type MachineInfo } from './machine.js';
import type { GroupResult } from './measure.js';
import { formatSi, summarize, type Summary } from './stats.js';

/** A measured quantity that is not a rate (bytes copied per op, heap per connection). */
export interface ValueResult {
  name: string;
  unit: string;
  samples: number[];
  summary: Summary;
}

/** A verification the bench made of what it moved (all must pass). */
export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BenchResultFile {
  package: string;
  date: string;
  config: BenchConfig;
  machine: MachineInfo;
  groups: GroupResult[];
  values: ValueResult[];
  checks: CheckResult[];
}

/** `bench-results/` at the repository root (two levels above this file). */
export const RESULTS_DIR = fileURLToPath(new URL('../../bench-results/', import.meta.url));

const spread = (s: Summary): string => `${formatSi(s.min)}–${formatSi(s.max)}`;
const iqr = (s: Summary): string => `${formatSi(s.q1)}–${formatSi(s.q3)}`;
const ratio = (s: Summary): string => `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;

/** The markdown table of one group. */
export function formatGroup(g: GroupResult): string {
  const vs = g.cases.find((c) => c.ratio !== undefined)?.ratio?.vs;
  const head = `| case | median ${g.unit} | min–max | IQR |${vs === undefined ? '' : ` vs ${vs}, per round |`}`;
  const rule = `|---|---|---|---|${vs === undefined ? '' : '---|'}`;
  const rows = g.cases.map((c) => {
    const r = vs === undefined ? '' : ` ${c.ratio === undefined ? '1 (baseline)' : ratio(c.ratio.summary)} |`;
    return `| ${c.name} | ${formatSi(c.summary.median)} | ${spread(c.summary)} | ${iqr(c.summary)} |${r}`;
  });
  const per = g.clock === 'cpu' ? 'per CPU second' : 'per wall second';
  const how = g.alternating ? 'alternating rounds' : 'rounds, case after case';
  const lines = [`### ${g.title}`, `(${per}; median of ${g.rounds} ${how} after ${g.warmup} warm-up)`, '', head, rule, ...rows];
  if (g.note !== undefined) lines.push('', g.note);
  return lines.join('\n');
}

/** The markdown table of the values. */
export function formatValues(values: readonly ValueResult[]): string {
  const rows = values.map((v) => `| ${v.name} | ${`${formatSi(v.summary.median)} ${v.unit}`.trim()} | ${spread(v.summary)} | ${v.summary.n} |`);
  return ['| value | median | min–max | n |', '|---|---|---|---|', ...rows].join('\n');
}

export class BenchReport {
  readonly machine: MachineInfo = machineInfo();
  readonly groups: GroupResult[] = [];
  readonly values: ValueResult[] = [];
  readonly checks: CheckResult[] = [];

  /** `pkg`: the package's short name ("tcp"), also the JSON file's name. */
  constructor(
    readonly pkg: string,
    readonly cfg: BenchConfig,
  ) {
    console.log(`# @netlayers/${pkg} bench${cfg.quick ? ' (--quick)' : ''}\n${machineLine(this.machine)}\n`);
  }

  /** Record and print a group measured with `compare` or `groupFromSamples`. */
  group(g: GroupResult): GroupResult {
    this.groups.push(g);
    console.log(`${formatGroup(g)}\n`);
    return g;
  }

  /** Record and print a non-rate quantity (one or more samples). */
  value(name: string, samples: number | readonly number[], unit: string): ValueResult {
    const xs = typeof samples === 'number' ? [samples] : [...samples];
    const v: ValueResult = { name, unit, samples: xs, summary: summarize(xs) };
    this.values.push(v);
    console.log(`${name}: ${`${formatSi(v.summary.median)} ${unit}`.trim()}${xs.length > 1 ? ` (${spread(v.summary)}, n=${xs.length})` : ''}`);
    return v;
  }

  /** Record a verification; a failed one makes `finish` exit non-zero. */
  check(name: string, ok: boolean, detail = ''): boolean {
    this.checks.push({ name, ok, detail });
    console.log(`check ${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}`);
    return ok;
  }

  /** The JSON document `finish` writes. */
  toJSON(): BenchResultFile {
    return {
      package: `@netlayers/${this.pkg}`,
      date: new Date().toISOString(),
      config: this.cfg,
      machine: { ...this.machine, loadavgEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) },
      groups: this.groups,
      values: this.values,
      checks: this.checks,
    };
  }

  /**
   * Print the values table, write `bench-results/<pkg>.json` (to `dir`), and
   * set a non-zero exit code if any check failed. Returns the file's path.
   */
  finish(dir: string = RESULTS_DIR): string {
    const doc = this.toJSON();
    if (this.values.length > 0) console.log(`\n${formatValues(this.values)}`);
    mkdirSync(dir, { recursive: true });
    const file = `${dir.replace(/\/$/, '')}/${this.pkg}.json`;
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
    const failed = this.checks.filter((c) => !c.ok);
    console.log(`\nload average at end ${doc.machine.loadavgEnd.join(' ')}; results written to ${file}`);
    if (failed.length > 0) {
      console.error(`${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}`);
      process.exitCode = 1;
    }
    return file;
  }
}
