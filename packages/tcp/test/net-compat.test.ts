import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { createTestbed } from '../src/testing/index.js';
import type { TcpSocket } from '../src/net-compat.js';

for (const link of ['pair', 'loopback', 'direct'] as const) {
  describe(`net-compat over ${link}`, () => {
    it('echo 200 KB both ways, then clean close', async () => {
      const live0 = skbStats().live;
      const tb = createTestbed({ link });
      const [a, b] = tb.hosts;
      const srv = b.createServer((s) => s.pipe(s)).listen(7);
      let connected = false;
      const c: TcpSocket = a.connect(7, b.address, () => {
        connected = true;
      });
      const data = Buffer.alloc(200_000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 0xff;
      const chunks: Buffer[] = [];
      let ended = false;
      let closed = false;
      c.on('data', (d: Buffer) => chunks.push(d));
      c.on('end', () => (ended = true));
      c.on('close', () => (closed = true));
      c.end(data);
      await tb.runUntil(() => closed, { timeoutMs: 120_000 });
      expect(connected).toBe(true);
      expect(ended).toBe(true);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      srv.close();
      await tb.sleep(130_000);
      expect(a.tcp.socketCount + (link === 'loopback' ? 0 : b.tcp.socketCount)).toBe(0);
      tb.destroy();
      expect(skbStats().live).toBe(live0);
    });
  });
}
