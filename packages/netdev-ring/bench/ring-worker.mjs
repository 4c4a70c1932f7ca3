// Raw SharedRing throughput between two threads (benchmark only).
// Producer publishes preallocated frames in batches of `batch`; consumer visits
// them in place (zero copy) in batches. Bounded by `deadlineMs`.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { SharedRing } = await import('@netlayers/netdev-ring');
const { role, buffer, count, batch, frameLen, deadlineMs } = workerData;
const ring = SharedRing.attach(buffer);
await new Promise((resolve) => {
  parentPort.once('message', resolve);
  parentPort.postMessage({ ready: true });
});
const start = performance.now();
const deadline = start + deadlineMs;
let n = 0;
if (role === 'produce') {
  const frames = Array.from({ length: batch }, () => new Uint8Array(frameLen));
  while (n < count && performance.now() < deadline) {
    const k = ring.produceBatch(frames, 0, Math.min(batch, count - n));
    n += k;
    if (k === 0) ring.waitForSpace(frameLen, 5);
  }
} else {
  let sum = 0;
  const visit = (f) => {
    sum += f[0];
  };
  while (n < count && performance.now() < deadline) {
    const k = ring.consumeWith(batch, visit);
    n += k;
    if (k === 0) ring.waitForData(5);
  }
  void sum;
}
parentPort.postMessage({ role, n, ms: performance.now() - start });
