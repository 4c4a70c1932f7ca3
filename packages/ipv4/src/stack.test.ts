import { skbStats } from '@netlayers/skbuff';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNet } from './testing/net.js';
import { allocSkb } from '@netlayers/skbuff';
import {
  IcmpRepr, IcmpPacket, IpProtocol, NfHook, NfVerdict, DstCache, ipQueueXmit, ipv4, MAX_HEADER, ipHdr,
  type Interface, type Stack,
} from './index.js';

let live0 = 0;
beforeEach(() => {
  live0 = skbStats().live;
});

function pingOnce(net: TestNet, from: Stack, to: number, size = 56, ident = 7, seq = 1): number[] {
  const got: number[] = [];
  from.onEchoReply = (_skb, id, s) => {
    if (id === ident) got.push(s);
  };
  const data = new Uint8Array(size).map((_, i) => i & 0xff);
  const r = IcmpRepr.echoRequest(ident, seq, data);
  const skb = allocSkb(MAX_HEADER + r.bufferLen());
  skb.reserve(MAX_HEADER);
  const o = skb.putOff(r.bufferLen());
  r.emit(IcmpPacket.unchecked(skb.buf.subarray(o, o + r.bufferLen())));
  ipQueueXmit(from, skb, { daddr: to, protocol: IpProtocol.ICMP, pmtudisc: 'dont' });
  net.run(5000, 10);
  return got;
}

describe('two hosts on one DevicePair', () => {
  let net: TestNet;
  let h1: Stack;
  let h2: Stack;
  let i1: Interface;
  let i2: Interface;
  beforeEach(() => {
    net = new TestNet();
    h1 = net.stack();
    h2 = net.stack();
    ({ a: i1, b: i2 } = net.link(h1, { addr: ipv4('198.18.0.1'), prefixLen: 24 }, h2, { addr: ipv4('198.18.0.2'), prefixLen: 24 }));
    net.run();
  });
  afterEach(() => {
    net.destroy();
    expect(skbStats().live).toBe(live0);
  });

  it('ARP resolves, ping gets a reply, counters add up', () => {
    expect(pingOnce(net, h1, ipv4('198.18.0.2'))).toEqual([1]);
    expect(i1.neigh.lookup(ipv4('198.18.0.2'))?.state).toBe('REACHABLE');
    expect(i2.neigh.lookup(ipv4('198.18.0.1'))?.state).toMatch(/STALE|REACHABLE|DELAY/);
    expect(h2.icmpMib.InEchos).toBe(1);
    expect(h2.icmpMib.OutEchoReps).toBe(1);
    expect(h1.icmpMib.InEchoReps).toBe(1);
    expect(h2.ipMib.InDelivers).toBe(1);
    // Gratuitous ARPs at configuration are seen but create no entries (arp_accept = 0).
    expect(h1.arpMib.OutRequests).toBeGreaterThanOrEqual(2);
  });

  it('neighbour ages REACHABLE → STALE → DELAY → PROBE/REACHABLE on the virtual clock', () => {
    pingOnce(net, h1, ipv4('198.18.0.2'));
    const n = i1.neigh.lookup(ipv4('198.18.0.2'))!;
    net.run(31_000, 1000);
    expect(n.state).toBe('STALE');
    expect(pingOnce(net, h1, ipv4('198.18.0.2'), 8, 7, 2)).toEqual([2]);
    // used while STALE: DELAY, then after 5 s a unicast probe is answered → REACHABLE
    net.run(7000, 100);
    expect(n.state).toBe('REACHABLE');
  });

  it('unresolvable neighbour: bounded queue, FAILED after 3 probes, ICMP host unreachable, nothing leaks', () => {
    const sock = h1.udp.socket().bind(4000);
    for (let i = 0; i < 5; i++) sock.sendto(new Uint8Array(10), ipv4('198.18.0.77'), 9);
    net.run(5000, 100);
    const n = i1.neigh.lookup(ipv4('198.18.0.77'));
    expect(n?.state).toBe('FAILED');
    expect(h1.arpMib.ResFailed).toBe(1);
    expect(h1.icmpMib.OutDestUnreachs).toBeGreaterThanOrEqual(1);
    expect(sock.error).toBe('EHOSTUNREACH');
  });

  it('UDP sendto/recv both ways; closed port → ICMP port unreachable → ECONNREFUSED', () => {
    const a = h1.udp.socket().bind(5000);
    const b = h2.udp.socket().bind(53);
    expect(a.sendto(new TextEncoder().encode('query'), ipv4('198.18.0.2'), 53)).toBe('OK');
    net.run(10, 1);
    const q = b.recv()!;
    expect(new TextDecoder().decode(q.data)).toBe('query');
    expect([q.saddr, q.sport]).toEqual([ipv4('198.18.0.1'), 5000]);
    b.sendto(new TextEncoder().encode('answer'), q.saddr, q.sport);
    net.run(10, 1);
    expect(new TextDecoder().decode(a.recv()!.data)).toBe('answer');
    a.sendto(new Uint8Array(4), ipv4('198.18.0.2'), 9999);
    net.run(10, 1);
    expect(h2.udpMib.NoPorts).toBe(1);
    expect(a.error).toBe('ECONNREFUSED');
    expect(h1.icmpMib.InDestUnreachs).toBe(1);
  });

  it('large UDP datagram is fragmented (zero-copy) and reassembled', () => {
    const a = h1.udp.socket().bind(5000);
    const b = h2.udp.socket().bind(7);
    const big = new Uint8Array(9000).map((_, i) => (i * 31) & 0xff);
    expect(a.sendto(big, ipv4('198.18.0.2'), 7)).toBe('OK');
    net.run(10, 1);
    const d = b.recv()!;
    expect(d.data).toEqual(big);
    expect(h1.ipMib.FragOKs).toBe(1);
    expect(h1.ipMib.FragCreates).toBe(7);
    expect(h2.ipMib.ReasmOKs).toBe(1);
    expect(h2.ipMib.ReasmReqds).toBe(7);
  });

  it('unknown protocol → InUnknownProtos and ICMP protocol unreachable', () => {
    const skb = allocSkb(MAX_HEADER + 4);
    skb.reserve(MAX_HEADER);
    skb.putData(Uint8Array.of(1, 2, 3, 4));
    ipQueueXmit(h1, skb, { daddr: ipv4('198.18.0.2'), protocol: 253 });
    net.run(10, 1);
    expect(h2.ipMib.InUnknownProtos).toBe(1);
    expect(h2.icmpMib.OutDestUnreachs).toBe(1);
  });

  it('registered protocol gets skb with transport header and IP header marks; dst cache is reused and revalidated', () => {
    const seen: Array<{ src: number; len: number; th: boolean }> = [];
    h2.registerProtocol(IpProtocol.TCP, {
      handler: (skb) => {
        seen.push({ src: ipHdr(skb).src, len: skb.len, th: skb.transportHeader === skb.data });
        skb.free();
      },
    });
    const cache = new DstCache();
    for (let i = 0; i < 3; i++) {
      const skb = allocSkb(MAX_HEADER + 20);
      skb.reserve(MAX_HEADER);
      skb.putData(new Uint8Array(20));
      skb.resetTransportHeader();
      expect(ipQueueXmit(h1, skb, { daddr: ipv4('198.18.0.2'), protocol: IpProtocol.TCP, dst: cache })).toBe('OK');
    }
    expect(cache.refills).toBe(1);
    expect(cache.dst?.mtu).toBe(1500);
    h1.addRoute({ prefix: ipv4('10.0.0.0'), prefixLen: 8, iface: i1 });
    const skb = allocSkb(MAX_HEADER + 20);
    skb.reserve(MAX_HEADER);
    skb.putData(new Uint8Array(20));
    ipQueueXmit(h1, skb, { daddr: ipv4('198.18.0.2'), protocol: IpProtocol.TCP, dst: cache });
    expect(cache.refills).toBe(2);
    net.run(10, 1);
    expect(seen).toHaveLength(4);
    expect(seen[0]).toEqual({ src: ipv4('198.18.0.1'), len: 20, th: true });
  });

  it('netfilter hooks run in priority order; DROP and STOLEN verdicts', () => {
    const order: string[] = [];
    const offA = h2.netfilter.register(NfHook.LOCAL_IN, () => (order.push('b'), NfVerdict.ACCEPT), 10);
    h2.netfilter.register(NfHook.LOCAL_IN, () => (order.push('a'), NfVerdict.ACCEPT), -10);
    h2.netfilter.register(NfHook.PRE_ROUTING, () => (order.push('pre'), NfVerdict.ACCEPT));
    expect(pingOnce(net, h1, ipv4('198.18.0.2'))).toEqual([1]);
    expect(order).toEqual(['pre', 'a', 'b']);
    offA();
    const off = h2.netfilter.register(NfHook.LOCAL_IN, () => NfVerdict.DROP);
    expect(pingOnce(net, h1, ipv4('198.18.0.2'), 8, 7, 2)).toEqual([]);
    expect(h2.netfilter.drops[NfHook.LOCAL_IN]).toBe(1);
    off();
    const stolen: Array<{ free(): void }> = [];
    h1.netfilter.register(NfHook.POST_ROUTING, (skb) => (stolen.push(skb), NfVerdict.STOLEN));
    expect(pingOnce(net, h1, ipv4('198.18.0.2'), 8, 7, 3)).toEqual([]);
    expect(stolen).toHaveLength(1);
    stolen.forEach((s) => s.free());
  });
});

describe('router between two DevicePairs', () => {
  let net: TestNet;
  let h1: Stack;
  let h2: Stack;
  let r: Stack;
  beforeEach(() => {
    net = new TestNet();
    h1 = net.stack();
    h2 = net.stack();
    r = net.stack({ forwarding: true });
    const l1 = net.link(h1, { addr: ipv4('198.18.1.2'), prefixLen: 24 }, r, { addr: ipv4('198.18.1.1'), prefixLen: 24 });
    const l2 = net.link(r, { addr: ipv4('198.18.2.1'), prefixLen: 24 }, h2, { addr: ipv4('198.18.2.2'), prefixLen: 24 }, { mtu: 1000 });
    h1.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.1.1'), iface: l1.a });
    h2.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.2.1'), iface: l2.b });
    net.run();
  });
  afterEach(() => {
    net.destroy();
    expect(skbStats().live).toBe(live0);
  });

  it('forwards ping both ways, decrementing TTL', () => {
    let ttl = 0;
    h2.netfilter.register(NfHook.PRE_ROUTING, (skb) => ((ttl = ipHdr(skb).ttl), NfVerdict.ACCEPT));
    expect(pingOnce(net, h1, ipv4('198.18.2.2'))).toEqual([1]);
    expect(ttl).toBe(63);
    expect(r.ipMib.ForwDatagrams).toBe(2);
  });

  it('TTL 1 → ICMP time exceeded from the router', () => {
    const a = h1.udp.socket().bind(5000);
    a.sendto(new Uint8Array(10), ipv4('198.18.2.2'), 7, { ttl: 1 });
    net.run(10, 1);
    expect(r.icmpMib.OutTimeExcds).toBe(1);
    expect(r.ipMib.InHdrErrors).toBe(1);
    expect(h1.icmpMib.InTimeExcds).toBe(1);
    expect(a.error).toBe('EHOSTUNREACH');
  });

  it('DF over the smaller MTU → frag needed with next-hop MTU; the sender learns the PMTU', () => {
    const a = h1.udp.socket().bind(5000);
    h2.udp.socket().bind(7);
    expect(a.sendto(new Uint8Array(1200), ipv4('198.18.2.2'), 7, { df: true })).toBe('OK');
    net.run(10, 1);
    expect(r.ipMib.FragFails).toBe(1);
    expect(h1.icmpMib.InDestUnreachs).toBe(1);
    expect(h1.pmtuFor(ipv4('198.18.2.2'))).toBe(1000);
    expect(a.error).toBe('EMSGSIZE');
  });

  it('no DF → the router fragments, the host reassembles', () => {
    const a = h1.udp.socket().bind(5000);
    const b = h2.udp.socket().bind(7);
    const payload = new Uint8Array(1400).map((_, i) => i & 0xff);
    a.sendto(payload, ipv4('198.18.2.2'), 7, { df: false });
    net.run(10, 1);
    expect(r.ipMib.FragOKs).toBe(1);
    expect(r.ipMib.FragCreates).toBe(2);
    expect(b.recv()?.data).toEqual(payload);
  });

  it('no route on the router → ICMP net unreachable, InNoRoutes', () => {
    h1.udp.socket().bind(5000).sendto(new Uint8Array(1), ipv4('203.0.113.9'), 7);
    net.run(10, 1);
    expect(r.ipMib.InNoRoutes).toBe(1);
    expect(h1.icmpMib.InDestUnreachs).toBe(1);
  });
});
