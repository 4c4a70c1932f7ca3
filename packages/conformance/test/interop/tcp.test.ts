/**
 * Interop 2 and 6: our TCP against the Linux kernel's over TAP, with
 * offloads on (IFF_VNET_HDR: 64 KB TSO/GSO frames, checksum offload) and off
 * (MTU-sized frames, software checksums):
 * - bulk both ways (our client → kernel server, kernel client → our server),
 *   SHA-256 compared, each direction also reading the reply after its own
 *   half-close (FIN) — half-close both ways;
 * - 50 concurrent connections each way;
 * - a pcap per test decoded by tshark.
 * Bulk size: `NETLAYERS_INTEROP_BULK_MB` (default 100).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import type { TcpSocket } from '@netlayers/tcp';
import {
  createTapNetns,
  hashUntilEnd,
  KERNEL_ADDR,
  patternStream,
  PY_TCP_PEER,
  readPcapWithTool,
  sha256OfPattern,
  skipUnlessPeers,
  type TapNetns,
} from '../../src/interop/index.js';

const skip = skipUnlessPeers(['python3', 'tshark']);
const MB = Number(process.env.NETLAYERS_INTEROP_BULK_MB ?? 100);
const BULK = Math.round(MB * 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'nl-interop-tcp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the python peer server in the namespace and waits for "ready". */
async function pyServer(env: TapNetns, args: string[]): Promise<{ done: Promise<string> }> {
  const child = env.spawn('python3', ['-u', '-c', PY_TCP_PEER, 'server', ...args]);
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out.replace(/^ready\n/, '')) : reject(new Error(`python peer exited ${code}: ${err}`))));
  });
  const t0 = performance.now();
  while (!out.startsWith('ready')) {
    if (performance.now() - t0 > 10_000) throw new Error(`python peer not ready: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { done };
}

function connectKernel(env: TapNetns, port: number): Promise<TcpSocket> {
  return new Promise((resolve, reject) => {
    const s = env.host.net.connect({ port, host: KERNEL_ADDR, allowHalfOpen: true } as never);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

const lines = (s: string): string[] => s.trim().split('\n').filter((l) => l !== '');

describe.skipIf(skip)('kernel interop over TAP: TCP', () => {
  for (const offloads of [true, false]) {
    const tag = `offloads ${offloads ? 'on' : 'off'}`;

    it(`bulk ${MB} MB each way, SHA-256 compared, half-close both ways (${tag})`, async () => {
      const live0 = skbStats().live;
      const pcap = join(dir, `bulk-${offloads}.pcap`);
      const env = createTapNetns({ offloads, pcap, pcapSnaplen: 128 }); // headers only: the payload would be 2 × the transfer
      try {
        const want = `${BULK} ${sha256OfPattern(BULK)}`;
        // 1) our client → kernel server: we send, half-close, then read the server's digest line
        const { done: srvDone } = await pyServer(env, ['recv', '5001', '1']);
        const c = await connectKernel(env, 5001);
        const reply = hashReply(c);
        const t0 = performance.now();
        await patternStream(c, BULK);
        const line = await reply;
        const upMs = performance.now() - t0;
        expect(line).toBe(want);
        expect(lines(await srvDone)).toEqual([want]);
        // 2) kernel client → our server: the kernel sends, half-closes; we reply with our digest
        const srv = env.host.net
          .createServer({ allowHalfOpen: true } as never, (s: TcpSocket) => {
            void hashUntilEnd(s).then(({ len, sha }) => s.end(`${len} ${sha}\n`));
          })
          .listen(5002);
        const t1 = performance.now();
        const cl = await env.exec('python3', ['-c', PY_TCP_PEER, 'client', 'send', env.host.address, '5002', '1', String(BULK)], { timeoutMs: 170_000 });
        const downMs = performance.now() - t1;
        expect(lines(cl)).toEqual([want]);
        srv.close();
        console.log(`[interop tcp ${tag}] ${MB} MB up ${(upMs / 1000).toFixed(1)} s (${((BULK * 8) / upMs / 1e6).toFixed(2)} Gbit/s), down ${(downMs / 1000).toFixed(1)} s (${((BULK * 8) / downMs / 1e6).toFixed(2)} Gbit/s); tap ${JSON.stringify(env.host.dev.tapStats)}`);
        if (offloads) expect(env.host.dev.tapStats.txSegments).toBeGreaterThan(env.host.dev.tapStats.txWrites * 4);
      } finally {
        env.destroy();
      }
      expect(skbStats().live).toBe(live0);
      const syn = readPcapWithTool(pcap, 'tcp.flags.syn == 1 && tcp.flags.ack == 0');
      expect(syn.length).toBe(2);
      expect(readPcapWithTool(pcap, 'tcp.flags.fin == 1').length).toBeGreaterThanOrEqual(4);
    }, 180_000);

    it(`50 concurrent connections each way (${tag})`, async () => {
      const live0 = skbStats().live;
      const pcap = join(dir, `conc-${offloads}.pcap`);
      const env = createTapNetns({ offloads, pcap });
      const N = 50;
      const SIZE = 200_000;
      const want = `${SIZE} ${sha256OfPattern(SIZE)}`;
      try {
        // our 50 clients → kernel server
        const { done: srvDone } = await pyServer(env, ['recv', '5003', String(N)]);
        const results = await Promise.all(
          Array.from({ length: N }, async () => {
            const c = await connectKernel(env, 5003);
            const r = hashReply(c);
            await patternStream(c, SIZE);
            return r;
          }),
        );
        expect(results).toEqual(Array(N).fill(want));
        expect(lines(await srvDone)).toEqual(Array(N).fill(want));
        // 50 kernel clients → our server (we send, they hash)
        const srv = env.host.net.createServer((s: TcpSocket) => void patternStream(s, SIZE)).listen(5004);
        const out = await env.exec('python3', ['-c', PY_TCP_PEER, 'client', 'recv', env.host.address, '5004', String(N)], { timeoutMs: 60_000 });
        expect(lines(out)).toEqual(Array(N).fill(want));
        srv.close();
        expect(env.host.tcp.mib.passiveOpens).toBe(N);
        expect(env.host.tcp.mib.activeOpens).toBe(N);
      } finally {
        env.destroy();
      }
      expect(skbStats().live).toBe(live0);
      expect(readPcapWithTool(pcap, 'tcp.flags.syn == 1 && tcp.flags.ack == 0').length).toBe(2 * N);
      // every captured checksum verifies (offload frames are finished in the capture copy);
      // a field of 0xffff is the other ones'-complement zero (RFC 1624 §3): the kernel sent it
      // on a pure ACK in one run, receivers accept it, tshark flags it
      expect(
        readPcapWithTool(pcap, 'ip.checksum.status == 0 || (tcp.checksum.status == 0 && tcp.checksum != 0xffff) || _ws.malformed', { verifyChecksums: true }),
      ).toEqual([]);
      expect(readPcapWithTool(pcap, 'tcp.checksum.status == 1', { verifyChecksums: true }).length).toBeGreaterThan(4 * N);
    }, 120_000);
  }
});

/** Reads the peer's one-line reply until EOF. */
function hashReply(s: TcpSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let txt = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (txt += d));
    s.once('end', () => resolve(txt.trim()));
    s.once('error', reject);
  });
}
