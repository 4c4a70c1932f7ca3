/**
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
import { skbStats } from '@netlayers/skbuff';
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
