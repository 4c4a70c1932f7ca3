// SkbConn's output accounting: skbs handed to sendSkbs may be split or sent
// (and freed) inside the call, so what the connection counts as queued must
// come from the lengths it was given, or a long-lived outbound connection
// (the relay's pooled next-hop sessions) drifts above its high-water mark and
// its writer waits forever (the bench's "1 e-mail in flight" stall).
import { describe, expect, it } from 'vitest';
import { allocSkb, skbStats } from '@netlayers/skbuff';
import { createTestbed } from '@netlayers/tcp/testing';
import { SkbConn } from '../src/zerocopy/skb-conn.js';

describe('SkbConn output accounting', () => {
  for (const mtu of [1500, 65535]) {
    it(`mtu ${mtu}: 4 MiB of 64 KiB skbs through writeSkbs leaves 0 queued and resolves every whenWritable`, async () => {
      const tb = createTestbed({ clock: 'virtual', link: 'pair', mtu });
      const [a, b] = tb.hosts;
      let got = 0;
      const srv = a.createServer((s) => s.on('data', (d: Uint8Array) => (got += d.length))).listen(2600);
      const conn = await new Promise<SkbConn>((resolve, reject) => {
        void SkbConn.connect(b.tcp, a.address, 2600, { zeroCopy: true, highWaterMark: 1 }).then(resolve, reject);
        void tb.runUntil(() => false, { timeoutMs: 1000 }).catch(() => undefined);
      });
      conn.start({ data: () => undefined, end: () => undefined, close: () => undefined });
      const total = 4 << 20;
      const chunk = 64 * 1024;
      let sent = 0;
      let writes = 0;
      const hdr = b.tcp.maxTcpHeader;
      const writer = (async () => {
        while (sent < total) {
          const skb = allocSkb(hdr + chunk, { pool: b.tcp.pool });
          skb.reserve(hdr);
          skb.put(chunk).fill(sent / chunk);
          sent += chunk;
          writes++;
          if (!conn.writeSkbs([skb])) await conn.whenWritable();
        }
        await conn.drained();
      })();
      let done = false;
      void writer.finally(() => (done = true));
      await tb.runUntil(() => done && got === total, { timeoutMs: 120_000 });
      expect(got).toBe(total);
      expect(conn.queuedBytes).toBe(0);
      console.log(`mtu ${mtu}: ${writes} writeSkbs of 64 KiB, ${got} octets received, ${conn.queuedBytes} left queued`);
      conn.close();
      srv.close();
      await tb.runUntil(() => conn.isClosed, { timeoutMs: 10_000 });
      tb.destroy();
      expect(skbStats().live).toBe(0);
    });
  }
});
