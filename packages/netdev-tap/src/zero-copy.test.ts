/**
 * Receive in the ring's pages: 8 MiB from the kernel to our stack (offloads on:
 * 64 KB GSO super-frames) with `rxZeroCopy` (default), read with `recvSkbs` and
 * hashed in place, copy only protocol headers (`copies.headers`) and the short
 * control frames below `rxCopybreak`; with `rxZeroCopy: false` every frame is
 * copied into an skb and the meter shows it.
 *
 * Transmit without a staging copy: 8 MiB from our stack to the kernel over a
 * TAP device (offloads on, so 64 KB GSO frames) with `txZeroCopy` (default)
 * moves no byte through the device (skbuff's copy meter sees only the
 * sender's user→skb copy) and the kernel receives every byte, SHA-256 equal;
 * with `txZeroCopy: false` the same transfer shows the device's staging copy.
 * Needs root, /dev/net/tun and python3 (the kernel-side receiver); under
 * CI=true a missing prerequisite fails.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { skbStats, type SkBuff } from '@netlayers/skbuff';
import { SocketApi, TcpError } from '@netlayers/tcp';
import { createTapNetns, skipUnlessPeers, waitFor } from './testing/index.js';

const TOTAL = 8 << 20;

async function bulkToKernel(txZeroCopy: boolean): Promise<{ copyBits: number; zc: number; copied: number; ok: boolean }> {
  const live0 = skbStats().live;
  const env = createTapNetns({ offloads: true, txZeroCopy });
  try {
    // the kernel side: count and hash what arrives, print it at EOF
    const py = env.spawn('python3', ['-u', '-c', [
      'import socket, hashlib',
      's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      's.bind(("198.18.0.1", 9000)); s.listen(1); print("ready", flush=True)',
      'c, _ = s.accept(); h = hashlib.sha256(); n = 0',
      'while True:',
      '    d = c.recv(1 << 20)',
      '    if not d: break',
      '    h.update(d); n += len(d)',
      'print(n, h.hexdigest(), flush=True)',
    ].join('\n')]);
    let out = '';
    py.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('ready'), 10_000, 'the kernel-side receiver');
    const data = new Uint8Array(TOTAL);
    for (let i = 0; i < TOTAL; i++) data[i] = (i * 2654435761) >>> 24;
    const want = createHash('sha256').update(data).digest('hex');
    const c0 = skbStats().copies;
    const zc0 = env.host.dev.tapStats.txZeroCopyFrames;
    const cp0 = env.host.dev.tapStats.txCopiedFrames;
    const sock = env.host.net.connect({ port: 9000, host: '198.18.0.1' });
    sock.end(Buffer.from(data.buffer));
    await waitFor(() => /^\d+ [0-9a-f]{64}$/m.test(out), 30_000, 'the kernel to receive everything');
    const c1 = skbStats().copies;
    const [n, hash] = (/^(\d+) ([0-9a-f]{64})$/m.exec(out) ?? []).slice(1);
    return {
      copyBits: c1.copyBits - c0.copyBits,
      zc: env.host.dev.tapStats.txZeroCopyFrames - zc0,
      copied: env.host.dev.tapStats.txCopiedFrames - cp0,
      ok: Number(n) === TOTAL && hash === want,
    };
  } finally {
    env.destroy();
    expect(skbStats().live).toBe(live0);
  }
}

async function bulkFromKernel(rxZeroCopy: boolean): Promise<{ payload: number; headers: number; zc: number; ok: boolean }> {
  const live0 = skbStats().live;
  const env = createTapNetns({ offloads: true, rxZeroCopy });
  try {
    const api = new SocketApi(env.host.tcp);
    const l = api.socket();
    api.bind(l, 0, 9001);
    api.listen(l, 4);
    const accepted = api.acceptAsync(l);
    const data = new Uint8Array(TOTAL);
    for (let i = 0; i < TOTAL; i++) data[i] = ((i * 7) ^ (i >> 9)) & 0xff;
    const want = createHash('sha256').update(data).digest('hex');
    const py = env.spawn('python3', ['-u', '-c', [
      'import socket, sys',
      `d = bytes(((i * 7) ^ (i >> 9)) & 0xff for i in range(${TOTAL}))`,
      `s = socket.create_connection(("${env.host.address}", 9001), timeout=20)`,
      's.sendall(d); s.close(); print("sent", flush=True)',
    ].join('\n')]);
    void py;
    const { fd } = await accepted;
    const s0 = skbStats();
    const zc0 = env.host.dev.tapStats.rxZeroCopyFrames;
    const hash = createHash('sha256');
    let got = 0;
    const deadline = Date.now() + 30_000;
    for (let eof = false; !eof && Date.now() < deadline; ) {
      let skbs: SkBuff[];
      try {
        skbs = api.recvSkbs(fd, 1 << 20);
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
        await new Promise((r) => setImmediate(r));
        continue;
      }
      if (skbs.length === 0) eof = true;
      for (const skb of skbs) {
        skb.forEachChunk(0, skb.len, (b, st, e) => void hash.update(b.subarray(st, e)));
        got += skb.len;
        skb.free();
      }
    }
    const s1 = skbStats();
    api.close(fd);
    api.close(l);
    return {
      payload: s1.payloadBytesCopied - s0.payloadBytesCopied,
      headers: s1.copies.headers - s0.copies.headers,
      zc: env.host.dev.tapStats.rxZeroCopyFrames - zc0,
      ok: got === TOTAL && hash.digest('hex') === want,
    };
  } finally {
    env.destroy();
    expect(skbStats().live).toBe(live0);
  }
}

describe.skipIf(skipUnlessPeers(['python3']))('TapDevice receive', () => {
  it('rxZeroCopy (default): 8 MiB from the kernel in the ring pages, only headers and short frames copied', async () => {
    const r = await bulkFromKernel(true);
    expect(r.ok).toBe(true);
    expect(r.zc).toBeGreaterThan(100);
    expect(r.payload).toBeLessThan(64 * 1024); // short control frames only (≤ rxCopybreak each)
    console.log(`tap rx zero-copy: ${r.zc} frames in their pages, ${r.headers} header bytes and ${r.payload} bytes of short frames copied for ${TOTAL}`);
  });

  it('rxZeroCopy: false copies every frame (the meter sees it)', async () => {
    const r = await bulkFromKernel(false);
    expect(r.ok).toBe(true);
    expect(r.zc).toBe(0);
    expect(r.payload).toBeGreaterThanOrEqual(TOTAL);
  });
});

describe.skipIf(skipUnlessPeers(['python3']))('TapDevice transmit', () => {
  it('txZeroCopy (default): 8 MiB to the kernel, no byte copied by the device, SHA-256 equal', async () => {
    const r = await bulkToKernel(true);
    expect(r.ok).toBe(true);
    expect(r.copyBits).toBe(0); // the device's staging copy would be copyBits
    expect(r.zc).toBeGreaterThan(100); // 64 KB GSO frames, each one writev
    console.log(`tap tx zero-copy: ${r.zc} frames by writev, ${r.copied} copied, ${r.copyBits} bytes copied by the device`);
  });

  it('txZeroCopy: false copies every frame into the staging buffer (the meter sees it)', async () => {
    const r = await bulkToKernel(false);
    expect(r.ok).toBe(true);
    expect(r.zc).toBe(0);
    expect(r.copyBits).toBeGreaterThanOrEqual(TOTAL);
  });
});
