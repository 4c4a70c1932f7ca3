/**
 * `npm run bench -w @netlayers/tcp` — side by side in one run:
 *  1. bulk transfer of 1 GiB (NETLAYERS_BENCH_BYTES overrides) between two TCP
 *     endpoints: node:net over the kernel loopback; two of our stacks over
 *     LoopbackDevices (MTU 65536, checksum offload); one stack over the IPv4
 *     local path; two stacks over a 1500-MTU DevicePair with software
 *     checksums — in Gbit/s and as ratios to node:net;
 *  2. connection setup + teardown per second (ours and node:net);
 *  3. ≥ 10,000 concurrent idle connections in one stack, heap per connection.
 */
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { skbStats } from '@netlayers/skbuff';
import { createTestbed, type Testbed } from '../src/testing/index.js';
import { inetAccept, inetBind, inetConnect, inetListen, tcpClose, tcpRecvmsg, tcpSendmsg } from '../src/socket.js';
import { TcpError } from '../src/errors.js';
import { TcpState } from '../src/state.js';
import type { TcpSock } from '../src/sock.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const TOTAL = Number(process.env.NETLAYERS_BENCH_BYTES ?? 1 << 30);
const CHUNK = 1 << 20;
const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

function gbps(bytes: number, ms: number): number {
  return (bytes * 8) / (ms / 1000) / 1e9;
}

async function nodeNetBulk(total: number): Promise<number> {
  const src = Buffer.alloc(CHUNK, 0x5a);
  return new Promise((resolve, reject) => {
    let t0 = 0;
    const srv = net.createServer((s) => {
      let got = 0;
      s.on('data', (d: Buffer) => {
        got += d.length;
        if (got >= total) {
          const ms = performance.now() - t0;
          s.destroy();
          srv.close();
          resolve(ms);
        }
      });
    });
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      const c = net.connect(port, '127.0.0.1', () => {
        t0 = performance.now();
        let sent = 0;
        const pump = (): void => {
          while (sent < total) {
            sent += src.length;
            if (!c.write(src)) {
              c.once('drain', pump);
              return;
            }
          }
          c.end();
        };
        pump();
      });
      c.on('error', reject);
    });
  });
}

/** Bulk transfer over our stack with the socket-level API (copy in, copy out). */
async function ourBulk(tb: Testbed, total: number): Promise<{ ms: number; segs: number }> {
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
  if (s === undefined || c.state !== TcpState.ESTABLISHED) throw new Error('bench: connect failed');
  const src = new Uint8Array(CHUNK).fill(0x5a);
  const dst = new Uint8Array(1 << 20);
  let sent = 0;
  let got = 0;
  const segs0 = a.tcp.mib.outSegs;
  const t0 = performance.now();
  let idle = 0;
  while (got < total) {
    let progress = false;
    while (sent < total) {
      let n = 0;
      try {
        n = tcpSendmsg(c, sent + CHUNK <= total ? src : src.subarray(0, total - sent));
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
      got += n;
      progress = true;
    }
    tb.pump();
    if (!progress) {
      if (++idle % 64 === 0) await immediate();
      else if (idle > 1_000_000) {
        throw new Error('bench: stalled');
      }
    }
  }
  const ms = performance.now() - t0;
  const segs = a.tcp.mib.outSegs - segs0;
  if (process.env.BENCH_DEBUG) {
    const m = a.tcp.mib;
    const r = b.tcp.mib;
    console.log(`  sender: retrans ${m.retransSegs} timeouts ${m.timeouts} fastRetrans ${m.fastRetrans} dupAcks ${m.dupAcks}; receiver: ofoQueued ${r.ofoQueued} ofoDrop ${r.ofoDrop} ofoPruned ${r.ofoPruned} rcvPruned ${r.rcvPruned} outOfWindow ${r.outOfWindow} prequeued ${r.prequeued} fast ${r.fastPathData} slow ${r.slowPath}`);
    console.log('  dev', JSON.stringify(tb.pair?.a.stats), JSON.stringify(tb.pair?.b.stats), JSON.stringify(tb.pair?.a.qdiscStats()));
  }
  tcpClose(c);
  tcpClose(s);
  tcpClose(l);
  return { ms, segs };
}

async function ourConnRate(n: number): Promise<number> {
  const tb = createTestbed({ link: 'loopback', clock: 'real', tcp: { timeWaitMs: 60_000 } });
  const [h] = tb.hosts;
  const l = h.tcp.newSock();
  inetBind(l, 0, 6000);
  inetListen(l, 4096);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = h.tcp.newSock();
    inetConnect(c, h.addr, 6000);
    tb.pump();
    const s = inetAccept(l);
    tcpClose(c);
    tb.pump();
    tcpClose(s);
    tb.pump();
  }
  const ms = performance.now() - t0;
  tb.destroy();
  return (n / ms) * 1000;
}

async function nodeConnRate(n: number): Promise<number> {
  const srv = net.createServer((s) => s.end());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  const t0 = performance.now();
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
  const ms = performance.now() - t0;
  srv.close();
  return (n / ms) * 1000;
}

async function idleConnections(n: number): Promise<{ perConn: number; perSock: number; sockets: number }> {
  const tb = createTestbed({ link: 'loopback', clock: 'real' });
  const [h] = tb.hosts;
  const l = h.tcp.newSock();
  inetBind(l, 0, 7000);
  inetListen(l, 4096);
  const keep: TcpSock[] = [];
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    const c = h.tcp.newSock();
    inetConnect(c, h.addr, 7000);
    if (i % 256 === 255) tb.pump();
    if (i % 256 === 255) for (;;) {
      try {
        keep.push(inetAccept(l));
      } catch {
        break;
      }
    }
    keep.push(c);
  }
  tb.pump();
  for (;;) {
    try {
      keep.push(inetAccept(l));
    } catch {
      break;
    }
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  const established = keep.filter((s) => s.state === TcpState.ESTABLISHED).length;
  if (established < 2 * n) throw new Error(`only ${established} established sockets`);
  tb.destroy();
  return { perConn: (after - before) / n, perSock: (after - before) / (2 * n), sockets: established };
}

function fmt(x: number, d = 2): string {
  return x.toFixed(d);
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'pair' || process.env.BENCH_ONLY === 'lo') {
    const tb = process.env.BENCH_ONLY === 'pair' ? createTestbed({ link: 'pair', mtu: 1500, clock: 'real', checksumOffload: false, gro: process.env.BENCH_GRO === '1', gso: process.env.BENCH_GSO !== '0' }) : createTestbed({ link: 'loopback2', clock: 'real' });
    const r = await ourBulk(tb, TOTAL);
    tb.destroy();
    console.log(`${process.env.BENCH_ONLY}: ${fmt(gbps(TOTAL, r.ms))} Gbit/s`);
    return;
  }
  if (process.env.BENCH_ONLY === 'idle') {
    const r = await idleConnections(Number(process.env.NETLAYERS_BENCH_CONNS ?? 10_000));
    console.log(`idle: ${r.sockets / 2} connections, ${fmt(r.perConn / 1024)} KiB/connection, ${fmt(r.perSock / 1024)} KiB/socket`);
    return;
  }
  console.log(`# @netlayers/tcp bench — ${TOTAL / (1 << 20)} MiB per bulk run, node ${process.version}`);
  const nodeMs = await nodeNetBulk(TOTAL);
  const nodeG = gbps(TOTAL, nodeMs);
  console.log(`node:net kernel loopback           : ${fmt(nodeG)} Gbit/s`);

  const lo = createTestbed({ link: 'loopback2', clock: 'real' });
  const r1 = await ourBulk(lo, TOTAL);
  lo.destroy();
  const loG = gbps(TOTAL, r1.ms);
  console.log(`ours, 2 stacks over LoopbackDevice, 64K MTU, csum offload: ${fmt(loG)} Gbit/s  (${fmt(loG / nodeG)}x node:net; ${r1.segs} segments)`);
  const lo1 = createTestbed({ link: 'loopback', clock: 'real' });
  const r1b = await ourBulk(lo1, TOTAL);
  lo1.destroy();
  const lo1G = gbps(TOTAL, r1b.ms);
  console.log(`ours, 1 stack, IPv4 local delivery (lo path): ${fmt(lo1G)} Gbit/s  (${fmt(lo1G / nodeG)}x node:net)`);

  const pair = createTestbed({ link: 'pair', mtu: 1500, clock: 'real', checksumOffload: false, gro: process.env.BENCH_GRO === '1', gso: process.env.BENCH_GSO !== '0' });
  const r2 = await ourBulk(pair, TOTAL);
  pair.destroy();
  const pG = gbps(TOTAL, r2.ms);
  console.log(`ours, DevicePair 1500 MTU, sw csum  : ${fmt(pG)} Gbit/s  (${fmt(pG / nodeG)}x node:net; ${r2.segs} TCP sends)`);

  const N = Number(process.env.NETLAYERS_BENCH_CONNS ?? 10_000);
  const ourRate = await ourConnRate(N);
  const nodeRate = await nodeConnRate(Math.min(N, 5000));
  console.log(`connection setup+teardown / s       : ours ${fmt(ourRate, 0)}, node:net ${fmt(nodeRate, 0)} (${fmt(ourRate / nodeRate)}x)`);

  const idle = await idleConnections(N);
  console.log(`idle connections                    : ${idle.sockets / 2} connections (${idle.sockets} sockets) in one stack, heap ${fmt(idle.perConn / 1024)} KiB/connection (${fmt(idle.perSock / 1024)} KiB/socket)`);
  console.log(`skb pool live after bench           : ${skbStats().live}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
