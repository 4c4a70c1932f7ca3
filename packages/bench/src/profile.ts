/**
 * Optional CPU profiling of a relay between `begin` and `end`:
 * `BENCH_CPU_PROF=DIR npm start -- …` writes one V8 `.cpuprofile` per measured
 * run of each relay into DIR (open it in Chrome DevTools or speedscope).
 * Off unless the variable is set; the run's figures then include the profiler's overhead.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

/** A profiler bracket: `start()` then `stop(name)`; no-ops when profiling is off. */
export interface RunProfiler {
  start(): void;
  stop(name: string): Promise<void>;
}

/** runProfiler - a profiler writing into `$BENCH_CPU_PROF` (no-op when unset). */
export function runProfiler(dir = process.env.BENCH_CPU_PROF): RunProfiler {
  if (dir === undefined || dir === '') return { start: () => undefined, stop: () => Promise.resolve() };
  const session = new Session();
  session.connect();
  let seq = 0;
  const post = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, (err, res) => (err ? reject(err) : resolve(res))));
  return {
    start(): void {
      void post('Profiler.enable').then(() => post('Profiler.start'));
    },
    async stop(name: string): Promise<void> {
      const res = (await post('Profiler.stop')) as { profile: unknown };
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${name}-${process.pid}-${++seq}.cpuprofile`), JSON.stringify(res.profile));
    },
  };
}
