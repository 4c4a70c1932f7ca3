import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { createSharedLink, SharedRingDevice } from './shared-device.js';
import { Softnet } from './napi.js';
import { ETH_P } from './ether.js';
import { NetdevTx } from './netdevice.js';
import { buildTcpFrame, skbFromBytes, skbToBytes, tcpFrameChecksumsOk } from './testing/frames.js';
import { IpSummed, defaultPagePool } from '@netlayers/skbuff';
import { runWorker as runWorkerBounded } from '../test/run-worker.js';

const workerUrl = new URL('../test/pair-worker.mjs', import.meta.url);

type Msg = Record<string, unknown> & { role: string };
function runWorker(data: Record<string, unknown>): Promise<Msg> {
  return runWorkerBounded<Msg>(workerUrl, { workerData: data, execArgv: ['--conditions=@netlayers/source'] }, 60_000);
}

describe('SharedRingDevice (one thread, two ends)', () => {
  it('carries frames as copies, finishes PARTIAL checksums, and frees everything', () => {
    const live0 = skbStats().live;
    const link = createSharedLink({ byteCapacity: 1 << 16 });
    const softnet = new Softnet();
    const a = new SharedRingDevice({ link, end: 'a', softnet });
    const b = new SharedRingDevice({ link, end: 'b', softnet, mac: new Uint8Array([2, 0, 0, 0, 0, 2]) });
    a.open();
    b.open();
    const got: Uint8Array[] = [];
    b.addPacketHandler(ETH_P.IP, (skb) => {
      expect(skb.ipSummed).toBe(IpSummed.NONE);
      skb.push(14);
      got.push(skbToBytes(skb));
      skb.free();
    });
    const frame = buildTcpFrame({ payload: new Uint8Array([1, 2, 3]) });
    const partial = skbFromBytes(frame);
    // Make it CHECKSUM_PARTIAL: the field holds the pseudo-header sum, device finishes it.
    partial.buf[partial.data + 14 + 20 + 16] = 0;
    partial.buf[partial.data + 14 + 20 + 17] = 0;
    partial.ipSummed = IpSummed.PARTIAL;
    partial.csumStart = partial.data + 34;
    partial.csumOffset = 16;
    // pseudo header sum (uncomplemented) for 198.18.0.1 → .2, len 23, proto 6
    const ps = 0xc612 + 0x0001 + 0xc612 + 0x0002 + 6 + 23;
    const folded = (ps & 0xffff) + (ps >>> 16);
    partial.buf[partial.data + 50] = folded >> 8;
    partial.buf[partial.data + 51] = folded & 0xff;
    expect(a.xmit(partial)).toBe(NetdevTx.OK);
    expect(a.xmitBatch([skbFromBytes(frame), skbFromBytes(frame)])).toBe(2);
    b.poll();
    softnet.runUntilIdle();
    expect(got).toHaveLength(3);
    expect(got.every((f) => tcpFrameChecksumsOk(f))).toBe(true);
    expect(got[1]).toEqual(frame);
    expect(a.ringStats().tx.produced).toBe(3);
    a.destroy();
    b.destroy();
    expect(skbStats().live).toBe(live0);
  });

  it('gathers a paged skb (linear head, page frags, frag list) into the ring without a CPU copy', () => {
    const live0 = skbStats().live;
    const link = createSharedLink({ byteCapacity: 1 << 18 });
    const softnet = new Softnet();
    const a = new SharedRingDevice({ link, end: 'a', softnet, mtu: 9500 });
    const b = new SharedRingDevice({ link, end: 'b', softnet, mtu: 9500, mac: new Uint8Array([2, 0, 0, 0, 0, 2]) });
    a.open();
    b.open();
    const got: Uint8Array[] = [];
    let copied0 = 0;
    let copiedInPath = -1;
    b.addPacketHandler(ETH_P.IP, (skb) => {
      copiedInPath = skbStats().bytesCopied - copied0; // device TX, ring, device RX, NAPI (before the test's own copy-out)
      skb.push(14);
      got.push(skbToBytes(skb));
      skb.free();
    });
    const payload = new Uint8Array(9000).map((_, i) => (i * 7 + 3) & 255);
    const frame = buildTcpFrame({ payload });
    // head: Ethernet + IP + TCP headers and 100 payload octets; then two page frags; then a frag-list member
    const headLen = 14 + 20 + 20 + 100;
    const skb = skbFromBytes(frame.subarray(0, headLen));
    const pages = defaultPagePool;
    let at = headLen;
    for (const size of [4000, 3000]) {
      const page = pages.alloc();
      page.bytes.set(frame.subarray(at, at + size), 0);
      skb.addFrag(page, 0, size);
      at += size;
    }
    skb.appendFragList(skbFromBytes(frame.subarray(at)));
    expect(skb.len).toBe(frame.length);
    copied0 = skbStats().bytesCopied;
    expect(a.xmit(skb)).toBe(NetdevTx.OK);
    b.poll();
    softnet.runUntilIdle();
    expect(got).toHaveLength(1);
    expect(Buffer.from(got[0]!).equals(Buffer.from(frame))).toBe(true);
    expect(copiedInPath).toBe(0);
    a.destroy();
    b.destroy();
    expect(skbStats().live).toBe(live0);
  });

  it('answers BUSY and stops the queue when the ring is full; poll() wakes it after the peer drains', () => {
    const live0 = skbStats().live;
    const link = createSharedLink({ byteCapacity: 1 << 13 });
    const sa = new Softnet();
    const sb = new Softnet();
    const a = new SharedRingDevice({ link, end: 'a', softnet: sa, mtu: 1000 });
    const b = new SharedRingDevice({ link, end: 'b', softnet: sb, mtu: 1000 });
    a.open();
    b.open();
    let n = 0;
    b.addPacketHandler(0x0800, (skb) => {
      n++;
      skb.free();
    });
    const frame = new Uint8Array(1000);
    frame[12] = 8;
    let sent = 0;
    let busy = 0;
    for (let i = 0; i < 20; i++) {
      const skb = skbFromBytes(frame);
      if (a.xmit(skb) === NetdevTx.BUSY) {
        busy++;
        skb.free();
      } else sent++;
    }
    expect(sent).toBe(8); // 8 KiB ring, 1004-byte records
    expect(busy).toBe(12);
    expect(a.queueStopped).toBe(true);
    // With the queue stopped, the qdisc holds frames.
    for (let i = 0; i < 5; i++) a.queueXmit(skbFromBytes(frame));
    expect(a.qdisc.qlen).toBe(5);
    b.poll();
    sb.runUntilIdle();
    expect(n).toBe(8);
    a.poll(); // sees room: wakes the queue; NET_TX runs the qdisc
    sa.runUntilIdle();
    expect(a.qdisc.qlen).toBe(0);
    b.poll();
    sb.runUntilIdle();
    expect(n).toBe(13);
    a.destroy();
    b.destroy();
    expect(skbStats().live).toBe(live0);
  });
});

describe('SharedRingDevice across two worker threads', () => {
  for (const [mode, suppress] of [
    ['batch', true],
    ['single', true],
    ['single', false],
    ['queue', true],
  ] as const) {
    it(`${mode} transmit, suppression ${suppress ? 'on' : 'off'}: no loss, duplication or reordering; no leaks`, async () => {
      const count = process.env.NETLAYERS_SLOW ? 500_000 : 30_000;
      const link = createSharedLink({ byteCapacity: 1 << 16, suppressNotifications: suppress });
      const common = { link, count, frameLen: 64 + (mode === 'queue' ? 100 : 0), mode, batch: 32, deadlineMs: 50_000 };
      const [s, r] = await Promise.all([runWorker({ ...common, role: 'sender' }), runWorker({ ...common, role: 'receiver' })]);
      expect(s.sent).toBe(count);
      expect(r.firstBad).toBe('');
      expect(r.got).toBe(count);
      expect(r.bad).toBe(0);
      expect(s.live).toBe(0);
      expect(r.live).toBe(0);
      const ring = (s.ring as { tx: { doorbells: number; suppressed: number; produced: number } }).tx;
      const publishes = count + 1; // + the end marker the sender writes last
      expect(ring.produced).toBe(publishes);
      if (!suppress) {
        expect(ring.doorbells).toBe(publishes); // one per publish (single mode: one publish per frame)
        expect(ring.suppressed).toBe(0);
      } else {
        // Each publish either rang (the receiver had armed its doorbell) or was suppressed.
        // How many rang depends on thread scheduling; the deterministic check of the
        // suppression rule is in shared-ring.test.ts.
        if (mode === 'single' || mode === 'queue') expect(ring.doorbells + ring.suppressed).toBe(publishes);
        else expect(ring.doorbells + ring.suppressed).toBeLessThan(count / 4); // batches: few publishes
      }
    });
  }

  it('impaired cross-thread link: loss and duplication at their rates, seeded', async () => {
    const count = 20_000;
    const link = createSharedLink({ byteCapacity: 1 << 20 });
    const impairment = { seed: 5, loss: 0.1, duplicate: 0.05 };
    const common = { link, count, frameLen: 64, mode: 'single', batch: 1, deadlineMs: 30_000 };
    const [s, r] = await Promise.all([
      runWorker({ ...common, role: 'sender', impairment }),
      runWorker({ ...common, role: 'receiver', impairment: {} }),
    ]);
    const st = s.link as { lost: number; duplicated: number; delivered: number };
    expect((s.stats as { txFifoErrors: number }).txFifoErrors).toBe(0); // backpressure, not drops
    expect(r.got).toBe(st.delivered);
    expect(r.unique).toBe(count - st.lost);
    expect(Math.abs(st.lost - count * 0.1)).toBeLessThan(5 * Math.sqrt(count * 0.09));
    expect(Math.abs(st.duplicated - count * 0.9 * 0.05)).toBeLessThan(5 * Math.sqrt(count * 0.9 * 0.0475));
  });
});
