/**
 * `npm run bench -w @netlayers/netdev-tap`: bulk TCP throughput between our
 * stack and the Linux kernel over a TAP device, both directions, offloads on
 * and off — next to kernel ↔ kernel over a veth pair and node:net over
 * loopback, in the same run. Reports Gbit/s and frames (wire segments) per
 * syscall / per wake-up. Needs root and the addon; `NETLAYERS_TAP_BENCH_MB` sets the
 * transfer size (default 200 MB per case, 50 MB with `NETLAYERS_BENCH_QUICK=1` or `--quick`).
 */
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import type { TcpSocket } from '@netlayers/tcp';
import { createTapNetns, KERNEL_ADDR, missingPrerequisites, type TapNetns } from '../src/testing/index.js';
import type { TapStats } from '../src/index.js';
import { PY_BULK } from './peers.js';
import { readPaths } from './read-paths.js';
import { BenchReport, benchConfig } from '../../../scripts/bench-harness/index.js';

const QUICK = process.env.NETLAYERS_BENCH_QUICK === '1' || process.argv.includes('--quick');
const MB = Number(process.env.NETLAYERS_TAP_BENCH_MB ?? (QUICK ? 50 : 200));
const SIZE = Math.round(MB * 1e6);
const CHUNK = Buffer.alloc(1 << 16, 0x5a);

interface Row {
  path: string;
  dir: string;
  gbps: number;
  note: string;
}
const rows: Row[] = [];
const gbps = (bytes: number, sec: number): number => (bytes * 8) / sec / 1e9;

function runPy(args: string[], ns: string): { out: Promise<string>; ready: Promise<void> } {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-u', '-c', PY_BULK, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let readyCb: () => void = () => {};
  const ready = new Promise<void>((r) => (readyCb = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready')) readyCb();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(out.replace(/^ready\n/, '').trim()) : reject(new Error(`python: ${err}`)))),
  );
  return { out: done, ready };
}

async function sendAll(s: net.Socket | TcpSocket, total: number): Promise<void> {
  let left = total;
  while (left > 0) {
    const n = Math.min(left, CHUNK.length);
    left -= n;
    if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) await new Promise((r) => s.once('drain', r));
  }
  s.end();
}

function delta(a: TapStats, b: TapStats): TapStats {
  const o = {} as TapStats;
  for (const k of Object.keys(a) as (keyof TapStats)[]) o[k] = b[k] - a[k];
  return o;
}

async function tapCase(offloads: boolean): Promise<void> {
  const env: TapNetns = createTapNetns({ offloads });
  const tag = `TAP, offloads ${offloads ? 'on' : 'off'}`;
  try {
    // writer: our stack → kernel sink
    const sink = runPy(['sink', KERNEL_ADDR, '5201'], env.ns);
    await sink.ready;
    let s0 = { ...env.host.dev.tapStats };
    const t0 = performance.now();
    const c = env.host.net.connect({ port: 5201, host: KERNEL_ADDR });
    await new Promise((r) => c.once('connect', r));
    const ended = new Promise((r) => c.once('end', r));
    c.resume();
    await sendAll(c, SIZE);
    await ended;
    const sec = (performance.now() - t0) / 1000;
    let d = delta(s0, env.host.dev.tapStats);
    rows.push({
      path: tag,
      dir: 'our stack → kernel',
      gbps: gbps(SIZE, sec),
      note: `${(d.txSegments / d.txWrites).toFixed(1)} segments/write(); ${(d.txWrites / Math.max(1, d.txBatches)).toFixed(1)} writes/batch`,
    });
    await sink.out;
    // reader: kernel source → our stack
    let got = 0;
    let tr0 = 0;
    let done: (v: number) => void = () => {};
    const finished = new Promise<number>((r) => (done = r));
    const srv = env.host.net
      .createServer((s: TcpSocket) => {
        tr0 = performance.now();
        s.on('data', (b: Buffer) => (got += b.length));
        s.on('end', () => {
          s.end();
          done(performance.now());
        });
      })
      .listen(5202);
    s0 = { ...env.host.dev.tapStats };
    const src = runPy(['source', env.host.address, '5202', String(SIZE)], env.ns);
    const t1 = await finished;
    await src.out;
    srv.close();
    d = delta(s0, env.host.dev.tapStats);
    if (got !== SIZE) throw new Error(`reader got ${got} of ${SIZE}`);
    rows.push({
      path: tag,
      dir: 'kernel → our stack',
      gbps: gbps(SIZE, (t1 - tr0) / 1000),
      note: `${(d.rxSegments / d.rxReads).toFixed(1)} segments/read(); ${(d.rxReads / Math.max(1, d.rxWakeups)).toFixed(1)} reads/wake-up`,
    });
  } finally {
    env.destroy();
  }
}

async function vethCase(): Promise<void> {
  const a = `nlb-a-${process.pid}`;
  const b = `nlb-b-${process.pid}`;
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'ignore' });
  ip('netns', 'add', a);
  ip('netns', 'add', b);
  try {
    ip('-n', a, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', b);
    ip('-n', a, 'addr', 'add', '198.18.1.1/24', 'dev', 'veth0');
    ip('-n', b, 'addr', 'add', '198.18.1.2/24', 'dev', 'veth1');
    ip('-n', a, 'link', 'set', 'veth0', 'up');
    ip('-n', b, 'link', 'set', 'veth1', 'up');
    const sink = runPy(['sink', '198.18.1.2', '5203'], b);
    await sink.ready;
    const src = await runPy(['source', '198.18.1.2', '5203', String(SIZE)], a).out;
    await sink.out;
    const [, sec] = src.split(' ').map(Number) as [number, number];
    rows.push({ path: 'kernel ↔ kernel, veth pair', dir: 'one way (python3 sendall/recv_into)', gbps: gbps(SIZE, sec), note: 'kernel TCP both ends' });
  } finally {
    ip('netns', 'del', a);
    ip('netns', 'del', b);
  }
}

async function loopbackCase(): Promise<void> {
  let t1 = 0;
  let got = 0;
  const server = net.createServer((s) => {
    s.on('data', (d) => (got += d.length));
    s.on('end', () => {
      t1 = performance.now();
      s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const t0 = performance.now();
  const c = net.connect(port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  const ended = new Promise((r) => c.once('end', r));
  c.resume();
  await sendAll(c, SIZE);
  await ended;
  server.close();
  if (got !== SIZE) throw new Error('loopback short');
  rows.push({ path: 'node:net over loopback', dir: 'one way (same process)', gbps: gbps(SIZE, (t1 - t0) / 1000), note: 'kernel TCP, libuv streams' });
}

async function main(): Promise<void> {
  const missing = missingPrerequisites(['python3']);
  if (missing.length > 0) {
    console.error(`netdev-tap bench needs: ${missing.join(', ')}`);
    process.exit(process.env.CI === 'true' ? 1 : 0);
  }
  console.log(`# netdev-tap bench: ${MB} MB per case (NETLAYERS_TAP_BENCH_MB), bulk TCP, MTU 1500\n`);
  await tapCase(true);
  await tapCase(false);
  await vethCase();
  await loopbackCase();
  console.log('| path | direction | Gbit/s | frames per syscall / notes |');
  console.log('|---|---|---:|---|');
  for (const r of rows) console.log(`| ${r.path} | ${r.dir} | ${r.gbps.toFixed(2)} | ${r.note} |`);
  // the same figures in bench-results/netdev-tap.json (one bulk run per case; every transfer was checked above)
  const report = new BenchReport('netdev-tap', benchConfig());
  for (const r of rows) report.value(`${r.path}, ${r.dir} (${r.note})`, r.gbps, 'Gbit/s');
  report.check('every bulk transfer arrived complete', true, `${rows.length} cases of ${MB} MB`);
  report.finish();
  console.log(`\n## Receive path into JavaScript (kernel floods 1000-byte UDP frames into the TAP)\n`);
  for (const l of await readPaths()) console.log(`- ${l}`);
}

await main();
