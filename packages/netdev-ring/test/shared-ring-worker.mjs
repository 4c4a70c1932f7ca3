// Worker used by the SharedRing cross-thread tests. Plain ESM so it runs under
// vitest and in CI; it loads the TypeScript sources through tsx's loader
// registered here with tsx's ESM API (module.register works inside workers).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();

const { modulePath, role, buffer, count, seed, maxBatch, maxLen, deadlineMs } = workerData;
const { SharedRing } = await import(modulePath);
const ring = SharedRing.attach(buffer);

// splitmix32, same as the test's expectations use.
let s = seed | 0;
function rnd() {
  s = (s + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}
/** Frame i: 4-byte LE sequence number then bytes (i + k) & 0xff; length from the stream. */
export function frameFor(i, len) {
  const f = new Uint8Array(Math.max(4, len));
  new DataView(f.buffer).setUint32(0, i, true);
  for (let k = 4; k < f.length; k++) f[k] = (i + k) & 0xff;
  return f;
}

const deadline = Date.now() + deadlineMs;
if (role === 'produce') {
  let i = 0;
  let waits = 0;
  while (i < count && Date.now() < deadline) {
    const n = Math.min(count - i, 1 + (rnd() % maxBatch));
    const frames = [];
    for (let k = 0; k < n; k++) frames.push(frameFor(i + k, rnd() % maxLen));
    let off = 0;
    while (off < n && Date.now() < deadline) {
      const put = ring.produceBatch(frames, off, n);
      off += put;
      if (off < n) {
        waits++;
        ring.waitForSpace(frames[off].length, 50);
      }
    }
    i += off;
  }
  parentPort.postMessage({ role, done: i, waits });
} else {
  // consume: verify order and content
  let expect = 0;
  let bad = 0;
  let firstBad = '';
  while (expect < count && Date.now() < deadline) {
    const n = ring.consumeWith(1 + (rnd() % maxBatch), (f) => {
      const seq = new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(0, true);
      let ok = seq === expect;
      for (let k = 4; ok && k < f.length; k++) if (f[k] !== ((seq + k) & 0xff)) ok = false;
      if (!ok && bad++ === 0) firstBad = `expected seq ${expect}, got ${seq} (len ${f.length})`;
      expect++;
    });
    if (n === 0) ring.waitForData(50);
  }
  parentPort.postMessage({ role, done: expect, bad, firstBad });
}
