#!/usr/bin/env node
/**
 * `netlayers-bench` (and `npm start`): the thesis's relay experiment, every
 * configuration in one run, then the report: tables, ratios, a plot
 * (bench-results/relay-<date>.svg), and the JSON results.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { Environment } from './configs.js';
import { memcpyGBs } from './memcpy.js';
import { runSchedule, type Reading } from './runner.js';
import { resolveSettings, type CliOptions } from './settings.js';
import { runSweep } from './sweep.js';
import { cells, ratios } from './report/aggregate.js';
import { renderSvg } from './report/plot.js';
import { renderPng } from './report/png.js';
import { bars, costTable, latencyTable, ratioTable, table, throughputTable } from './report/text.js';
import { SIZES } from './report/thesis.js';
import { markdownReport } from './report/markdown.js';
import { goals, goalsTable } from './report/goals.js';
import { summarize, formatSummary } from './stats.js';

const program = new Command()
  .name('netlayers-bench')
  .description("The thesis's SMTP relay experiment (Tables 1-2, Figure 19) with kernel and netlayers relays side by side")
  .option('--sizes <list>', 'e-mail sizes, e.g. 10MB,1MB,500KB,100KB,50KB')
  .option('--count <n>', 'e-mails per latency reading (every size)')
  .option('--readings <n>', 'readings per figure')
  .option('--window <ms>', 'throughput window in ms (every size)')
  .option('--configs <list>', 'configurations (direct,kernel,netlayers-copy-64k,netlayers-zerocopy-64k,netlayers-copy-1500,netlayers-zerocopy-1500,tap-copy,tap-zerocopy)')
  .option('--sweep', 'run the concurrency sweep (default on, off with --quick)')
  .option('--no-sweep', 'skip the concurrency sweep')
  .option('--full', "the thesis's settings: 1000 e-mails, its windows, 3 readings")
  .option('--quick', 'a CI smoke run (< 60 s)')
  .option('--out <dir>', 'results directory', 'bench-results')
  .option('--json <file>', 'also write the JSON results to FILE');

/** main - runs the bench; returns the path of the JSON results. */
export async function main(argv: string[]): Promise<string> {
  program.parse(argv);
  const o = program.opts<CliOptions & { out: string; json?: string }>();
  const st = resolveSettings(o);
  const started = new Date();
  const load0 = os.loadavg();
  const gbs = memcpyGBs();
  const failed = new Map<string, string>();
  // An exception thrown by a relay on this thread (the netlayers configurations) must not end
  // the run: it is recorded, and the configuration's run then fails (timeout or verification).
  const crashes: string[] = [];
  process.on('uncaughtException', (e) => {
    if (crashes.length < 10) crashes.push((e.stack ?? String(e)).split('\n').slice(0, 3).join(' / '));
  });
  const env = await Environment.start(st.configs);
  const live = [...env.live.values()];
  const steps = st.schedule.sizes.length * live.length * (1 + 2 * st.schedule.readings) + (st.sweep ? 3 * st.sweepConcurrency.length : 0);
  const tty = process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar({ format: 'relay bench [{bar}] {value}/{total} {step}', hideCursor: true, noTTYOutput: !tty, notTTYSchedule: 10_000, stream: process.stderr }, cliProgress.Presets.shades_classic);
  bar.start(steps, 0, { step: 'starting' });
  const onStep = (what: string): void => bar.increment(1, { step: what });
  let readings: Reading[] = [];
  try {
    readings = await runSchedule(live, st.schedule, onStep, failed);
  } finally {
    await env.close();
  }
  let sweep: Reading[] = [];
  if (st.sweep) {
    sweep = await runSweep(
      { configs: ['kernel', 'netlayers-copy-64k', 'netlayers-zerocopy-64k'].filter((c) => st.configs.includes(c)), concurrency: st.sweepConcurrency, sizeLabel: '100KB', octets: SIZES['100KB'] as number, windowMs: st.sweepWindowMs, readings: 1, rttMs: 10, drainTimeoutMs: st.schedule.drainTimeoutMs },
      onStep,
      failed,
    ).catch((e: Error) => {
      failed.set('sweep', e.message);
      return [];
    });
  }
  bar.stop();

  const sizes = st.schedule.sizes;
  const cs = cells(readings, sizes, gbs);
  const rs = ratios(cs, sizes);
  const shown = st.configs.filter((c) => cs.some((x) => x.config === c));
  const verified = readings.length > 0 && readings.every((r) => r.verified) && failed.size === 0 && crashes.length === 0;
  const lines: string[] = [];
  lines.push(`\nnetlayers relay bench — ${started.toISOString()} — ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, Node ${process.version}`);
  lines.push(`settings: ${st.mode}; warm-up of ${st.schedule.warmupCount} e-mails per configuration and size, excluded; configurations alternate round-robin; median (min–max) of ${st.schedule.readings} reading(s)`);
  if (st.scaledDown.length > 0) lines.push(`scaled down from the thesis: ${st.scaledDown.join('; ')}`);
  lines.push(`memcpy (Buffer.copy 64 MiB): ${gbs.toFixed(1)} GB/s; load average ${load0.map((x) => x.toFixed(1)).join(' ')} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`);
  for (const s of env.skipped) lines.push(`skipped ${s.name}: ${s.reason}`);
  for (const [k, v] of failed) lines.push(`FAILED ${k}: ${v}`);
  for (const c of crashes) lines.push(`uncaught exception in the relay thread: ${c}`);
  lines.push(`integrity: ${verified ? 'verified' : 'NOT verified'} — every e-mail counted and its header block and body hashed (sha1) at the receiver against the sender's (Received: excepted)${verified ? '' : '; see FAILED lines'}`);
  lines.push('\nLatency: ms per e-mail (time to relay N e-mails / N; the thesis: 1000 e-mails)');
  lines.push(latencyTable(cs, sizes.map((s) => s.label), shown));
  lines.push('\nThroughput: e-mails completely relayed in the window');
  lines.push(throughputTable(cs, sizes, shown));
  if (rs.length > 0) {
    lines.push("\nRatios (ours) next to the thesis's in-kernel zero-copy vs user-mode speedups");
    lines.push(ratioTable(rs));
  }
  const gs = goals(cs, rs, gbs);
  lines.push('\nGoals (reported, not asserted; see the README for why a goal is missed)');
  lines.push(goalsTable(gs));
  lines.push('\nCosts in the relay (latency runs; busy = event-loop active time of the relay thread)');
  lines.push(costTable(cs));
  if (shown.some((c) => c.startsWith('tap-'))) lines.push("(tap-*: the TAP device writes each frame from the skb's own memory with writev(2); the kernel's copy out of it, a NIC's DMA in the thesis's setting, is not in bytesCopied)");
  if (sweep.length > 0) {
    lines.push('\nConcurrency sweep: 100KB e-mails relayed per second, emulated 10 ms RTT');
    const confs = [...new Set(sweep.map((r) => r.config))];
    lines.push(table(['sessions', ...confs], st.sweepConcurrency.map((n) => [String(n), ...confs.map((c) => formatSummary(summarize(sweep.filter((r) => r.config === c && r.concurrency === n).map((r) => r.value / (r.windowMs / 1000))), 1))])));
  }
  for (const s of sizes) {
    const v = cs.filter((c) => c.size === s.label).map((c): [string, number] => [c.config, c.mbps.median]);
    if (v.length > 0) lines.push('\n' + bars(`${s.label}: relay MB/s (median)`, v, 'MB/s'));
  }
  const outDir = path.resolve(o.out);
  mkdirSync(outDir, { recursive: true });
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const jsonPath = path.join(outDir, `relay-${stamp}.json`);
  const svgPath = path.join(outDir, `relay-${stamp}.svg`);
  try {
    const svg = await renderSvg(cs, readings, sizes.map((s) => s.label));
    writeFileSync(svgPath, svg);
    const png = await renderPng(svg);
    if ('png' in png) {
      writeFileSync(svgPath.replace(/\.svg$/, '.png'), png.png);
      lines.push(`\nplot: ${svgPath} (and .png)`);
    } else lines.push(`\nplot: ${svgPath} (no PNG: ${png.error})`);
  } catch (e) {
    lines.push(`\nplot failed: ${(e as Error).message}`);
  }
  const result = {
    version: 1,
    date: started.toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, loadAvgStart: load0, loadAvgEnd: os.loadavg() },
    settings: { mode: st.mode, sizes, readings: st.schedule.readings, warmupCount: st.schedule.warmupCount, configs: st.configs, scaledDown: st.scaledDown },
    memcpyGBs: gbs,
    verified,
    skipped: env.skipped,
    failed: Object.fromEntries(failed),
    crashes,
    cells: cs,
    ratios: rs,
    goals: gs,
    readings,
    sweep,
  };
  const json = JSON.stringify(result, null, 1);
  writeFileSync(jsonPath, json);
  lines.push(`results: ${jsonPath}`);
  if (o.json !== undefined) {
    writeFileSync(path.resolve(o.json), json);
    lines.push(`results also in ${path.resolve(o.json)}`);
  }
  const mdPath = path.join(outDir, `relay-${stamp}.md`);
  writeFileSync(mdPath, markdownReport(lines, path.basename(svgPath)));
  lines.push(`report: ${mdPath}`);
  console.log(lines.join('\n'));
  return jsonPath;
}

const isMain = process.argv[1] !== undefined && /cli\.[tj]s$/.test(process.argv[1]);
if (isMain) {
  main(process.argv).then(
    () => process.exit(0),
    (e: Error) => {
      console.error(e.stack ?? e.message);
      process.exit(1);
    },
  );
}
