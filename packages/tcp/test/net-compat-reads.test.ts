/**
 * Regression: `data` events of the node:net-compatible socket carry what is
 * readable, not 1-byte reads. The reader used `sk.readable()`, which ignores data
 * still in the prequeue, and read `max(avail, 1)` bytes: 32 of 80 events of a 2 MB
 * transfer were 1 byte.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { createTestbed } from '../src/testing/index.js';
import type { TcpSocket } from '../src/net-compat.js';

describe('net-compat read sizes', () => {
  for (const link of ['pair', 'direct'] as const) {
    it(`2 MB over ${link}: no 1-byte data events, the bytes intact`, async () => {
      const live0 = skbStats().live;
      const tb = createTestbed({ link });
      const [a, b] = tb.hosts;
      const data = Buffer.alloc(2 << 20);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
      const sizes: number[] = [];
      const chunks: Buffer[] = [];
      let ended = false;
      const srv = b
        .createServer((s) => {
          s.on('data', (d: Buffer) => {
            sizes.push(d.length);
            chunks.push(d);
          });
          s.on('end', () => {
            ended = true;
            s.end();
          });
        })
        .listen(9);
      const c: TcpSocket = a.connect(9, b.address);
      c.on('data', () => undefined);
      c.end(data);
      await tb.runUntil(() => ended, { timeoutMs: 120_000 });
      const tiny = sizes.filter((n) => n === 1).length;
      console.log(`${link}: ${sizes.length} data events, ${tiny} of 1 byte, smallest ${Math.min(...sizes)} B, mean ${Math.round(data.length / sizes.length)} B`);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      expect(tiny).toBe(0);
      // every event but the last carries at least one full segment
      expect(sizes.slice(0, -1).every((n) => n >= 1448)).toBe(true);
      srv.close();
      await tb.sleep(130_000);
      tb.destroy();
      expect(skbStats().live).toBe(live0);
    });
  }
});
