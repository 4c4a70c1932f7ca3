/**
 * The thesis's published figures (chapter 4, Tables 1 and 2): user-mode and
 * in-kernel zero-copy relays, three readings per size.
 * @module
 */

/** Sizes in the thesis's order, in octets (KB/MB as powers of 1024). */
export const SIZES: Record<string, number> = { '10MB': 10 * 1024 * 1024, '1MB': 1024 * 1024, '500KB': 500 * 1024, '100KB': 100 * 1024, '50KB': 50 * 1024 };

/** Table 1: ms to relay 1000 e-mails, [user, kernel] per reading. */
export const TABLE1: Record<string, Array<[number, number]>> = {
  '10MB': [[72077.9, 38340.59], [73183.09, 37889.59], [73119.3, 37908.07]],
  '1MB': [[6186.87, 4109.82], [6176.32, 4125.46], [6167.83, 4116.7]],
  '500KB': [[3420.99, 2365.1], [3496.69, 2405.15], [3522.32, 2434.62]],
  '100KB': [[1212.63, 869.58], [1176.36, 856.34], [1217.37, 879.34]],
  '50KB': [[908.35, 726.2], [888.62, 728.51], [893.85, 708.98]],
};

/** Table 2: e-mails relayed in the window, [user, kernel] per reading. */
export const TABLE2: Record<string, Array<[number, number]>> = {
  '10MB': [[418, 784], [412, 792], [412, 791]],
  '1MB': [[642, 972], [644, 969], [644, 970]],
  '500KB': [[583, 844], [562, 824], [557, 811]],
  '100KB': [[429, 572], [439, 580], [426, 552]],
  '50KB': [[534, 674], [554, 670], [549, 706]],
};

/** The thesis's throughput windows (ms). */
export const WINDOWS: Record<string, number> = { '10MB': 30_000, '1MB': 4000, '500KB': 2000, '100KB': 500, '50KB': 500 };

/** Speedup range (min, max) of the thesis at `size`, latency (Table 1) or throughput (Table 2). */
export function thesisSpeedup(size: string, table: 'latency' | 'throughput'): [number, number] {
  const rows = table === 'latency' ? (TABLE1[size] ?? []).map(([u, k]) => u / k) : (TABLE2[size] ?? []).map(([u, k]) => k / u);
  return [Math.min(...rows), Math.max(...rows)];
}

/** The thesis's ms per e-mail (mean of three readings), [user, kernel]. */
export function thesisMsPerMail(size: string): [number, number] {
  const r = TABLE1[size] ?? [];
  const mean = (i: 0 | 1): number => r.reduce((a, x) => a + x[i], 0) / r.length / 1000;
  return [mean(0), mean(1)];
}
