// Runs one in-thread benchmark case from cases.ts in a fresh thread (fresh JIT state).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const cases = await import(new URL('./cases.ts', import.meta.url).href);
const cpu0 = process.cpuUsage(); // whole process: the parent thread is idle, awaiting us
const t0 = performance.now();
const n = cases[workerData.name](...workerData.args);
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
parentPort.postMessage({ rate: n / wallS, cpuRate: n / cpuS, value: n });
