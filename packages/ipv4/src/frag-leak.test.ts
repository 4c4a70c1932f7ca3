/**
 * Regression test for a suspected skb leak in fragmentation + reassembly of
 * large non-GSO datagrams (TCP over the Stack before it marked super-segments
 * for GSO). The unit properties of `ipFragment` → `IpDefrag` call the two
 * functions directly; this file drives whole stacks over real netdev-ring
 * devices so every layer in between runs:
 *
 * ```
 * ipQueueXmit ─▶ ipFragment ─▶ neighbour/qdisc ─▶ DevicePair (NAPI, GRO) or LoopbackDevice (backlog)
 *   ─▶ ipRcv ─▶ IpDefrag (fragList datagram) ─▶ protocol handler (pull/trim/clone/queue/re-send) ─▶ free
 * ```
 *
 * Covered: linear, TCP-transmit-clone (`headerRelease()` on the queued skb, a
 * clone pushing its header into the shared headroom, the original freed before
 * or after delivery), paged and fragList-bearing datagrams; handlers that free,
 * pull + trim, linearize, clone and free out of order, hold until the end, or
 * send the reassembled skb back without copying (`setDataPart`, which
 * fragments a fragList skb again); refragmentation while forwarding; losses
 * (incomplete queues expiring after `ipfrag_time`); ICMP echo and UDP.
 * Every case asserts that heads, data buffers and pages all return to their
 * starting live counts, and that the path really fragmented and reassembled.
 */
import { VirtualClock } from '@netlayers/clock';
import { DevicePair, LoopbackDevice, NETIF_F, Softnet } from '@netlayers/netdev-ring';
import { allocSkb, allocSkbHead, defaultPagePool, skbStats, type SkBuff, type SkbStats } from '@netlayers/skbuff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_HEADER } from './device.js';
import { attachNetDevice, netdevLink } from './netdev.js';
import { ipQueueXmit } from './output.js';
import { Stack } from './stack.js';
import { runs } from './test-runs.js';
import { ipv4 } from './wire/addr.js';
import { EtherType } from './wire/ethernet.js';

const A = ipv4('198.18.0.1');
const B = ipv4('198.18.0.2');
/** An unregistered protocol number both test stacks use for the datagrams under test. */
const PROTO = 253;
/** Room a TCP-like sender reserves: link + IP + a 60-byte transport header. */
const HEADROOM = MAX_HEADER + 60;

type Payload = 'linear' | 'txClone' | 'txCloneFreedEarly' | 'paged' | 'pagedTxClone' | 'fragList';
type Handler = 'free' | 'pullTrim' | 'linearize' | 'cloneOutOfOrder' | 'holdToEnd' | 'echoZeroCopy';
type Link = 'pair' | 'pairGro' | 'pairNoSg' | 'loopback';

function live(): { heads: number; data: number; pages: number } {
  const s: SkbStats = skbStats();
  return { heads: s.heads.live, data: s.data.live, pages: s.pages.live };
}

function delta(from: ReturnType<typeof live>): ReturnType<typeof live> {
  const now = live();
  return { heads: now.heads - from.heads, data: now.data - from.data, pages: now.pages - from.pages };
}

const ZERO = { heads: 0, data: 0, pages: 0 };

function byteAt(i: number, seed: number): number {
  return (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
}

/** Writes a 20-byte pseudo transport header (carries the seed) at a fresh push. */
function pushL4(skb: SkBuff, seed: number): void {
  const o = skb.pushOff(20);
  skb.buf.fill(0, o, o + 20);
  skb.buf[o] = seed & 0xff;
  skb.buf[o + 1] = 0xab;
  skb.resetTransportHeader();
}

/**
 * Builds one datagram of `len` payload bytes (plus a 20-byte L4 header) as the
 * sender would. `keep` is the skb the sender holds on to (TCP's write queue).
 */
function buildDatagram(kind: Payload, len: number, seed: number): { skb: SkBuff; keep: SkBuff | undefined } {
  if (kind === 'linear' || kind === 'txClone' || kind === 'txCloneFreedEarly') {
    const skb = allocSkb(HEADROOM + len);
    skb.reserve(HEADROOM);
    const o = skb.putOff(len);
    for (let i = 0; i < len; i++) skb.buf[o + i] = byteAt(i, seed);
    if (kind === 'linear') {
      pushL4(skb, seed);
      return { skb, keep: undefined };
    }
    // tcp_transmit_skb: the queued skb releases its header area, the clone pushes
    // its headers into the shared headroom.
    skb.headerRelease();
    const c = skb.clone();
    pushL4(c, seed);
    return { skb: c, keep: skb };
  }
  if (kind === 'paged' || kind === 'pagedTxClone') {
    const skb = allocSkb(HEADROOM);
    skb.reserve(HEADROOM);
    for (let off = 0; off < len; off += 4000) {
      const n = Math.min(4000, len - off);
      const page = defaultPagePool.alloc();
      for (let i = 0; i < n; i++) page.bytes[50 + i] = byteAt(off + i, seed);
      skb.addFrag(page, 50, n);
    }
    if (kind === 'paged') {
      pushL4(skb, seed);
      return { skb, keep: undefined };
    }
    skb.headerRelease();
    const c = skb.clone();
    pushL4(c, seed);
    return { skb: c, keep: skb };
  }
  // A head with the payload chained on its fragList (a GRO'd or reassembled skb).
  const skb = allocSkb(HEADROOM);
  skb.reserve(HEADROOM);
  for (let off = 0; off < len; off += 1400) {
    const n = Math.min(1400, len - off);
    const child = allocSkb(n);
    const o = child.putOff(n);
    for (let i = 0; i < n; i++) child.buf[o + i] = byteAt(off + i, seed);
    skb.appendFragList(child);
  }
  pushL4(skb, seed);
  return { skb, keep: undefined };
}

/**
 * Checks the L4 bytes of a delivered datagram (data at the L4 header): datagram
 * `k` of a run carries seed `k + 1` and `sizes[k]` payload bytes.
 */
function payloadOk(skb: SkBuff, sizes: readonly number[]): boolean {
  const got = new Uint8Array(skb.len);
  skb.copyBits(0, got, got.length);
  const seed = got[0]!;
  const len = sizes[seed - 1];
  if (len === undefined || skb.len !== 20 + len || got[1] !== 0xab) return false;
  for (let i = 0; i < len; i++) if (got[20 + i] !== byteAt(i, seed)) return false;
  return true;
}

interface Net {
  clock: VirtualClock;
  s1: Stack;
  s2: Stack;
  run(ms?: number): void;
  destroy(): void;
}

/** Two stacks, 198.18.0.1 and .2, over `link` with a 1500-byte MTU. */
function makeNet(link: Link): Net {
  const clock = new VirtualClock();
  const softnet = new Softnet();
  const s1 = new Stack({ clock, idSeed: 11 });
  const s2 = new Stack({ clock, idSeed: 12 });
  let stopLink: () => void;
  if (link === 'loopback') {
    // Each host transmits through its own lo (MTU 1500); the other host receives.
    const lo1 = new LoopbackDevice({ softnet, name: 'lo1', mtu: 1500 });
    const lo2 = new LoopbackDevice({ softnet, name: 'lo2', mtu: 1500 });
    lo1.open();
    lo2.open();
    const i1 = s1.addInterface({ dev: netdevLink(lo1), addr: A, prefixLen: 24 });
    const i2 = s2.addInterface({ dev: netdevLink(lo2), addr: B, prefixLen: 24 });
    lo1.addPacketHandler(EtherType.IPV4, (skb) => s2.receiveIp(i2, skb));
    lo2.addPacketHandler(EtherType.IPV4, (skb) => s1.receiveIp(i1, skb));
    stopLink = () => {
      lo1.stop();
      lo2.stop();
    };
  } else {
    const features =
      link === 'pairGro' ? NETIF_F.SG | NETIF_F.HW_CSUM | NETIF_F.RXCSUM | NETIF_F.GSO | NETIF_F.GRO : link === 'pairNoSg' ? NETIF_F.RXCSUM : undefined;
    const pair = DevicePair.create({ clock, softnet, mtu: 1500, ...(features !== undefined ? { features } : {}) });
    attachNetDevice(s1, pair.a, { addr: A, prefixLen: 24 });
    attachNetDevice(s2, pair.b, { addr: B, prefixLen: 24 });
    stopLink = () => pair.destroy();
  }
  const run = (ms = 20): void => {
    softnet.runUntilIdle();
    for (let t = 0; t < ms; t++) {
      clock.advance(1);
      softnet.runUntilIdle();
    }
  };
  run();
  return {
    clock,
    s1,
    s2,
    run,
    destroy(): void {
      s1.close();
      s2.close();
      stopLink();
      softnet.runUntilIdle();
    },
  };
}

/**
 * The receiving protocol handler. Returns the skbs it keeps (freed by the test at
 * the end) and, for `echoZeroCopy`, sends the reassembled payload straight back
 * to `s1` without copying (the zero-copy relay pattern of tcp's `sendSkbs`).
 */
function handle(h: Handler, skb: SkBuff, net: Net, held: SkBuff[]): void {
  switch (h) {
    case 'free':
      skb.free();
      return;
    case 'pullTrim':
      // A transport header that lies in the fragList: pskb_may_pull, then pull and trim.
      if (!skb.mayPull(20)) throw new Error('short');
      skb.pull(20);
      skb.trim(Math.max(0, skb.len - 777));
      skb.free();
      return;
    case 'linearize':
      skb.linearize();
      skb.pull(20);
      skb.free();
      return;
    case 'cloneOutOfOrder': {
      // A second reference (a tap, a socket clone) that outlives the original.
      const c = skb.clone();
      skb.free();
      if (!c.mayPull(Math.min(c.len, 3020))) throw new Error('short');
      c.pull(20);
      c.trim(Math.min(c.len, 2000));
      c.free();
      return;
    }
    case 'holdToEnd':
      held.push(skb);
      return;
    case 'echoZeroCopy': {
      if (!skb.mayPull(20)) throw new Error('short');
      const seed = skb.buf[skb.data]!;
      skb.pull(20);
      // sk_stream_alloc_skb_wo_data + skb_set_data_part, then kfree_skb(orig).
      const q = allocSkbHead();
      q.setDataPart(skb);
      skb.free();
      if (q.headroom() < HEADROOM) q.expandHead(HEADROOM - q.headroom(), 0);
      q.headerRelease();
      const c = q.clone();
      if (c.headerCloned()) c.cowHead(HEADROOM);
      pushL4(c, seed);
      expect(ipQueueXmit(net.s2, c, { daddr: A, protocol: PROTO, pmtudisc: 'dont' })).toBe('OK');
      held.push(q); // the "write queue" keeps it until the end
      return;
    }
  }
}

interface CaseResult {
  delivered: number;
  /** Largest `truesize - 4 * len` of a delivered datagram (memory charged beyond the data). */
  maxExcessTruesize: number;
  echoed: number;
  bad: number;
  errors: string[];
}

/** Sends `sizes.length` datagrams of `kind` from s1 to s2 over `link`; `h` handles them. */
function runCase(link: Link, kind: Payload, h: Handler, sizes: readonly number[]): CaseResult {
  const net = makeNet(link);
  const held: SkBuff[] = [];
  const r: CaseResult = { delivered: 0, maxExcessTruesize: -Infinity, echoed: 0, bad: 0, errors: [] };
  net.s2.registerProtocol(PROTO, {
    handler: (skb) => {
      r.delivered++;
      r.maxExcessTruesize = Math.max(r.maxExcessTruesize, skb.truesize - 4 * skb.len);
      try {
        if (!payloadOk(skb, sizes)) r.bad++;
        handle(h, skb, net, held);
      } catch (e) {
        r.errors.push(String(e));
      }
    },
  });
  net.s1.registerProtocol(PROTO, {
    handler: (skb) => {
      r.echoed++;
      if (!payloadOk(skb, sizes)) r.bad++;
      skb.free();
    },
  });
  for (let i = 0; i < sizes.length; i++) {
    const { skb, keep } = buildDatagram(kind, sizes[i]!, i + 1);
    expect(ipQueueXmit(net.s1, skb, { daddr: B, protocol: PROTO, pmtudisc: 'dont' })).toBe('OK');
    const early = kind === 'txCloneFreedEarly';
    if (early) keep?.free(); // ACKed while its fragments are still in flight
    net.run();
    if (!early) keep?.free();
  }
  net.run(50);
  expect(net.s1.ipMib.FragCreates).toBeGreaterThan(sizes.length);
  expect(net.s2.ipMib.ReasmOKs).toBe(sizes.length);
  expect(net.s2.defrag.queueCount).toBe(0);
  if (h === 'echoZeroCopy') expect(net.s1.ipMib.ReasmOKs).toBe(sizes.length);
  for (const s of held) s.free();
  net.destroy();
  return r;
}

const LINKS: Link[] = ['pair', 'pairGro', 'pairNoSg', 'loopback'];
const PAYLOADS: Payload[] = ['linear', 'txClone', 'txCloneFreedEarly', 'paged', 'pagedTxClone', 'fragList'];
const HANDLERS: Handler[] = ['free', 'pullTrim', 'linearize', 'cloneOutOfOrder', 'holdToEnd', 'echoZeroCopy'];

describe('fragmentation + reassembly through real devices frees every skb', () => {
  for (const link of LINKS) {
    for (const kind of PAYLOADS) {
      it(`${link}: ${kind} datagrams, every handler pattern`, () => {
        for (const h of HANDLERS) {
          const live0 = live();
          const sizes = [20_000, 9_001, 65_000, 1_481, 33_333];
          const r = runCase(link, kind, h, sizes);
          expect({ h, errors: r.errors, bad: r.bad, delivered: r.delivered }).toEqual({ h, errors: [], bad: 0, delivered: sizes.length });
          if (h === 'echoZeroCopy') expect(r.echoed).toBe(sizes.length);
          // Narrow clones are charged for their own bytes, not the whole original's
          // (a 65 000-byte datagram used to be charged ≈3 MB).
          expect(r.maxExcessTruesize).toBeLessThan(16 * 1024);
          expect({ h, ...delta(live0) }).toEqual({ h, ...ZERO });
        }
      });
    }
  }

  it('random sizes, links, payload kinds and handlers (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LINKS),
        fc.constantFrom(...PAYLOADS),
        fc.constantFrom(...HANDLERS),
        fc.array(fc.integer({ min: 1_461, max: 65_000 }), { minLength: 1, maxLength: 4 }),
        (link, kind, h, sizes) => {
          const live0 = live();
          const r = runCase(link, kind, h, sizes);
          expect(r.errors).toEqual([]);
          expect(r.bad).toBe(0);
          expect(r.delivered).toBe(sizes.length);
          expect(delta(live0)).toEqual(ZERO);
        },
      ),
      { numRuns: runs(40) },
    );
  });

  it('fragments of a lost datagram pin the sender\'s buffer only until ipfrag_time expires', () => {
    const live0 = live();
    const clock = new VirtualClock();
    const softnet = new Softnet();
    const s1 = new Stack({ clock });
    const s2 = new Stack({ clock });
    // 15 % of the frames A→B are lost (seeded): some datagrams never complete.
    const pair = DevicePair.create({ clock, softnet, mtu: 1500, impairAtoB: { loss: 0.15, seed: 5 } });
    attachNetDevice(s1, pair.a, { addr: A, prefixLen: 24 });
    attachNetDevice(s2, pair.b, { addr: B, prefixLen: 24 });
    let got = 0;
    s2.registerProtocol(PROTO, { handler: (skb) => (got++, skb.free()) });
    const run = (ms: number): void => {
      softnet.runUntilIdle();
      for (let t = 0; t < ms; t++) {
        clock.advance(1);
        softnet.runUntilIdle();
      }
    };
    // ARP may lose frames too: retry until resolved.
    for (let i = 0; i < 20 && got === 0; i++) {
      const { skb } = buildDatagram('linear', 100, 1);
      ipQueueXmit(s1, skb, { daddr: B, protocol: PROTO, pmtudisc: 'dont' });
      run(1100);
    }
    for (let i = 0; i < 20; i++) {
      const { skb, keep } = buildDatagram(i % 2 ? 'txClone' : 'paged', 30_000, i);
      ipQueueXmit(s1, skb, { daddr: B, protocol: PROTO, pmtudisc: 'dont' });
      keep?.free();
    }
    run(100);
    expect(s2.defrag.queueCount).toBeGreaterThan(0); // incomplete datagrams are waiting
    expect(delta(live0).heads).toBeGreaterThan(0);
    // ipfrag_time (30 s): the queues expire, their fragments — and through them the
    // sender's shared buffers — are released without closing anything.
    run(30_100);
    expect(s2.defrag.queueCount).toBe(0);
    expect(s2.ipMib.ReasmTimeout).toBeGreaterThan(0);
    expect(s2.defrag.mem).toBe(0);
    const beforeClose = delta(live0);
    s1.close();
    s2.close();
    pair.destroy();
    softnet.runUntilIdle();
    expect(beforeClose).toEqual(ZERO);
    expect(delta(live0)).toEqual(ZERO);
  });

  it('refragmenting while forwarding (9000 → 1500 → 576 byte links), fragList of fragList', () => {
    const live0 = live();
    const clock = new VirtualClock();
    const softnet = new Softnet();
    const h1 = new Stack({ clock });
    const r1 = new Stack({ clock, forwarding: true });
    const r2 = new Stack({ clock, forwarding: true });
    const h2 = new Stack({ clock });
    const p1 = DevicePair.create({ clock, softnet, mtu: 9000 });
    const p2 = DevicePair.create({ clock, softnet, mtu: 1500 });
    const p3 = DevicePair.create({ clock, softnet, mtu: 576 });
    attachNetDevice(h1, p1.a, { addr: ipv4('198.18.1.1'), prefixLen: 24 });
    attachNetDevice(r1, p1.b, { addr: ipv4('198.18.1.254'), prefixLen: 24 });
    attachNetDevice(r1, p2.a, { addr: ipv4('198.18.2.1'), prefixLen: 24 });
    attachNetDevice(r2, p2.b, { addr: ipv4('198.18.2.2'), prefixLen: 24 });
    attachNetDevice(r2, p3.a, { addr: ipv4('198.18.3.254'), prefixLen: 24 });
    attachNetDevice(h2, p3.b, { addr: ipv4('198.18.3.1'), prefixLen: 24 });
    h1.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.1.254'), iface: h1.interfaces[0]! });
    r1.addRoute({ prefix: ipv4('198.18.3.0'), prefixLen: 24, gateway: ipv4('198.18.2.2'), iface: r1.interfaces[1]! });
    r2.addRoute({ prefix: ipv4('198.18.1.0'), prefixLen: 24, gateway: ipv4('198.18.2.1'), iface: r2.interfaces[0]! });
    h2.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.3.254'), iface: h2.interfaces[0]! });
    // At most 64 fragments of 552 bytes reach h2 (IpDefrag's maxFragments).
    const sizes = [30_000, 8_000, 3_000, 20_000];
    let got = 0;
    let bad = 0;
    h2.registerProtocol(PROTO, {
      handler: (skb) => {
        if (!payloadOk(skb, sizes)) bad++;
        got++;
        skb.free();
      },
    });
    const run = (ms: number): void => {
      softnet.runUntilIdle();
      for (let t = 0; t < ms; t++) {
        clock.advance(1);
        softnet.runUntilIdle();
      }
    };
    run(5);
    const kinds: Payload[] = ['txClone', 'linear', 'paged', 'fragList'];
    for (let i = 0; i < sizes.length; i++) {
      const { skb, keep } = buildDatagram(kinds[i]!, sizes[i]!, i + 1);
      expect(ipQueueXmit(h1, skb, { daddr: ipv4('198.18.3.1'), protocol: PROTO, pmtudisc: 'dont' })).toBe('OK');
      run(20);
      keep?.free();
    }
    run(50);
    expect({ got, bad }).toEqual({ got: sizes.length, bad: 0 });
    expect(r1.ipMib.FragCreates).toBeGreaterThan(0); // 9000-byte fragments cut again
    expect(r2.ipMib.FragCreates).toBeGreaterThan(r1.ipMib.FragCreates);
    for (const s of [h1, r1, r2, h2]) s.close();
    for (const p of [p1, p2, p3]) p.destroy();
    softnet.runUntilIdle();
    expect(delta(live0)).toEqual(ZERO);
  });

  it('large ICMP echo and UDP datagrams are fragmented both ways and freed', () => {
    const live0 = live();
    const net = makeNet('pairGro');
    const replies: number[] = [];
    net.s1.onEchoReply = (_skb, _id, seq) => replies.push(seq);
    // Default rcvbuf (212 992 bytes of truesize): a 27 000-byte reassembled datagram
    // fits because its fragments are charged for their own bytes only.
    const srv = net.s2.udp.socket().bind(9);
    const cli = net.s1.udp.socket().bind();
    for (let i = 0; i < 4; i++) {
      const data = new Uint8Array(12_000 + i * 5_000).map((_, k) => byteAt(k, i));
      const r = new Uint8Array(data.length);
      r.set(data);
      expect(cli.sendto(data, B, 9, { pmtudisc: 'dont' })).toBe('OK');
      net.run();
      const d = srv.recv();
      expect(d?.data).toEqual(r);
    }
    // Echo requests of 30 000 bytes: the reply is built from the reassembled request.
    for (let seq = 1; seq <= 3; seq++) {
      const skb = allocSkb(MAX_HEADER + 8 + 30_000);
      skb.reserve(MAX_HEADER);
      const o = skb.putOff(8 + 30_000);
      skb.buf.fill(0, o, o + 8);
      skb.buf[o] = 8; // echo request
      skb.buf[o + 7] = seq;
      for (let k = 0; k < 30_000; k++) skb.buf[o + 8 + k] = byteAt(k, seq);
      let s = 0;
      for (let k = 0; k < 8 + 30_000; k += 2) s += (skb.buf[o + k]! << 8) | skb.buf[o + k + 1]!;
      while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
      skb.buf[o + 2] = (~s >> 8) & 0xff;
      skb.buf[o + 3] = ~s & 0xff;
      expect(ipQueueXmit(net.s1, skb, { daddr: B, protocol: 1, pmtudisc: 'dont' })).toBe('OK');
      net.run();
    }
    expect(replies).toEqual([1, 2, 3]);
    expect(net.s2.ipMib.ReasmOKs).toBe(7);
    expect(net.s1.ipMib.ReasmOKs).toBe(3);
    srv.close();
    cli.close();
    net.destroy();
    expect(delta(live0)).toEqual(ZERO);
  });
});
