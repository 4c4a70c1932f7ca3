/**
 * Regression (issue 13): fragments with MF set and no payload, or a payload under
 * 8 bytes, used to create a reassembly queue that only the 30 s timer freed and
 * that was charged 0 bytes — 300,000 such datagrams
 * (`450000140000200040118ac50a000000c6120002`, id varied) left 300,000 live
 * queues, 0 B accounted, +155 MiB of heap. Now such a fragment discards its
 * queue (Linux `ip_frag_queue`: `end == offset` → `discard_qp`) and every queue
 * is charged IPQ_TRUESIZE, so the accounted memory bounds the queue count.
 */
import { skbStats, type SkBuff } from '@netlayers/skbuff';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPQ_TRUESIZE } from './defrag.js';
import type { Interface, Stack } from './stack.js';
import { TestNet } from './testing/net.js';
import { rawIpv4Fragment } from './testing/raw-fragment.js';
import { runs } from './test-runs.js';
import { ipv4 } from './wire/addr.js';

const N = runs(300_000);
const HIGH = 4 * 1024 * 1024;

let net: TestNet;
let host: Stack;
let iface: Interface;
let live0 = 0;

beforeEach(() => {
  live0 = skbStats().live;
  net = new TestNet();
  host = net.stack();
  const peer = net.stack();
  ({ b: iface } = net.link(peer, { addr: ipv4('198.18.0.1'), prefixLen: 24 }, host, { addr: ipv4('198.18.0.2'), prefixLen: 24 }));
  net.run();
});
afterEach(() => {
  net.destroy();
  expect(skbStats().live).toBe(live0);
});

/** `450000140000200040118ac50a000000c6120002` with id `k & 0xffff`, source 10.0.x.y varied by `k >> 16`, and `payload` bytes. */
function fragment(k: number, payload: number, flagsOffset = 0x2000): SkBuff {
  const f = { src: ipv4('10.0.0.0') + (k >>> 16), dst: ipv4('198.18.0.2'), id: k, offset: (flagsOffset & 0x1fff) * 8, payload, more: (flagsOffset & 0x2000) !== 0 };
  return rawIpv4Fragment(f);
}

describe('fragments without payload (issue 13 regression)', () => {
  it(`${N} empty MF fragments (450000140000200040118ac50a000000c6120002, id varied): 0 live queues, 0 B accounted (was ${N} queues, 0 B)`, () => {
    const fails0 = host.ipMib.ReasmFails;
    for (let k = 0; k < N; k++) host.receiveIp(iface, fragment(k, 0));
    const d = host.defrag;
    console.log(`${N} empty MF fragments: ${d.queueCount} live queues, ${d.mem} B accounted, peak ${d.memPeak} B`);
    expect(d.queueCount).toBe(0);
    expect(d.mem).toBe(0);
    expect(host.ipMib.ReasmFails - fails0).toBe(N);
  });

  it('1..7-byte MF fragments at any offset (rounded down to no payload) leave no queue', () => {
    for (let k = 0; k < 7 * 64; k++) host.receiveIp(iface, fragment(k, 1 + (k % 7), 0x2000 | (k >> 3)));
    expect(host.defrag.queueCount).toBe(0);
    expect(host.defrag.mem).toBe(0);
  });

  it('an empty fragment for a queue in progress discards the whole datagram, like Linux', () => {
    host.receiveIp(iface, fragment(7, 16)); // offset 0, MF, 16 bytes
    expect(host.defrag.queueCount).toBe(1);
    host.receiveIp(iface, fragment(7, 0, 0x2000 | 2));
    expect(host.defrag.queueCount).toBe(0);
    expect(host.defrag.mem).toBe(0);
  });

  it(`${N} one-queue-each 8-byte fragments: accounted memory (IPQ_TRUESIZE ${IPQ_TRUESIZE} B per queue + truesize) stays ≤ 4 MiB`, () => {
    const d = host.defrag;
    let maxQueues = 0;
    for (let k = 0; k < N; k++) {
      host.receiveIp(iface, fragment(k, 8));
      if (d.queueCount > maxQueues) maxQueues = d.queueCount;
      if (d.mem > HIGH) expect.fail(`mem ${d.mem} > ${HIGH} after ${k + 1} fragments`);
    }
    console.log(`${N} 8-byte MF fragments: peak ${d.memPeak} B accounted, at most ${maxQueues} live queues (bound ${Math.floor(HIGH / IPQ_TRUESIZE)})`);
    expect(d.memPeak).toBeLessThanOrEqual(HIGH);
    expect(maxQueues).toBeLessThanOrEqual(Math.floor(HIGH / IPQ_TRUESIZE));
    expect(d.mem).toBeGreaterThanOrEqual(d.queueCount * IPQ_TRUESIZE);
    net.run(30_000, 1000);
    expect(d.queueCount).toBe(0);
    expect(d.mem).toBe(0);
  });
});
