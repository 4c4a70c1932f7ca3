/**
 * Goodput vs loss rate (smoltcp's `tests/netsim.rs` table is the model): a
 * bulk transfer in virtual time over a DevicePair (1500 MTU, Ethernet + ARP,
 * GSO/GRO) with random loss on every frame in both directions and a fixed
 * one-way delay of RTT/2, for each congestion control the stack offers ×
 * SACK (with timestamps) on/off × loss rate × RTT. Goodput = verified bytes /
 * virtual seconds from the established connection to the last byte read; no
 * link rate limit, so at 0 % loss the window (1 MiB receive buffer) over the
 * RTT bounds it. Each cell is the median of one run per seed (`cfg.rounds`
 * seeds, the same seeds in every cell).
 *
 * Output: one Markdown table per RTT on stdout (rows cc × SACK, columns loss),
 * the samples in the harness report (bench-results/tcp.json, as values), and
 * the plot as SVG in bench-results/tcp-goodput-loss.svg — and, on a full
 * (non-quick) run, docs/bench/tcp-goodput-loss.svg.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR, pick, summarize, type BenchConfig, type BenchReport } from '../../../scripts/bench-harness/index.js';
import { availableCongestionControls } from './cc.js';
import { renderLossSvg, type LossPoint } from './loss-plot.js';
import { simulateBulk, type LossSimResult } from './loss-sim.js';

/** Loss rates of the table, as fractions. */
export const LOSSES = [0, 0.001, 0.01, 0.05, 0.1, 0.2] as const;
/** Round-trip times of the table, ms. */
export const RTTS = [10, 100] as const;

const DOCS_SVG = fileURLToPath(new URL('../../../docs/bench/tcp-goodput-loss.svg', import.meta.url));
const pct = (p: number): string => `${Math.round(p * 1000) / 10} %`;
const mbps = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2));

/** The MSS of the reference row (1500 MTU, timestamps on). */
const MODEL_MSS = 1448;

/**
 * The reference row under each table: the steady-state Reno throughput model
 * of Padhye, Firoiu, Towsley and Kurose (SIGCOMM 1998, with timeouts), in
 * Mbit/s, for b = 2 segments per ACK and a first timeout T0 = RTT + 200 ms
 * (Linux's RTO floor): MSS / (RTT·√(2bp/3) + T0·min(1, 3·√(3bp/8))·p·(1 + 32p²)).
 */
export function pftkMbps(rttMs: number, loss: number): number {
  const b = 2;
  const rtt = rttMs / 1000;
  const t0 = rtt + 0.2;
  const s = rtt * Math.sqrt((2 * b * loss) / 3) + t0 * Math.min(1, 3 * Math.sqrt((3 * b * loss) / 8)) * loss * (1 + 32 * loss * loss);
  return (MODEL_MSS * 8) / s / 1e6;
}

/** What one cell measured. */
interface Cell extends LossPoint {
  samples: number[];
  retransPct: number;
  /** Runs that failed (stalled, connection died, wrong bytes), of `samples.length + failed`. */
  failed: number;
}

/** The Markdown table of one RTT. */
function table(cells: readonly Cell[], rttMs: number): string {
  const rows = cells.filter((c) => c.rttMs === rttMs);
  const keys = [...new Set(rows.map((c) => `${c.cc}|${c.sack}`))];
  const head = `| cc | SACK + TS | ${LOSSES.map(pct).join(' | ')} |`;
  const rule = `|---|---|${LOSSES.map(() => '---:').join('|')}|`;
  const body = keys.map((k) => {
    const [cc, sack] = k.split('|');
    const line = LOSSES.map((l) => {
      const c = rows.find((r) => `${r.cc}|${r.sack}` === k && r.lossPct === l * 100);
      if (c === undefined) return '';
      const fail = c.failed > 0 ? `✗ ${c.failed} of ${c.failed + c.samples.length} runs failed` : '';
      return c.samples.length === 0 ? fail : `${mbps(c.median)} (${c.retransPct.toFixed(0)} %)${fail === '' ? '' : `, ${fail}`}`;
    });
    return `| ${cc} | ${sack === 'true' ? 'on' : 'off'} | ${line.join(' | ')} |`;
  });
  const model = LOSSES.map((l) => (l === 0 ? '—' : mbps(pftkMbps(rttMs, l))));
  return [head, rule, ...body, `| PFTK model (Reno) | MSS ${MODEL_MSS} | ${model.join(' | ')} |`].join('\n');
}

/**
 * Runs the loss matrix, prints the tables, records the samples in `report`
 * and writes the SVG. Bytes per run: 10 MiB (1 MiB with `--quick`;
 * NETLAYERS_BENCH_LOSS_BYTES overrides).
 */
export async function goodputLossBench(report: BenchReport, cfg: BenchConfig): Promise<void> {
  const bytes = Number(process.env['NETLAYERS_BENCH_LOSS_BYTES'] ?? pick(cfg, 10 << 20, 1 << 20));
  const ccs = availableCongestionControls();
  const seeds = Array.from({ length: cfg.rounds }, (_, i) => 1001 + i);
  const cells: Cell[] = [];
  const t0 = performance.now();
  let runs = 0;
  let verified = 0;
  const failures: string[] = [];
  for (const rttMs of RTTS) {
    for (const cc of ccs) {
      for (const sack of [false, true]) {
        for (const loss of LOSSES) {
          const samples: number[] = [];
          let segs = 0;
          let retrans = 0;
          let failed = 0;
          for (const seed of seeds) {
            runs++;
            let r: LossSimResult;
            try {
              r = simulateBulk({ bytes, loss, rttMs, cc, sack, seed });
            } catch (e) {
              failed++;
              failures.push(e instanceof Error ? e.message : String(e));
              continue;
            }
            verified += r.received[0];
            samples.push((r.received[0] * 8) / r.virtualMs[0] / 1000);
            segs += r.senders[0].outSegs;
            retrans += r.senders[0].retransSegs;
          }
          const retransPct = segs === 0 ? 0 : (100 * retrans) / segs;
          if (samples.length === 0) {
            cells.push({ cc, sack, rttMs, lossPct: loss * 100, median: NaN, min: NaN, max: NaN, samples, retransPct, failed });
            continue;
          }
          const s = summarize(samples);
          cells.push({ cc, sack, rttMs, lossPct: loss * 100, median: s.median, min: s.min, max: s.max, samples, retransPct, failed });
          report.values.push({ name: `goodput, ${cc}, SACK ${sack ? 'on' : 'off'}, RTT ${rttMs} ms, loss ${pct(loss)}`, unit: 'Mbit/s', samples, summary: s });
        }
      }
    }
  }
  const wallS = (performance.now() - t0) / 1000;
  const mib = bytes / (1 << 20);
  for (const rttMs of RTTS) {
    console.log(`### goodput vs loss, RTT ${rttMs} ms, ${mib} MiB per run`);
    console.log(`(Mbit/s of verified bytes per virtual second, median of ${seeds.length} seeds; in parentheses the sender's retransmitted share of its segments; last row the Reno steady-state model for comparison)\n`);
    console.log(`${table(cells, rttMs)}\n`);
  }
  for (const f of failures) console.log(`failed run: ${f}`);
  report.check(
    `goodput vs loss: every byte of all ${runs} runs arrived and matched the pattern`,
    failures.length === 0 && verified === runs * bytes,
    `${verified} of ${runs * bytes} bytes; ${runs} runs in ${wallS.toFixed(1)} s of wall time${failures.length === 0 ? '' : `; ${failures.length} failed, first: ${failures[0]}`}`,
  );
  const svg = await renderLossSvg(
    cells.filter((c) => c.samples.length > 0),
    `TCP goodput vs random loss over a DevicePair (${mib} MiB per run, median of ${seeds.length} seeds)`,
  );
  mkdirSync(RESULTS_DIR, { recursive: true });
  const files = [`${RESULTS_DIR.replace(/\/$/, '')}/tcp-goodput-loss.svg`, ...(cfg.quick ? [] : [DOCS_SVG])];
  for (const f of files) writeFileSync(f, svg);
  console.log(`plot written to ${files.join(' and ')}\n`);
}
