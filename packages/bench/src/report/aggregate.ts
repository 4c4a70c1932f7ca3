/**
 * From readings to the figures of the report: per size and configuration the
 * median with min–max, per-e-mail costs in the relay, and the ratios next to
 * the thesis's speedups.
 * @module
 */
import type { Reading } from '../runner.js';
import { summarize, type Summary } from '../stats.js';
import { thesisSpeedup } from './thesis.js';

/** One configuration at one size. */
export interface Cell {
  config: string;
  size: string;
  latencyMs: Summary;
  msPerMail: Summary;
  relayed: Summary;
  /** Relay throughput (MB/s) in the latency runs, and its fraction of memcpy. */
  mbps: Summary;
  memcpyFraction: number;
  busyMsPerMail: number;
  cpuMsPerMail: number;
  bytesCopiedPerMail: number;
  /** Payload bytes copied per e-mail (headers that GSO/GRO copy into new heads left out). */
  payloadCopiedPerMail: number;
  /** The same by kind of skbuff operation (only kinds that copied). */
  copiesPerMail: Record<string, number>;
}

/** A ratio at one size, next to the thesis's range. */
export interface Ratio {
  size: string;
  name: string;
  latency: number;
  throughput: number;
  thesis: [number, number];
}

/** The headline comparisons: numerator / denominator configuration. */
export const RATIOS: Array<{ name: string; num: string; den: string }> = [
  { name: 'zerocopy-64k / kernel', num: 'netlayers-zerocopy-64k', den: 'kernel' },
  { name: 'zerocopy-1500 / kernel', num: 'netlayers-zerocopy-1500', den: 'kernel' },
  { name: 'zerocopy-64k / copy-64k', num: 'netlayers-zerocopy-64k', den: 'netlayers-copy-64k' },
  { name: 'zerocopy-1500 / copy-1500', num: 'netlayers-zerocopy-1500', den: 'netlayers-copy-1500' },
  { name: 'tap-zerocopy / kernel', num: 'tap-zerocopy', den: 'kernel' },
  { name: 'tap-zerocopy / tap-copy', num: 'tap-zerocopy', den: 'tap-copy' },
];

/** cells - aggregates latency and throughput readings per (size, config). */
export function cells(readings: Reading[], sizes: Array<{ label: string; octets: number }>, memcpyGBs: number): Cell[] {
  const out: Cell[] = [];
  const configs = [...new Set(readings.map((r) => r.config))];
  for (const s of sizes) {
    for (const c of configs) {
      const lat = readings.filter((r) => r.kind === 'latency' && r.size === s.label && r.config === c);
      const thr = readings.filter((r) => r.kind === 'throughput' && r.size === s.label && r.config === c);
      if (lat.length === 0 && thr.length === 0) continue;
      const perMail = lat.map((r) => r.value / r.count);
      const mbps = lat.map((r) => (s.octets * r.count) / (r.value / 1000) / 1e6);
      const mails = lat.reduce((a, r) => a + r.count, 0);
      const sum = (f: (r: Reading) => number): number => lat.reduce((a, r) => a + (r.relay !== undefined ? f(r) : Number.NaN), 0);
      const m = summarize(mbps);
      out.push({
        config: c,
        size: s.label,
        latencyMs: summarize(lat.map((r) => r.value)),
        msPerMail: summarize(perMail),
        relayed: summarize(thr.map((r) => r.value)),
        mbps: m,
        memcpyFraction: m.median / (memcpyGBs * 1000),
        busyMsPerMail: sum((r) => r.relay!.busyMs) / mails,
        cpuMsPerMail: sum((r) => r.relay!.cpuMs) / mails,
        bytesCopiedPerMail: sum((r) => r.relay!.bytesCopied) / mails,
        payloadCopiedPerMail: sum((r) => r.relay!.payloadBytesCopied) / mails,
        copiesPerMail: perKind(lat, mails),
      });
    }
  }
  return out;
}

function perKind(lat: Reading[], mails: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of lat) for (const [k, v] of Object.entries(r.relay?.copies ?? {})) if (v > 0) out[k] = (out[k] ?? 0) + v / mails;
  return out;
}

/** ratios - latency speedup (den time / num time) and throughput ratio (num / den) per size. */
export function ratios(cs: Cell[], sizes: Array<{ label: string }>): Ratio[] {
  const out: Ratio[] = [];
  for (const s of sizes) {
    for (const r of RATIOS) {
      const a = cs.find((c) => c.size === s.label && c.config === r.num);
      const b = cs.find((c) => c.size === s.label && c.config === r.den);
      if (a === undefined || b === undefined) continue;
      out.push({ size: s.label, name: r.name, latency: b.msPerMail.median / a.msPerMail.median, throughput: a.relayed.median / b.relayed.median, thesis: thesisSpeedup(s.label, 'latency') });
    }
  }
  return out;
}
