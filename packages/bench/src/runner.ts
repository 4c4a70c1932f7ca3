/**
 * The experiment's schedule: per size, a warm-up run of every configuration
 * (excluded), then `readings` rounds in which the configurations alternate
 * (round-robin, the order rotated each round) for the latency run and then
 * for the throughput run; then the concurrency sweep. A configuration whose
 * run fails verification or errors is marked failed (its figures are not
 * reported at that size) and the rest continue.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { LiveConfig } from './configs.js';
import type { RunResult, RunSpec } from './load/run.js';
import type { RelayMeasure } from './relay-host.js';

/** One measured reading. */
export interface Reading {
  config: string;
  size: string;
  kind: 'latency' | 'throughput' | 'sweep';
  reading: number;
  concurrency: number;
  /** latency: ms for `count` e-mails; throughput/sweep: e-mails relayed in the window. */
  value: number;
  count: number;
  windowMs: number;
  verified: boolean;
  errors: string[];
  relay: RelayMeasure | undefined;
  /** latency: arrival times (ms), for the plot (first reading only). */
  arrivalsMs?: number[];
}

/** Settings of a run. */
export interface Schedule {
  sizes: Array<{ label: string; octets: number; count: number; windowMs: number }>;
  readings: number;
  warmupCount: number;
  drainTimeoutMs: number;
}

/** Rotates `xs` left by `k` (round-robin start). */
export function rotate<T>(xs: readonly T[], k: number): T[] {
  if (xs.length === 0) return [];
  const s = k % xs.length;
  return [...xs.slice(s), ...xs.slice(0, s)];
}

/** Runs one measured run of `c` bracketed by the relay's measurement. */
export async function measure(c: LiveConfig, spec: Omit<RunSpec, 'target' | 'expectReceived' | 'runId' | 'delayMs'>): Promise<{ result: RunResult; relay: RelayMeasure | undefined }> {
  await c.relay?.begin();
  const result = await c.load.run({ ...spec, target: c.target, expectReceived: c.expectReceived, delayMs: c.loadDelayMs, runId: randomUUID().slice(0, 8) });
  const relay = await c.relay?.end();
  return { result, relay };
}

/**
 * runSchedule - the latency and throughput readings of every live configuration.
 * @param onStep progress callback (one call per run, warm-ups included)
 */
export async function runSchedule(live: LiveConfig[], sch: Schedule, onStep: (what: string) => void, failed: Map<string, string>): Promise<Reading[]> {
  const out: Reading[] = [];
  for (const size of sch.sizes) {
    // a failure rules out one configuration at one size (keyed "config size")
    const at = (c: LiveConfig): LiveConfig => ({ ...c, name: `${c.name} ${size.label}` });
    const ok = (c: LiveConfig): boolean => !failed.has(at(c).name);
    for (const c of live.filter(ok)) {
      onStep(`warm-up ${c.name} ${size.label}`);
      await guarded(at(c), failed, () => measure(c, { size: size.octets, mode: 'count', count: sch.warmupCount, windowMs: 0, concurrency: 1, drainTimeoutMs: sch.drainTimeoutMs }));
    }
    for (let r = 0; r < sch.readings; r++) {
      for (const kind of ['latency', 'throughput'] as const) {
        for (const c of rotate(live, r)) {
          onStep(`${kind} ${c.name} ${size.label} #${r + 1}`);
          if (!ok(c)) continue;
          const m = await guarded(at(c), failed, () =>
            measure(c, { size: size.octets, mode: kind === 'latency' ? 'count' : 'window', count: size.count, windowMs: size.windowMs, concurrency: 1, drainTimeoutMs: sch.drainTimeoutMs }),
          );
          if (m === undefined) continue;
          out.push({
            config: c.name,
            size: size.label,
            kind,
            reading: r,
            concurrency: 1,
            value: kind === 'latency' ? m.result.elapsedMs : m.result.inWindow,
            count: m.result.delivered,
            windowMs: size.windowMs,
            verified: m.result.verified,
            errors: m.result.errors,
            relay: m.relay,
            ...(kind === 'latency' && r === 0 ? { arrivalsMs: m.result.arrivalsMs } : {}),
          });
        }
      }
    }
  }
  return out;
}

/** Runs `f`; on an error or a failed verification marks `c` failed and returns undefined. */
export async function guarded(
  c: LiveConfig,
  failed: Map<string, string>,
  f: () => Promise<{ result: RunResult; relay: RelayMeasure | undefined }>,
): Promise<{ result: RunResult; relay: RelayMeasure | undefined } | undefined> {
  try {
    const m = await f();
    if (!m.result.verified) {
      failed.set(c.name, `verification failed: ${m.result.errors.slice(0, 3).join('; ') || `${m.result.issued} sent, ${m.result.delivered} received`}`);
      return undefined;
    }
    return m;
  } catch (e) {
    failed.set(c.name, (e as Error).message.split('\n')[0] ?? String(e));
    return undefined;
  }
}
