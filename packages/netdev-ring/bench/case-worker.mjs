// Holds one in-thread benchmark case from cases.ts in its own thread, so its
// JIT feedback is its own (fresh per case), while the parent alternates rounds
// across the case workers. Protocol: the worker posts { ready }; then each
// 'run' message runs the case once and posts { sample } (units moved, wall ms,
// CPU ms: process.cpuUsage() is the whole process's, and the parent and the
// other case workers are idle, awaiting); 'value' calls it once and posts
// { value }; 'end' posts { live } (this thread's live skb count: the leak check
// belongs to the thread that allocated) and the worker is terminated.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const cases = await import(new URL('./cases.ts', import.meta.url).href);
const h = await import(new URL('../../../scripts/bench-harness/index.ts', import.meta.url).href);
const { skbStats } = await import('@netlayers/skbuff');
const { name, args } = workerData;
const fn = cases[name];
parentPort.on('message', (cmd) => {
  if (cmd === 'run') parentPort.postMessage({ sample: h.timedSync(() => fn(...args)) });
  else if (cmd === 'value') parentPort.postMessage({ value: fn(...args) });
  else parentPort.postMessage({ live: skbStats().live });
});
parentPort.postMessage({ ready: true });
