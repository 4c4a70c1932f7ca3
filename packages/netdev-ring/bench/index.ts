/**
 * Benchmarks of @netlayers/netdev-ring on the shared harness (scripts/bench-harness):
 *   - Ring<T>: descriptors/s one-by-one vs batched;
 *   - DevicePair in one thread: frames/s one-by-one vs batched (skb alloc → xmit
 *     → NAPI → handler → free), the device path alone with recycled skbs, and
 *     skb alloc + free alone;
 *   - software GSO → GRO of 64 KiB TCP super-skbs: payload bytes/s, bytes copied;
 *   - SharedRing between two worker threads: descriptors/s (zero-copy visit);
 *   - SharedRingDevice pair across two workers: frames/s one-by-one vs batched,
 *     notification suppression on and off, and doorbells per 1,000 frames.
 *
 * In-thread cases each live in their own worker (one case's JIT feedback cannot
 * slow another down), and rounds alternate across those workers. Cross-worker
 * cases start two fresh workers per round, rounds alternating too.
 * Every case checks what it moved (every descriptor/frame delivered, in
 * order); at the end every worker's live skb count must be 0.
 * `--quick` / `NETLAYERS_BENCH_QUICK=1` shortens every run.
 */
import { Worker } from 'node:worker_threads';
import { BenchReport, benchConfig, compare, groupFromSamples, pick, verify, type Case, type Sample } from '../../../scripts/bench-harness/index.js';
import { SharedRing, createSharedLink } from '../src/index.js';

const cfg = benchConfig();
const report = new BenchReport('netdev-ring', cfg);
/** Scale of every run's work: 1 by default, 1/4 under --quick. */
const k = pick(cfg, 1, 0.25);
const n = (full: number): number => Math.max(64 * 16, Math.round((full * k) / 64) * 64);

const FRAME_LEN = 64;
const caseWorker = new URL('./case-worker.mjs', import.meta.url);
const pairWorker = new URL('../test/pair-worker.mjs', import.meta.url);
const ringWorker = new URL('./ring-worker.mjs', import.meta.url);
const execArgv = ['--conditions=@netlayers/source'];
type Msg = Record<string, unknown>;

/** skb objects still live in the workers when they finished, summed over all of them. */
let workerLive = 0;
let workersChecked = 0;
function countLive(m: Msg): void {
  verify(typeof m['live'] === 'number', 'a bench worker did not report its live skb count');
  workerLive += m['live'] as number;
  workersChecked++;
}

/**
 * An in-thread case held by its own worker (fresh JIT state per case); each
 * `run` is one round in that worker, so `compare` can alternate rounds across
 * the case workers.
 */
class CaseWorker implements Case {
  private constructor(
    readonly name: string,
    private readonly w: Worker,
  ) {}

  static async start(name: string, fn: string, args: number[]): Promise<CaseWorker> {
    const w = new Worker(caseWorker, { workerData: { name: fn, args }, execArgv });
    const cw = new CaseWorker(name, w);
    await cw.ask(undefined);
    return cw;
  }

  private ask(cmd: string | undefined, timeoutMs = 120_000): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bench case ${this.name} timed out`)), timeoutMs);
      const onError = (e: Error): void => {
        clearTimeout(t);
        reject(e);
      };
      this.w.once('message', (m: Msg) => {
        clearTimeout(t);
        this.w.off('error', onError);
        resolve(m);
      });
      this.w.once('error', onError);
      if (cmd !== undefined) this.w.postMessage(cmd);
    });
  }

  async run(): Promise<Sample> {
    return (await this.ask('run'))['sample'] as Sample;
  }

  async value(): Promise<number> {
    return (await this.ask('value'))['value'] as number;
  }

  /** Collect the worker's live skb count and stop it. */
  async end(): Promise<void> {
    countLive(await this.ask('end'));
    await this.w.terminate();
  }
}

/** Rates of in-thread cases in alternating rounds, per wall second and per CPU second, as two groups. */
async function inThreadGroups(title: string, unit: string, scale: number, specs: { name: string; fn: string; args: number[] }[], baseline?: string): Promise<void> {
  const workers: CaseWorker[] = [];
  for (const s of specs) workers.push(await CaseWorker.start(s.name, s.fn, s.args));
  try {
    const opts = { unit, scale, ...(baseline === undefined ? {} : { baseline }), note: 'Each case runs in its own worker thread (fresh JIT state), rounds alternating across them.' };
    const g = report.group(await compare(title, workers, cfg, opts));
    const cpu = g.cases.map((c) => ({ name: c.name, samples: c.cpu!.samples, units: c.units }));
    report.group(groupFromSamples(`${title} (per CPU second)`, cpu, cfg, { ...opts, clock: 'cpu', alternating: true }));
  } finally {
    for (const w of workers) await w.end();
  }
}

/** What an in-thread case returns (not a rate), run once in a fresh worker. */
async function caseValue(fn: string, args: number[]): Promise<number> {
  const w = await CaseWorker.start(fn, fn, args);
  try {
    return await w.value();
  } finally {
    await w.end();
  }
}

/** Start workers together (each reports ready, then all get 'go'); wall and CPU time until all report. */
async function startTogether(url: URL, datas: Msg[]): Promise<{ msgs: Msg[]; ms: number; cpuMs: number }> {
  const workers = datas.map((d) => new Worker(url, { workerData: d, execArgv }));
  try {
    const done = workers.map(
      (w) =>
        new Promise<Msg>((resolve, reject) => {
          const t = setTimeout(() => reject(new Error('bench worker timed out')), 60_000);
          w.on('message', (m: Msg) => {
            if (m['ready']) return;
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
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { msgs, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function sharedRingCase(name: string, batch: number, count: number): Case {
  return {
    name,
    async run() {
      const ring = SharedRing.create({ byteCapacity: 1 << 20 });
      const d = { buffer: ring.buffer, count, batch, frameLen: FRAME_LEN, deadlineMs: 30_000 };
      const { msgs, ms, cpuMs } = await startTogether(ringWorker, [{ ...d, role: 'produce' }, { ...d, role: 'consume' }]);
      const consumed = msgs.find((m) => m['role'] === 'consume')!['n'] as number;
      const produced = msgs.find((m) => m['role'] === 'produce')!['n'] as number;
      verify(produced === count && consumed === count, `SharedRing: produced ${produced}, consumed ${consumed} of ${count}`);
      return { units: consumed, ms, cpuMs };
    },
  };
}

/** Doorbells per 1,000 frames of each round of a device-pair case. */
const doorbells = new Map<string, number[]>();
function workerPairCase(name: string, mode: 'batch' | 'single', suppress: boolean, count: number): Case {
  doorbells.set(name, []);
  return {
    name,
    async run() {
      const link = createSharedLink({ byteCapacity: 1 << 20, suppressNotifications: suppress });
      const d = { link, count, frameLen: FRAME_LEN, mode, batch: 64, deadlineMs: 40_000, waitGo: true, verify: false };
      const { msgs, ms, cpuMs } = await startTogether(pairWorker, [{ ...d, role: 'sender' }, { ...d, role: 'receiver' }]);
      const r = msgs.find((m) => m['role'] === 'receiver')!;
      const s = msgs.find((m) => m['role'] === 'sender')!;
      countLive(r);
      countLive(s);
      // The receiver checks each frame's sequence number: `bad` counts frames out of order.
      verify(s['sent'] === count && r['got'] === count && r['bad'] === 0, `device pair: sent ${String(s['sent'])}, got ${String(r['got'])} of ${count}, ${String(r['bad'])} out of order (${String(r['firstBad'])})`);
      const tx = (s['ring'] as { tx: { doorbells: number; produced: number } }).tx;
      doorbells.get(name)!.push((tx.doorbells / tx.produced) * 1000);
      return { units: r['got'] as number, ms, cpuMs };
    },
  };
}

// ---------------------------------------------------------------- in-thread
await inThreadGroups('Ring<T> in one thread', 'M descriptors/s', 1e-6, [
  { name: 'one-by-one', fn: 'ringBench', args: [1, n(20_000_000)] },
  { name: 'batches of 64', fn: 'ringBench', args: [64, n(20_000_000)] },
], 'one-by-one');
await inThreadGroups('DevicePair in one thread (skb alloc → xmit → NAPI → handler → free)', 'M frames/s', 1e-6, [
  { name: 'xmit one-by-one + softirq each', fn: 'pairBench', args: [1, n(300_000)] },
  { name: 'xmitBatch(64) + NAPI', fn: 'pairBench', args: [64, n(1_000_000)] },
  { name: 'xmitBatch(64), skbs recycled (device path alone)', fn: 'pairRecycledBench', args: [64, n(1_500_000)] },
  { name: '(reference) skb alloc + free alone', fn: 'allocFreeBench', args: [n(2_000_000)] },
], 'xmit one-by-one + softirq each');
await inThreadGroups('software GSO 64 KiB → 1448-byte segments → GRO', 'GB payload/s', 1e-9, [
  { name: 'skbGsoSegment → GroList', fn: 'gsoGroBench', args: [n(500_000_000)] },
]);
report.value('bytes copied per 64 KiB super-skb through GSO → GRO (headers only)', await caseValue('gsoGroCopied', []), 'B');

// ---------------------------------------------------------------- across workers
const two = 'Two fresh workers per round; CPU time is the whole process (both threads).';
const sr = await compare(
  'SharedRing across 2 workers',
  [sharedRingCase('batches of 64', 64, n(1_000_000)), sharedRingCase('one-by-one', 1, n(300_000))],
  cfg,
  { unit: 'M descriptors/s', scale: 1e-6, baseline: 'one-by-one', note: two },
);
report.group(sr);
const pairCases = [
  workerPairCase('xmitBatch(64), suppression on', 'batch', true, n(300_000)),
  workerPairCase('xmit one-by-one, suppression on', 'single', true, n(200_000)),
  workerPairCase('xmitBatch(64), suppression off', 'batch', false, n(300_000)),
  workerPairCase('xmit one-by-one, suppression off', 'single', false, n(200_000)),
];
report.group(await compare('SharedRingDevice pair across 2 workers', pairCases, cfg, { unit: 'M frames/s', scale: 1e-6, baseline: 'xmit one-by-one, suppression on', note: two }));
for (const [name, per1k] of doorbells) report.value(`doorbells per 1000 frames, ${name}`, per1k.slice(-cfg.rounds), '');

report.check('every worker ended with no skb live', workerLive === 0, `${workerLive} live over ${workersChecked} workers`);
report.finish();
