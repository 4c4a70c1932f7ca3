// The shared benchmark harness (scripts/bench-harness): its statistics, the
// alternating rounds of `compare`, per-round ratios and the JSON it writes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BenchReport,
  BenchStatsError,
  BenchVerificationError,
  benchConfig,
  compare,
  formatSi,
  groupFromSamples,
  quantile,
  summarize,
  verify,
  type BenchResultFile,
  type Case,
} from '../../../scripts/bench-harness/index.js';

describe('bench harness statistics', () => {
  it('median, quartiles and spread of a known series', () => {
    const s = summarize([5, 1, 4, 2, 3]);
    expect(s).toMatchObject({ n: 5, median: 3, min: 1, max: 5, q1: 2, q3: 4, mean: 3 });
    const e = summarize([1, 2, 3, 4]);
    expect(e.median).toBe(2.5);
    expect(e.q1).toBe(1.75);
    expect(e.q3).toBe(3.25);
  });

  it('min <= q1 <= median <= q3 <= max, all within the samples, order-independent', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
        const s = summarize(xs);
        expect(s.min).toBe(Math.min(...xs));
        expect(s.max).toBe(Math.max(...xs));
        expect(s.q1).toBeGreaterThanOrEqual(s.min);
        expect(s.median).toBeGreaterThanOrEqual(s.q1);
        expect(s.q3).toBeGreaterThanOrEqual(s.median);
        expect(s.max).toBeGreaterThanOrEqual(s.q3);
        expect(summarize([...xs].reverse())).toEqual(s);
        // at least half the samples are <= the median and at least half >= it
        expect(xs.filter((x) => x <= s.median).length * 2).toBeGreaterThanOrEqual(xs.length);
        expect(xs.filter((x) => x >= s.median).length * 2).toBeGreaterThanOrEqual(xs.length);
      }),
    );
  });

  it('rejects empty and non-finite series with a typed error', () => {
    expect(() => summarize([])).toThrow(BenchStatsError);
    expect(() => summarize([1, Number.NaN])).toThrow(BenchStatsError);
    expect(() => quantile([1], 2)).toThrow(BenchStatsError);
    expect(() => verify(false, 'moved the wrong bytes')).toThrow(BenchVerificationError);
  });

  it('formats with three significant digits and an SI prefix', () => {
    expect(formatSi(1_234_567)).toBe('1.23 M');
    expect(formatSi(45)).toBe('45.0');
    expect(formatSi(0.5)).toBe('0.50');
    expect(formatSi(12_345)).toBe('12.3 k');
    expect(formatSi(2.5e9)).toBe('2.50 G');
  });
});

describe('bench harness runs', () => {
  it('config: at least 5 rounds; --quick and the env knob', () => {
    expect(benchConfig([], {}).rounds).toBe(5);
    expect(benchConfig([], { NETLAYERS_BENCH_ROUNDS: '2' }).rounds).toBe(5);
    expect(benchConfig([], { NETLAYERS_BENCH_ROUNDS: '9' }).rounds).toBe(9);
    expect(benchConfig(['--quick'], {}).quick).toBe(true);
    expect(benchConfig([], { NETLAYERS_BENCH_QUICK: '1' }).quick).toBe(true);
    expect(benchConfig([], {}).quick).toBe(false);
  });

  it('compare alternates the cases after the same warm-up and pairs ratios per round', async () => {
    const cfg = { quick: true, rounds: 5, warmup: 2, roundMs: 1 };
    const order: string[] = [];
    // a moves 10 units in 1 ms every round, b 5 units in 1 ms, except in b's
    // third measured run, which moves 10.
    let bRuns = 0;
    const a: Case = { name: 'a', run: () => (order.push('a'), { units: 10, ms: 1, cpuMs: 2 }) };
    const b: Case = {
      name: 'b',
      run: () => {
        order.push('b');
        bRuns++;
        return { units: bRuns === 2 + 3 ? 10 : 5, ms: 1, cpuMs: 1 };
      },
    };
    const g = await compare('g', [a, b], cfg, { unit: 'k/s', scale: 1e-3, baseline: 'a' });
    // two warm-up rounds, then five measured rounds whose starting case rotates
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b', 'b', 'a', 'a', 'b', 'b', 'a', 'a', 'b']);
    const [ra, rb] = g.cases;
    expect(ra!.samples).toEqual([10, 10, 10, 10, 10]);
    expect(rb!.summary.median).toBe(5);
    expect(rb!.summary.max).toBe(10);
    expect([...rb!.ratio!.samples].sort()).toEqual([0.5, 0.5, 0.5, 0.5, 1]);
    expect(rb!.ratio!.vs).toBe('a');
    expect(ra!.ratio).toBeUndefined();
    expect(g.alternating).toBe(true);
    expect(groupFromSamples('h', [{ name: 'a', samples: [1, 2, 3, 4, 5] }], cfg, { unit: '/s' }).alternating).toBe(false);
    const cpu = await compare('g', [a], cfg, { unit: '/s', clock: 'cpu' });
    expect(cpu.cases[0]!.summary.median).toBe(5000);
  });

  it('writes the JSON result with machine info, samples and checks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-harness-'));
    const cfg = { quick: true, rounds: 5, warmup: 1, roundMs: 1 };
    const r = new BenchReport('unit-test', cfg);
    r.group(await compare('g', [{ name: 'x', run: () => ({ units: 1, ms: 1, cpuMs: 1 }) }], cfg, { unit: '/s' }));
    r.value('bytes copied', [3, 1, 2], 'B');
    r.check('all moved', true);
    const file = r.finish(dir);
    expect(process.exitCode ?? 0).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as BenchResultFile;
    expect(file).toBe(join(dir, 'unit-test.json'));
    expect(doc.package).toBe('@netlayers/unit-test');
    expect(doc.machine.cores).toBeGreaterThan(0);
    expect(doc.machine.cpuModel.length).toBeGreaterThan(0);
    expect(doc.machine.node).toBe(process.version);
    expect(doc.machine.loadavgStart).toHaveLength(3);
    expect(doc.machine.loadavgEnd).toHaveLength(3);
    expect(doc.groups[0]!.cases[0]!.samples).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(doc.values[0]!.summary.median).toBe(2);
    expect(doc.checks).toEqual([{ name: 'all moved', ok: true, detail: '' }]);
    r.check('a failing check', false);
    r.finish(dir);
    expect(process.exitCode).toBe(1);
    process.exitCode = 0;
    rmSync(dir, { recursive: true, force: true });
  });
});
