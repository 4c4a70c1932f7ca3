// Runs one in-thread benchmark case from cases.ts in a fresh thread (fresh JIT
// state): the harness's warm-up and measured rounds of that case, or (`once`)
// one call returning a value. Reports the samples and this thread's live skb
// count at the end (the leak check belongs to the thread that allocated).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const cases = await import(new URL('./cases.ts', import.meta.url).href);
const h = await import(new URL('../../../scripts/bench-harness/index.ts', import.meta.url).href);
const { skbStats } = await import('@netlayers/skbuff');
const { name, args, cfg, once } = workerData;
const fn = cases[name];
if (once) {
  const value = fn(...args);
  parentPort.postMessage({ value, live: skbStats().live });
} else {
  // process.cpuUsage() is the whole process's: the parent thread is idle, awaiting us.
  const samples = await h.sampleRuns({ name, run: () => h.timedSync(() => fn(...args)) }, cfg);
  parentPort.postMessage({ samples, live: skbStats().live });
}
