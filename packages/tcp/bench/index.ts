/**
 * `npm run bench -w @netlayers/tcp` — on the shared harness
 * (scripts/bench-harness), competitors side by side in alternating rounds:
 *
 *  1. bulk transfer (512 MiB per run; 32 MiB with `--quick`;
 *     NETLAYERS_BENCH_BYTES overrides) of a position-dependent byte pattern
 *     (bench/pattern.ts), every received byte checked on every side: node:net
 *     over the kernel loopback; two of our stacks over LoopbackDevices (MTU
 *     65536, checksum offload); one stack over the IPv4 local path; two stacks
 *     over a 1500-MTU DevicePair with software checksums — Gbit/s, and ratios
 *     to node:net paired round by round;
 *  2. connection setup + teardown per second, the same number of connections
 *     per round for ours and node:net (NETLAYERS_BENCH_CONNS, default 5,000;
 *     1,000 with `--quick`);
 *  3. 10,000 concurrent idle connections in one stack (2,000 with `--quick`),
 *     heap per connection, sampled once per round;
 *  4. goodput vs loss rate and RTT in virtual time, per congestion control,
 *     with and without SACK (bench/goodput-loss.ts: tables, SVG plot).
 *
 * The bulk part also moves the bytes through our node:net-compatible API
 * (`createServer`/`connect` streams, bench/compat-bulk.ts) over the same two
 * loopback stacks, next to node:net.
 *
 * BENCH_ONLY=lo|pair|compat|idle|loss runs only that part; BENCH_DEBUG=1
 * prints the MIBs of each of our bulk runs.
 */
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { skbStats } from '@netlayers/skbuff';
import { BenchReport, benchConfig, compare, pick, timed, verify, type Case, type Sample } from '../../../scripts/bench-harness/index.js';
import { createTestbed, type Testbed, type TestbedOptions } from '../src/testing/index.js';
import { inetAccept, inetBind, inetConnect, inetListen, tcpClose, tcpRecvmsg, tcpSendmsg } from '../src/socket.js';
import { TcpError } from '../src/errors.js';
import { TcpState } from '../src/state.js';
import type { TcpSock } from '../src/sock.js';
import { compatBulk, writePattern } from './compat-bulk.js';
import { goodputLossBench } from './goodput-loss.js';
import { MAX_SLICE, patternAt, patternMatches } from './pattern.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const cfg = benchConfig();
const report = new BenchReport('tcp', cfg);
const TOTAL = Number(process.env['NETLAYERS_BENCH_BYTES'] ?? pick(cfg, 512 << 20, 32 << 20));
const CONNS = Number(process.env['NETLAYERS_BENCH_CONNS'] ?? pick(cfg, 5000, 1000));
const IDLE = Number(process.env['NETLAYERS_BENCH_IDLE'] ?? pick(cfg, 10_000, 2000));
const ONLY = process.env['BENCH_ONLY'];
const CHUNK = MAX_SLICE;
const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Time from `t0`/`c0` to now as a sample of `units`. */
function since(units: number, t0: number, c0: NodeJS.CpuUsage): Sample {
  const c = process.cpuUsage(c0);
  return { units, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

/** Bulk transfer over node:net (kernel loopback): connect excluded, every byte checked. */
function nodeNetBulk(total: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    let t0 = 0;
    let c0 = process.cpuUsage();
    const srv = net.createServer((s) => {
      let got = 0;
      s.on('data', (d: Buffer) => {
        if (!patternMatches(got, d)) {
          s.destroy();
          srv.close();
          reject(new Error(`node:net: wrong bytes at stream offset ${got}`));
          return;
        }
        got += d.length;
        if (got >= total) {
          const sample = since(got, t0, c0);
          s.destroy();
          srv.close();
          resolve(sample);
        }
      });
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      const c = net.connect(port, '127.0.0.1', () => {
        t0 = performance.now();
        c0 = process.cpuUsage();
        writePattern(c, total, CHUNK);
      });
      c.on('error', reject);
    });
  });
}

/** Bulk transfer over our stack with the socket-level API (copy in, copy out); every byte checked. */
async function ourBulk(tb: Testbed, total: number): Promise<Sample> {
  const [a, b] = tb.hosts;
  const l = b.tcp.newSock();
  inetBind(l, 0, 5001);
  inetListen(l, 16);
  const c = a.tcp.newSock();
  inetConnect(c, b.addr, 5001);
  let s: TcpSock | undefined;
  for (let i = 0; i < 10_000 && s === undefined; i++) {
    tb.pump();
    try {
      s = inetAccept(l);
    } catch {
      await immediate();
    }
  }
  verify(s !== undefined && c.state === TcpState.ESTABLISHED, 'bench: connect failed');
  const dst = new Uint8Array(CHUNK);
  let sent = 0;
  let got = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let idle = 0;
  while (got < total) {
    let progress = false;
    while (sent < total) {
      let n = 0;
      try {
        n = tcpSendmsg(c, patternAt(sent, Math.min(CHUNK, total - sent)));
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
      }
      if (n === 0) break;
      sent += n;
      progress = true;
    }
    tb.pump();
    for (;;) {
      let n = 0;
      try {
        n = tcpRecvmsg(s, dst);
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
      }
      if (n === 0) break;
      verify(patternMatches(got, dst.subarray(0, n)), `ours: wrong bytes at stream offset ${got}`);
      got += n;
      progress = true;
    }
    tb.pump();
    if (!progress) {
      if (++idle % 64 === 0) await immediate();
      else verify(idle <= 1_000_000, `bench: stalled at ${got} of ${total} bytes`);
    }
  }
  const sample = since(got, t0, c0);
  if (process.env['BENCH_DEBUG']) {
    const m = a.tcp.mib;
    const r = b.tcp.mib;
    console.log(`  sender: outSegs ${m.outSegs} retrans ${m.retransSegs} timeouts ${m.timeouts} fastRetrans ${m.fastRetrans} dupAcks ${m.dupAcks}; receiver: ofoQueued ${r.ofoQueued} ofoDrop ${r.ofoDrop} outOfWindow ${r.outOfWindow} fast ${r.fastPathData} slow ${r.slowPath}`);
  }
  tcpClose(c);
  tcpClose(s);
  tcpClose(l);
  return sample;
}

/** A case that builds a fresh testbed per run (not timed) and transfers TOTAL bytes with `transfer`. */
function testbedCase(name: string, opts: TestbedOptions, transfer: (tb: Testbed) => Promise<Sample>): Case {
  return {
    name,
    async run() {
      const tb = createTestbed(opts);
      try {
        return await transfer(tb);
      } finally {
        tb.destroy();
      }
    },
  };
}

const ourBulkCase = (name: string, opts: TestbedOptions): Case => testbedCase(name, opts, (tb) => ourBulk(tb, TOTAL));

/** The same transfer through our node:net-compatible streams (`connect`/`createServer`, `write`/`'drain'`, `'data'`). */
const compatBulkCase = (name: string, opts: TestbedOptions): Case =>
  testbedCase(name, opts, async (tb) => {
    const c0 = process.cpuUsage();
    const r = await compatBulk(tb, { bytes: TOTAL, chunk: CHUNK, timeoutMs: 600_000 });
    const c = process.cpuUsage(c0);
    return { units: r.received[0], ms: r.elapsedMs[0], cpuMs: (c.user + c.system) / 1000 };
  });

async function ourConnRate(n: number): Promise<Sample> {
  const tb = createTestbed({ link: 'loopback', clock: 'real', tcp: { timeWaitMs: 60_000 } });
  const [h] = tb.hosts;
  const l = h.tcp.newSock();
  inetBind(l, 0, 6000);
  inetListen(l, 4096);
  let closed = 0;
  const sample = await timed(() => {
    for (let i = 0; i < n; i++) {
      const c = h.tcp.newSock();
      inetConnect(c, h.addr, 6000);
      tb.pump();
      const s = inetAccept(l); // throws EAGAIN if the handshake did not complete
      tcpClose(c);
      tb.pump();
      tcpClose(s);
      tb.pump();
      if (c.state !== TcpState.ESTABLISHED && s.state !== TcpState.ESTABLISHED) closed++;
    }
    return n;
  });
  tb.destroy();
  verify(closed === n, `ours: ${closed} of ${n} connections closed on both ends`);
  return sample;
}

async function nodeConnRate(n: number): Promise<Sample> {
  let accepted = 0;
  const srv = net.createServer((s) => {
    accepted++;
    s.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  const sample = await timed(async () => {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1');
        c.on('error', reject);
        c.on('data', () => undefined);
        c.on('end', () => {
          c.end();
          resolve();
        });
      });
    }
    return n;
  });
  await new Promise<void>((r) => srv.close(() => r()));
  verify(accepted === n, `node:net: ${accepted} of ${n} connections accepted`);
  return sample;
}

async function idleConnections(n: number): Promise<number> {
  const tb = createTestbed({ link: 'loopback', clock: 'real' });
  const [h] = tb.hosts;
  const l = h.tcp.newSock();
  inetBind(l, 0, 7000);
  inetListen(l, 4096);
  const keep: TcpSock[] = [];
  const acceptAll = (): void => {
    for (;;) {
      try {
        keep.push(inetAccept(l));
      } catch {
        break;
      }
    }
  };
  // Let the previous run's timers and immediates finish, so its garbage is collectable now.
  await new Promise((r) => setTimeout(r, 50));
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    const c = h.tcp.newSock();
    inetConnect(c, h.addr, 7000);
    if (i % 256 === 255) {
      tb.pump();
      acceptAll();
    }
    keep.push(c);
  }
  tb.pump();
  acceptAll();
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const established = keep.filter((s) => s.state === TcpState.ESTABLISHED).length;
  tb.destroy();
  verify(established === 2 * n, `only ${established} of ${2 * n} sockets established`);
  return (after - before) / n;
}

const nodeName = 'node:net, kernel loopback';
if (ONLY === undefined || ONLY === 'lo' || ONLY === 'pair' || ONLY === 'compat') {
  const pair: TestbedOptions = { link: 'pair', mtu: 1500, clock: 'real', checksumOffload: false, gro: process.env['BENCH_GRO'] === '1', gso: process.env['BENCH_GSO'] !== '0' };
  const cases: Case[] = [
    { name: nodeName, run: () => nodeNetBulk(TOTAL) },
    ourBulkCase('ours, 2 stacks over LoopbackDevice, 64K MTU, csum offload', { link: 'loopback2', clock: 'real' }),
    ourBulkCase('ours, 1 stack, IPv4 local delivery (lo path)', { link: 'loopback', clock: 'real' }),
    ourBulkCase('ours, DevicePair 1500 MTU, software checksums', pair),
    compatBulkCase('ours, node:net-compatible API, 2 stacks over LoopbackDevice', { link: 'loopback2', clock: 'real' }),
  ];
  const chosen = ONLY === undefined ? cases : ONLY === 'lo' ? [cases[1]!] : ONLY === 'pair' ? [cases[3]!] : [cases[0]!, cases[4]!];
  report.group(
    await compare(`bulk transfer, ${TOTAL / (1 << 20)} MiB per run, every byte checked`, chosen, cfg, {
      unit: 'Gbit/s',
      scale: 8e-9,
      ...(ONLY === undefined || ONLY === 'compat' ? { baseline: nodeName } : {}),
    }),
  );
}
if (ONLY === undefined) {
  report.group(
    await compare(
      `connection setup + teardown, ${CONNS} connections per run on each side`,
      [
        { name: 'ours, one stack, loopback', run: () => ourConnRate(CONNS) },
        { name: nodeName, run: () => nodeConnRate(CONNS) },
      ],
      cfg,
      { unit: 'connections/s', baseline: nodeName },
    ),
  );
}
if (ONLY === undefined || ONLY === 'idle') {
  const perConn: number[] = [];
  for (let r = 0; r < cfg.rounds; r++) perConn.push((await idleConnections(IDLE)) / 1024);
  report.value(`heap per idle connection (both ends), ${IDLE} connections in one stack`, perConn, 'KiB');
}
if (ONLY === undefined || ONLY === 'loss') await goodputLossBench(report, cfg);
report.check('skb pool has no skb live after the bench', skbStats().live === 0, `${skbStats().live} live`);
report.finish();
