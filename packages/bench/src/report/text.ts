/**
 * The terminal report: latency and throughput tables per size with the
 * thesis's figures beside ours, the ratios, per-e-mail costs in the relay,
 * the sweep, and a Unicode bar chart.
 * @module
 */
import { formatSummary } from '../stats.js';
import type { Cell, Ratio } from './aggregate.js';
import { TABLE2, thesisMsPerMail, thesisSpeedup } from './thesis.js';

/** Renders rows as an aligned Markdown table. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => '| ' + r.map((c, i) => c.padEnd(w[i] as number)).join(' | ') + ' |';
  return [line(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)].join('\n');
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Latency table: ms per e-mail, median (min–max), next to the thesis's. */
export function latencyTable(cs: Cell[], sizes: string[], configs: string[]): string {
  const rows = sizes.map((s) => {
    const [u, k] = thesisMsPerMail(s);
    return [s, ...configs.map((c) => { const x = cs.find((y) => y.size === s && y.config === c); return x ? formatSummary(x.msPerMail, 3) : '—'; }), u.toFixed(2), k.toFixed(2)];
  });
  return table(['size', ...configs, 'thesis user', 'thesis kernel'], rows);
}

/** Throughput table: e-mails completely relayed in the window. */
export function throughputTable(cs: Cell[], sizes: Array<{ label: string; windowMs: number }>, configs: string[]): string {
  const rows = sizes.map((s) => {
    const t = TABLE2[s.label] ?? [];
    return [`${s.label} (${s.windowMs / 1000} s)`, ...configs.map((c) => { const x = cs.find((y) => y.size === s.label && y.config === c); return x ? formatSummary(x.relayed, 0) : '—'; }),
      t.length ? mean(t.map((r) => r[0])).toFixed(0) : '—', t.length ? mean(t.map((r) => r[1])).toFixed(0) : '—'];
  });
  return table(['size (window)', ...configs, 'thesis user', 'thesis kernel'], rows);
}

/** Ratio table next to the thesis's speedups. */
export function ratioTable(rs: Ratio[]): string {
  return table(
    ['size', 'ratio', 'latency speedup', 'throughput ratio', 'thesis latency', 'thesis throughput'],
    rs.map((r) => {
      const [a, b] = r.thesis;
      const [c, d] = thesisSpeedup(r.size, 'throughput');
      return [r.size, r.name, `${r.latency.toFixed(2)}×`, `${r.throughput.toFixed(2)}×`, `${a.toFixed(2)}–${b.toFixed(2)}×`, `${c.toFixed(2)}–${d.toFixed(2)}×`];
    }),
  );
}

/** Per-e-mail costs in the relay. */
export function costTable(cs: Cell[]): string {
  return table(
    ['size', 'config', 'relay MB/s', 'of memcpy', 'relay busy ms/mail', 'relay CPU ms/mail', 'bytesCopied/mail', 'payload copied/mail'],
    cs.filter((c) => c.config !== 'direct').map((c) => [c.size, c.config, formatSummary(c.mbps, 0), `${(c.memcpyFraction * 100).toFixed(1)}%`, c.busyMsPerMail.toFixed(3), Number.isFinite(c.cpuMsPerMail) ? c.cpuMsPerMail.toFixed(3) : 'n/a (shared process)', Number.isFinite(c.bytesCopiedPerMail) ? Math.round(c.bytesCopiedPerMail).toString() : 'n/a', Number.isFinite(c.payloadCopiedPerMail) ? Math.round(c.payloadCopiedPerMail).toString() : 'n/a']),
  );
}

/** A horizontal Unicode bar chart of `values` (label → value). */
export function bars(title: string, values: Array<[string, number]>, unit: string, width = 40): string {
  const max = Math.max(...values.map((v) => v[1]).filter(Number.isFinite), 1e-9);
  const lw = Math.max(...values.map((v) => v[0].length));
  const lines = values.map(([l, v]) => {
    const n = Number.isFinite(v) ? (v / max) * width : 0;
    const full = Math.floor(n);
    const part = ' ▏▎▍▌▋▊▉'[Math.floor((n - full) * 8)] ?? '';
    return `${l.padEnd(lw)} ${'█'.repeat(full)}${part.trim()} ${Number.isFinite(v) ? v.toFixed(1) : '—'} ${unit}`;
  });
  return [title, ...lines].join('\n');
}
