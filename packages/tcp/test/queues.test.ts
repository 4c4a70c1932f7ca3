/**
 * The four receive queues of the thesis §2.3.1 are all in use: segments that arrive
 * while a socket call runs go to the backlog (processed by releaseSock), segments
 * for a waiting reader go to the prequeue (processed in the reader's context),
 * out-of-order segments wait in the out-of-order queue, and everything ends in the
 * receive queue in order; the header-prediction fast path carries bulk data.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { createTestbed } from '../src/testing/index.js';

describe('receive queues', () => {
  it('backlog, prequeue, out-of-order and receive queue all carry data; fast path used', async () => {
    const live0 = skbStats().live;
    // loopback: deliveries happen synchronously inside send() → backlog
    const lo = createTestbed({ link: 'loopback' });
    const [h] = lo.hosts;
    let got = 0;
    const srv = h.createServer((s) => s.on('data', (d: Buffer) => (got += d.length)));
    srv.listen(9);
    const c = h.connect(9, h.address);
    c.resume();
    const blob = Buffer.alloc(3_000_000, 1);
    c.end(blob);
    await lo.runUntil(() => got === blob.length, { timeoutMs: 60_000 });
    expect(h.tcp.mib.backlogged).toBeGreaterThan(0);
    expect(h.tcp.mib.prequeued).toBeGreaterThan(0);
    srv.close();
    await lo.runUntil(() => h.tcp.socketCount === 0, { timeoutMs: 200_000 });
    lo.destroy();

    // reordering pair: out-of-order queue
    const tb = createTestbed({ link: 'pair', impairment: { reorder: 0.2, reorderGapMs: 3, delayMs: 1, seed: 5 } });
    const [a, b] = tb.hosts;
    const hash = createHash('sha256');
    let n = 0;
    const srv2 = b.createServer((s) => s.on('data', (d: Buffer) => (hash.update(d), (n += d.length))));
    srv2.listen(10);
    const data = Buffer.alloc(1_000_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const c2 = a.connect(10, b.address);
    c2.resume();
    c2.write(data); // stay ESTABLISHED during the transfer: header prediction applies
    await tb.runUntil(() => n === data.length, { timeoutMs: 120_000 });
    c2.end();
    expect(hash.digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    expect(b.tcp.mib.ofoQueued).toBeGreaterThan(0);
    expect(b.tcp.mib.fastPathData).toBeGreaterThan(0);
    expect(a.tcp.mib.fastPathAcks).toBeGreaterThan(0);
    srv2.close();
    await tb.runUntil(() => a.tcp.socketCount === 0 && b.tcp.socketCount === 0, { timeoutMs: 200_000 });
    tb.destroy();
    expect(skbStats().live).toBe(live0);
  });
});
