/**
 * Benchmarks of @netlayers/netdev-ring, measured side by side in one run:
 *   - Ring<T>: descriptors/s one-by-one vs batched;
 *   - SharedRing between two worker threads: descriptors/s (raw, zero-copy visit);
 *   - DevicePair in one thread: frames/s one-by-one vs batched (skb alloc → xmit → NAPI → handler → free);
 *   - SharedRingDevice pair across two workers: frames/s one-by-one vs batched;
 *   - doorbells per 1,000 frames with and without notification suppression;
 *   - software GSO → GRO of 64 KiB TCP super-skbs: payload bytes/s, bytes copied.
 * Figures only; nothing is asserted. Run: npm run bench -w @netlayers/netdev-ring
 */
import { Worker } from 'node:worker_threads';
import { skbStats } from '@netlayers/skbuff';
import { SharedRing, createSharedLink } from '../src/index.js';

const fmt = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(1));
const rows: [string, string][] = [];
function report(name: string, value: string): void {
  rows.push([name, value]);
  console.log(`${name.padEnd(64)} ${value}`);
}

const FRAME_LEN = 64;
const caseWorker = new URL('./case-worker.mjs', import.meta.url);

/**
 * Runs an in-thread case `reps` times, each in a fresh worker; returns the best
 * rate per wall-clock second and per CPU second (the latter is steadier on a
 * shared machine).
 */
async function inFreshThread(name: string, args: number[], reps = 3): Promise<{ wall: number; cpu: number }> {
  let wall = 0;
  let cpu = 0;
  for (let i = 0; i < reps; i++) {
    const w = new Worker(caseWorker, { workerData: { name, args }, execArgv: ['--conditions=@netlayers/source'] });
    const r = await new Promise<{ rate: number; cpuRate: number }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bench case ${name} timed out`)), 120_000);
      w.once('message', (m: { rate: number; cpuRate: number }) => {
        clearTimeout(t);
        resolve(m);
      });
      w.once('error', reject);
    });
    await w.terminate();
    wall = Math.max(wall, r.rate);
    cpu = Math.max(cpu, r.cpuRate);
  }
  return { wall, cpu };
}
const both = (r: { wall: number; cpu: number }) => `${fmt(r.wall)}  (${fmt(r.cpu)} per CPU-s)`;

// ---------------------------------------------------------------- workers
const pairWorker = new URL('../test/pair-worker.mjs', import.meta.url);
const ringWorker = new URL('./ring-worker.mjs', import.meta.url);
type Msg = Record<string, unknown>;

async function startTogether(url: URL, datas: Record<string, unknown>[]): Promise<{ msgs: Msg[]; wallMs: number; cpuS: number }> {
  const workers = datas.map((d) => new Worker(url, { workerData: d, execArgv: ['--conditions=@netlayers/source'] }));
  const done = workers.map(
    (w) =>
      new Promise<Msg>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('bench worker timed out')), 60_000);
        w.on('message', (m: Msg) => {
          if (m.ready) return;
          clearTimeout(t);
          resolve(m);
        });
        w.once('error', reject);
      }),
  );
  await Promise.all(workers.map((w) => new Promise<void>((r) => w.once('message', () => r()))));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const w of workers) w.postMessage('go');
  const msgs = await Promise.all(done);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(workers.map((w) => w.terminate()));
  return { msgs, wallMs, cpuS: (cpu.user + cpu.system) / 1e6 };
}

async function sharedRingBench(batch: number, count = 5_000_000) {
  const ring = SharedRing.create({ byteCapacity: 1 << 20 });
  const d = { buffer: ring.buffer, count, batch, frameLen: FRAME_LEN, deadlineMs: 30_000 };
  const { msgs, wallMs, cpuS } = await startTogether(ringWorker, [{ ...d, role: 'produce' }, { ...d, role: 'consume' }]);
  const consumed = msgs.find((m) => m.role === 'consume')!.n as number;
  return { rate: consumed / (wallMs / 1000), cpuRate: consumed / cpuS, stats: ring.stats() };
}

async function workerPairBench(mode: 'batch' | 'single', suppress: boolean, count: number) {
  const link = createSharedLink({ byteCapacity: 1 << 20, suppressNotifications: suppress });
  const d = { link, count, frameLen: FRAME_LEN, mode, batch: 64, deadlineMs: 40_000, waitGo: true, verify: false };
  const { msgs, wallMs, cpuS } = await startTogether(pairWorker, [{ ...d, role: 'sender' }, { ...d, role: 'receiver' }]);
  const r = msgs.find((m) => m.role === 'receiver')!;
  const s = msgs.find((m) => m.role === 'sender')!;
  const tx = (s.ring as { tx: { doorbells: number; produced: number; suppressed: number } }).tx;
  return { rate: (r.got as number) / (wallMs / 1000), cpuRate: (r.got as number) / cpuS, got: r.got as number, doorbells: tx.doorbells, produced: tx.produced };
}

/** What an in-thread case returns (not a rate), run once in a fresh worker. */
async function caseValue(name: string, args: number[]): Promise<number> {
  const w = new Worker(caseWorker, { workerData: { name, args }, execArgv: ['--conditions=@netlayers/source'] });
  try {
    return await new Promise<number>((resolve, reject) => {
      w.once('message', (m: { value: number }) => resolve(m.value));
      w.once('error', reject);
    });
  } finally {
    await w.terminate();
  }
}

async function main(): Promise<void> {
  console.log(`@netlayers/netdev-ring benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);
  const r1 = await inFreshThread('ringBench', [1]);
  const r64 = await inFreshThread('ringBench', [64]);
  report('Ring<T> in-thread, one-by-one (descriptors/s)', both(r1));
  report('Ring<T> in-thread, batches of 64 (descriptors/s)', both(r64));
  report('  batched / one-by-one (CPU)', `${(r64.cpu / r1.cpu).toFixed(2)}x`);

  const p1 = await inFreshThread('pairBench', [1, 1_000_000]);
  const p64 = await inFreshThread('pairBench', [64, 4_000_000]);
  report('DevicePair in-thread, xmit one-by-one + softirq each (frames/s)', both(p1));
  report('DevicePair in-thread, xmitBatch(64) + NAPI (frames/s)', both(p64));
  report('  batched / one-by-one (CPU)', `${(p64.cpu / p1.cpu).toFixed(2)}x`);
  const pr = await inFreshThread('pairRecycledBench', [64]);
  report('DevicePair in-thread, xmitBatch(64), skbs recycled (descriptors/s)', both(pr));
  report('  (reference) skb alloc + free alone (per s)', both(await inFreshThread('allocFreeBench', [])));
  report('software GSO 64 KiB → 1448-byte segments → GRO (payload bytes/s)', both(await inFreshThread('gsoGroBench', [])));
  report('  bytes copied per 64 KiB super-skb (headers only)', String(await caseValue('gsoGroCopied', [])));

  const sr64 = await sharedRingBench(64);
  const sr1 = await sharedRingBench(1, 2_000_000);
  const two = (r: { rate: number; cpuRate: number }) => `${fmt(r.rate)}  (${fmt(r.cpuRate)} per CPU-s, both threads)`;
  report('SharedRing across 2 workers, batches of 64 (descriptors/s)', two(sr64));
  report('SharedRing across 2 workers, one-by-one (descriptors/s)', two(sr1));

  const wb = await workerPairBench('batch', true, 2_000_000);
  const ws = await workerPairBench('single', true, 1_000_000);
  report('SharedRingDevice pair across 2 workers, xmitBatch(64) (frames/s)', two(wb));
  report('SharedRingDevice pair across 2 workers, xmit one-by-one (frames/s)', two(ws));
  report('  batched / one-by-one', `${(wb.rate / ws.rate).toFixed(2)}x`);

  const on = await workerPairBench('single', true, 500_000);
  const off = await workerPairBench('single', false, 500_000);
  const onB = await workerPairBench('batch', true, 500_000);
  const offB = await workerPairBench('batch', false, 500_000);
  const per1k = (x: { doorbells: number; produced: number }) => ((x.doorbells / x.produced) * 1000).toFixed(2);
  report('doorbells / 1000 frames, one-by-one, suppression ON', per1k(on));
  report('doorbells / 1000 frames, one-by-one, suppression OFF', per1k(off));
  report('doorbells / 1000 frames, batched(64), suppression ON', per1k(onB));
  report('doorbells / 1000 frames, batched(64), suppression OFF', per1k(offB));
  report('  frames/s one-by-one, suppression ON vs OFF', `${fmt(on.rate)} vs ${fmt(off.rate)}`);
  report('skb live at end (must be 0)', String(skbStats().live));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
