/** The run's memcpy speed (`Buffer.copy` of 64 MiB, best of 5), the yardstick of relay MB/s. @module */
export function memcpyGBs(): number {
  const n = 64 * 1024 * 1024;
  const a = Buffer.alloc(n, 1);
  const b = Buffer.alloc(n);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    a.copy(b);
    best = Math.min(best, performance.now() - t);
  }
  return n / (best / 1000) / 1e9;
}
