// Timer service micro-benchmark: virtual timer arm+cancel and arm+fire rates.
import { VirtualClock } from '../src/index.js';

function rate(label: string, n: number, fn: () => void): void {
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(36)} ${((n / ms) * 1000 / 1e6).toFixed(2)} M/s`);
}

const N = 1_000_000;
const c = new VirtualClock();
rate('VirtualClock arm+cancel', N, () => {
  for (let i = 0; i < N; i++) c.setTimeout(() => undefined, i % 1000).cancel();
  c.runAll();
});
rate('VirtualClock arm+fire (random delays)', N, () => {
  let x = 1;
  for (let i = 0; i < N; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    c.setTimeout(() => undefined, x % 10_000);
  }
  c.runAll();
});
