import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { createTestbed } from '../src/testing/index.js';
import type { TcpSocket } from '../src/net-compat.js';

for (const link of ['pair', 'loopback', 'loopback2', 'direct'] as const) {
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

describe('net.Socket surface', () => {
  it('ECONNREFUSED as an error event with code and syscall', async () => {
    const tb = createTestbed({ link: 'direct' });
    const [a, b] = tb.hosts;
    const c = a.connect(4444, b.address);
    let err: NodeJS.ErrnoException | undefined;
    let closed = false;
    c.on('error', (e: NodeJS.ErrnoException) => (err = e));
    c.on('close', () => (closed = true));
    await tb.runUntil(() => closed);
    expect(err?.code).toBe('ECONNREFUSED');
    expect(err?.syscall).toBe('connect');
    tb.destroy();
  });

  it('backpressure: write() returns false when the send buffer is full, then drain; addresses; idle timeout', async () => {
    const tb = createTestbed({ link: 'direct' });
    const [a, b] = tb.hosts;
    let server: TcpSocket | undefined;
    const srv = b.createServer((s) => {
      server = s;
      s.pause(); // do not read: the window closes, the sender's buffer fills
    }).listen(5555);
    const c = a.connect(5555, b.address);
    await tb.runUntil(() => server !== undefined && !c.connecting);
    expect(c.remoteAddress).toBe(b.address);
    expect(c.remotePort).toBe(5555);
    expect(c.address()).toMatchObject({ address: a.address, family: 'IPv4' });
    expect(server!.remotePort).toBe(c.localPort);
    expect(srv.address()).toMatchObject({ port: 5555 });
    const chunk = Buffer.alloc(1 << 20);
    let ok = true;
    for (let i = 0; i < 4; i++) ok = c.write(chunk); // 4 MiB: more than window + send buffer
    expect(ok).toBe(false);
    let drained = false;
    c.once('drain', () => (drained = true));
    await tb.sleep(2000);
    expect(drained).toBe(false);
    server!.resume();
    await tb.runUntil(() => drained, { timeoutMs: 60_000 });
    let timedOut = false;
    server!.setTimeout(5000, () => (timedOut = true));
    await tb.runUntil(() => timedOut, { timeoutMs: 20_000 });
    c.destroy();
    server!.destroy();
    srv.close();
    tb.destroy();
  });
});
