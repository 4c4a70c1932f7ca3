// Runs one in-thread benchmark case from cases.ts in a fresh thread (fresh JIT state).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const cases = await import(new URL('./cases.ts', import.meta.url).href);
const rate = cases[workerData.name](...workerData.args);
parentPort.postMessage({ rate });
