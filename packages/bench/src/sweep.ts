/**
 * Beyond the thesis (its §4.3 and "further work"): throughput of 1, 8 and 64
 * concurrent sessions with an emulated 10 ms RTT — a 5 ms one-way delay on
 * each end of the netlayers link (the device's delay impairment), and the
 * same delay added by the kernel load generator on each of its sockets.
 * @module
 */
import { Environment } from './configs.js';
import { LINKS } from './netlayers/host.js';
import { guarded, measure, rotate, type Reading } from './runner.js';

/** Sweep settings. */
export interface SweepSettings {
  configs: string[];
  concurrency: number[];
  sizeLabel: string;
  octets: number;
  windowMs: number;
  readings: number;
  rttMs: number;
  drainTimeoutMs: number;
}

/** runSweep - the sweep's readings (kind `sweep`, value = e-mails relayed in the window). */
export async function runSweep(s: SweepSettings, onStep: (what: string) => void, failed: Map<string, string>): Promise<Reading[]> {
  const oneWay = s.rttMs / 2;
  const env = await Environment.start(s.configs, { links: { '64k': { ...LINKS['64k'], delayMs: oneWay } }, loadDelayMs: oneWay });
  const out: Reading[] = [];
  try {
    const live = [...env.live.values()];
    for (const sk of env.skipped) failed.set(`sweep:${sk.name}`, sk.reason);
    for (let r = 0; r < s.readings; r++) {
      for (const conc of s.concurrency) {
        for (const c of rotate(live, r)) {
          onStep(`sweep ${c.name} ×${conc} #${r + 1}`);
          const key = `sweep:${c.name}`;
          if (failed.has(key)) continue;
          const m = await guarded({ ...c, name: key }, failed, () => measure(c, { size: s.octets, mode: 'window', count: 0, windowMs: s.windowMs, concurrency: conc, drainTimeoutMs: s.drainTimeoutMs }));
          if (m === undefined) continue;
          out.push({ config: c.name, size: s.sizeLabel, kind: 'sweep', reading: r, concurrency: conc, value: m.result.inWindow, count: m.result.delivered, windowMs: s.windowMs, verified: true, errors: [], relay: m.relay });
        }
      }
    }
  } finally {
    await env.close();
  }
  return out;
}
