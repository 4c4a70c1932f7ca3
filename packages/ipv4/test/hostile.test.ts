/**
 * Hostile peers against IPv4 reassembly (issue 13): fragment floods of every shape
 * — full-size, tiny, empty, overlapping and never-completed — sent at a host in
 * virtual time while a well-behaved peer sends fragmented UDP datagrams to it.
 *
 * For every shape: the reassembly memory (`defrag.mem`, queue overhead +
 * fragment truesize) never passes the configured `highThresh`, the live skbs
 * (heads + data buffers) stay under the bound that follows from it, every
 * well-behaved datagram is delivered intact, and after `ipfrag_time` nothing is
 * left. Figures are printed per shape.
 */
import { SKB_TRUESIZE_OVERHEAD, skbStats, type SkBuff } from '@netlayers/skbuff';
import { afterEach, describe, expect, it } from 'vitest';
import { IPQ_TRUESIZE, ipv4, type Interface, type Stack } from '../src/index.js';
import { TestNet, rawIpv4Fragment } from '../src/testing/index.js';

const HIGH = 256 * 1024;
const LOW = 192 * 1024;
const STEPS = 400;
const FLOOD_PER_STEP = 50;
const GOOD_LEN = 4000; // three fragments at MTU 1500
const PORT = 5001;
/** Smallest truesize a queued fragment can have (head overhead + the 64-byte size class). */
const MIN_FRAG_TRUESIZE = SKB_TRUESIZE_OVERHEAD + 64;

/** A fragment from attacker 10.66.x.y to the victim: `payload` bytes at `offset` (bytes, multiple of 8). */
function fragment(src: number, id: number, offset: number, payload: number, more: boolean): SkBuff {
  return rawIpv4Fragment({ src: ipv4('10.66.0.0') + (src & 0xffff), dst: ipv4('198.18.0.2'), id, offset, payload, more });
}

type Shape = 'full-size' | 'tiny' | 'empty' | 'overlapping' | 'never-completed' | 'mixed';

/** The `n`-th flood fragment of a shape (each call may inject one or more). */
function flood(shape: Shape, n: number, inject: (skb: SkBuff) => void): void {
  const src = n % 4096;
  const id = (n >> 12) & 0xffff;
  switch (shape) {
    case 'full-size': // a first fragment of a datagram that never completes
      inject(fragment(src, id, 0, 1480, true));
      break;
    case 'tiny': // 8 bytes, each its own datagram
      inject(fragment(src, id, 8 * (n % 100), 8, true));
      break;
    case 'empty': // no payload (and 1..7 bytes, rounded down to none)
      inject(fragment(src, id, 8 * (n % 100), n % 8, true));
      break;
    case 'overlapping': // two fragments of one datagram overlapping by 8 bytes
      inject(fragment(src, id, 0, 64, true));
      inject(fragment(src, id, 56, 64, true));
      break;
    case 'never-completed': // four datagrams collecting sparse 8-byte pieces, no last fragment ever
      inject(fragment(1, 0x4000 + (n % 4), 16 * ((n >> 2) % 4000), 8, true));
      break;
    case 'mixed':
      flood((['full-size', 'tiny', 'empty', 'overlapping', 'never-completed'] as const)[n % 5]!, n >> 3, inject);
      break;
  }
}

function payload(seq: number): Uint8Array {
  return Uint8Array.from({ length: GOOD_LEN }, (_, i) => (i * 13 + seq) & 0xff);
}

let net: TestNet | undefined;
afterEach(() => {
  net?.destroy();
  net = undefined;
});

describe('fragment floods against a host with a bounded reassembly memory', () => {
  const shapes: Shape[] = ['full-size', 'tiny', 'empty', 'overlapping', 'never-completed', 'mixed'];
  for (const shape of shapes) {
    it(`${shape} flood (${STEPS * FLOOD_PER_STEP} fragments): memory ≤ highThresh ${HIGH} B, good datagrams all delivered`, () => {
      const live0 = skbStats();
      net = new TestNet();
      const good: Stack = net.stack();
      const victim: Stack = net.stack({ defrag: { highThresh: HIGH, lowThresh: LOW } });
      const { b: vif } = net.link(good, { addr: ipv4('198.18.0.1'), prefixLen: 24 }, victim, { addr: ipv4('198.18.0.2'), prefixLen: 24 });
      const iface: Interface = vif;
      net.run();
      const srv = victim.udp.socket().bind(PORT);
      const cli = good.udp.socket().bind();
      const d = victim.defrag;
      let sent = 0;
      let delivered = 0;
      let maxQueues = 0;
      let maxLive = 0;
      let n = 0;
      for (let step = 0; step < STEPS; step++) {
        for (let k = 0; k < FLOOD_PER_STEP; k++) flood(shape, n++, (skb) => victim.receiveIp(iface, skb));
        maxQueues = Math.max(maxQueues, d.queueCount);
        const s = skbStats();
        maxLive = Math.max(maxLive, s.heads.live + s.data.live - live0.heads.live - live0.data.live);
        expect(cli.sendto(payload(step), ipv4('198.18.0.2'), PORT)).toBe('OK');
        sent++;
        net.run(1);
        for (let dg = srv.recv(); dg !== undefined; dg = srv.recv()) {
          if (!Buffer.from(dg.data).equals(Buffer.from(payload(step)))) expect.fail(`${shape}: datagram ${step} corrupted`);
          delivered++;
        }
        if (d.mem > HIGH) expect.fail(`${shape}: mem ${d.mem} > ${HIGH} at step ${step}`);
      }
      const liveBound = 2 * Math.floor(HIGH / MIN_FRAG_TRUESIZE) + 16; // head + data per queued fragment, + in flight
      console.log(
        `${shape}: ${n} flood fragments, peak accounted ${d.memPeak} B of ${HIGH} B, ` +
          `peak ${maxQueues} queues (bound ${Math.floor(HIGH / IPQ_TRUESIZE)}), peak ${maxLive} live heads+buffers (bound ${liveBound}), ` +
          `ReasmFails ${victim.ipMib.ReasmFails}, ReasmOverlaps ${victim.ipMib.ReasmOverlaps}, good ${delivered}/${sent} delivered`,
      );
      expect(d.memPeak).toBeLessThanOrEqual(HIGH);
      expect(maxQueues).toBeLessThanOrEqual(Math.floor(HIGH / IPQ_TRUESIZE));
      expect(maxLive).toBeLessThanOrEqual(liveBound);
      expect(delivered).toBe(sent);
      net.run(30_000, 1000); // ipfrag_time: whatever the flood left expires
      expect(d.queueCount).toBe(0);
      expect(d.mem).toBe(0);
      net.destroy();
      net = undefined;
      expect(skbStats().live).toBe(live0.live);
    });
  }
});
