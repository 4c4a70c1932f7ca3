/**
 * The goals, reported (never asserted): each with the figure this run
 * measured, and by how much it was missed where it was.
 * @module
 */
import type { Cell, Ratio } from './aggregate.js';
import { table } from './text.js';

/** One goal's outcome. */
export interface GoalResult {
  goal: string;
  /** The measured value (NaN when this run has no figure for it). */
  measured: number;
  target: number;
  met: boolean;
  /** "met", "missed by N%", or why there is no figure. */
  verdict: string;
}

function judge(goal: string, measured: number, target: number, unit: string, absent: string): GoalResult {
  if (!Number.isFinite(measured)) return { goal, measured, target, met: false, verdict: `no figure (${absent})` };
  const met = measured >= target;
  const by = ((1 - measured / target) * 100).toFixed(0);
  return { goal, measured, target, met, verdict: met ? `met (${fmt(measured, unit)})` : `missed by ${by}% (${fmt(measured, unit)})` };
}

function fmt(v: number, unit: string): string {
  return unit === '×' ? `${v.toFixed(2)}×` : `${(v * 100).toFixed(1)}%`;
}

/** goals - the four goals of the benchmark issue, from this run's cells and ratios. */
export function goals(cs: readonly Cell[], rs: readonly Ratio[], memcpyGBs: number): GoalResult[] {
  const ratio = (size: string, name: string): number => rs.find((r) => r.size === size && r.name === name)?.latency ?? Number.NaN;
  const out: GoalResult[] = [];
  out.push(judge('zerocopy / copy ≥ 1.93× at 10MB (64K link, latency)', ratio('10MB', 'zerocopy-64k / copy-64k'), 1.93, '×', '10MB or a configuration not run'));
  out.push(judge('zerocopy / copy ≥ 1.26× at 50KB (64K link, latency)', ratio('50KB', 'zerocopy-64k / copy-64k'), 1.26, '×', '50KB or a configuration not run'));
  const sizes = [...new Set(cs.map((c) => c.size))];
  const slowest = sizes
    .map((s) => ({ s, r: ratio(s, 'zerocopy-64k / kernel') }))
    .filter((x) => Number.isFinite(x.r))
    .sort((a, b) => a.r - b.r)[0];
  out.push(
    judge(
      `zerocopy faster than kernel at every size (64K link; slowest: ${slowest?.s ?? 'n/a'})`,
      slowest?.r ?? Number.NaN,
      1,
      '×',
      'zerocopy-64k or kernel not run',
    ),
  );
  const z10 = cs.find((c) => c.size === '10MB' && c.config === 'netlayers-zerocopy-64k');
  out.push(judge('relay throughput at 10MB ≥ 25% of memcpy (zerocopy-64k)', z10 !== undefined ? z10.mbps.median / (memcpyGBs * 1000) : Number.NaN, 0.25, '%', '10MB zerocopy-64k not run'));
  return out;
}

/** goalsTable - the goals as a table. */
export function goalsTable(gs: readonly GoalResult[]): string {
  return table(['goal', 'target', 'this run'], gs.map((g) => [g.goal, g.goal.includes('memcpy') ? '25%' : `${g.target}×`, g.verdict]));
}
