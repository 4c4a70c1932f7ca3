import { NETIF_F } from '@netlayers/netdev-ring';
import { allocSkb, IpSummed, skbChecksum, skbStats, type SkBuff } from '@netlayers/skbuff';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestNet } from './testing/net.js';
import { TestHub } from './testing/hub.js';
import {
  ArpOperation, ArpPacket, IcmpPacket, IcmpRepr, ArpRepr, DstCache, EtherType, EthernetFrame, EthernetRepr, IpProtocol, MAX_HEADER,
  fold16, icmpSendEcho, ipHdr, ipQueueXmit, ipv4, mac, pseudoHeaderSum, type Interface, type Stack,
} from './index.js';

let live0 = 0;
let net: TestNet;
let h1: Stack;
let h2: Stack;
let i1: Interface;
let i2: Interface;

function setup(opts: { features?: number; h1?: Parameters<TestNet['stack']>[0] } = {}): void {
  net = new TestNet();
  h1 = net.stack(opts.h1);
  h2 = net.stack();
  ({ a: i1, b: i2 } = net.link(h1, { addr: ipv4('198.18.0.1'), prefixLen: 24 }, h2, { addr: ipv4('198.18.0.2'), prefixLen: 24 }, opts.features !== undefined ? { features: opts.features } : {}));
  net.run();
}

beforeEach(() => {
  live0 = skbStats().live;
});
afterEach(() => {
  net.destroy();
  expect(skbStats().live).toBe(live0);
});

function tcpLike(len: number): SkBuff {
  const skb = allocSkb(MAX_HEADER + 60 + len);
  skb.reserve(MAX_HEADER + 60);
  skb.putData(new Uint8Array(len).map((_, i) => (i * 13) & 0xff));
  const o = skb.pushOff(20);
  skb.buf.fill(0, o, o + 20);
  skb.buf[o + 12] = 0x50;
  skb.resetTransportHeader();
  return skb;
}

describe('more stack behaviour', () => {
  it('datagrams to our own address and to 127.0.0.1 loop back through the backlog', () => {
    setup();
    const srv = h1.udp.socket().bind(9);
    const cli = h1.udp.socket().bind();
    expect(cli.sendto(Uint8Array.of(1), ipv4('198.18.0.1'), 9)).toBe('OK');
    expect(cli.sendto(Uint8Array.of(2), ipv4('127.0.0.1'), 9)).toBe('OK');
    expect([srv.recv()?.data[0], srv.recv()?.data[0]]).toEqual([1, 2]);
    expect(h1.ipMib.InDelivers).toBe(2);
  });

  it('CHECKSUM_PARTIAL is completed in software for a device without checksum offload', () => {
    setup({ features: NETIF_F.SG });
    const got: number[] = [];
    h2.registerProtocol(IpProtocol.TCP, {
      handler: (skb) => {
        const ip = ipHdr(skb);
        got.push(fold16(skbChecksum(skb, 0, skb.len, pseudoHeaderSum(ip.src, ip.dst, 6, skb.len))));
        skb.free();
      },
    });
    const skb = tcpLike(300);
    // PARTIAL: pseudo-header sum in the checksum field, device (or IP) finishes it.
    const ps = fold16(pseudoHeaderSum(ipv4('198.18.0.1'), ipv4('198.18.0.2'), 6, skb.len));
    skb.buf[skb.data + 16] = ps >> 8;
    skb.buf[skb.data + 17] = ps & 0xff;
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumStart = skb.data;
    skb.csumOffset = 16;
    expect(ipQueueXmit(h1, skb, { daddr: ipv4('198.18.0.2'), protocol: IpProtocol.TCP })).toBe('OK');
    net.run(5, 1);
    expect(got).toEqual([0xffff]);
  });

  it('a clone of a header-released skb is sent while the original stays intact (TCP retransmit queue pattern)', () => {
    setup();
    let rx = 0;
    h2.registerProtocol(IpProtocol.TCP, { handler: (skb) => (rx++, skb.free()) });
    const orig = tcpLike(100);
    const before = orig.bytes().slice();
    const cache = new DstCache();
    for (let i = 0; i < 2; i++) {
      const c = orig.clone();
      if (i === 0) orig.headerRelease();
      expect(ipQueueXmit(h1, c, { daddr: ipv4('198.18.0.2'), protocol: IpProtocol.TCP, dst: cache })).toBe('OK');
    }
    net.run(5, 1);
    expect(rx).toBe(2);
    expect(orig.bytes()).toEqual(before);
    orig.free();
  });

  it('ICMP errors are rate limited (token bucket) and frag-needed is exempt', () => {
    setup({ h1: { icmpRateLimit: { perSecond: 10, burst: 3 } } });
    const cli = h2.udp.socket().bind(5000);
    for (let i = 0; i < 10; i++) cli.sendto(Uint8Array.of(i), ipv4('198.18.0.1'), 9999);
    net.run(5, 1);
    expect(h1.udpMib.NoPorts).toBe(10);
    expect(h1.icmpMib.OutDestUnreachs).toBe(3);
    expect(h1.icmpMib.OutRateLimited).toBe(7);
    net.run(1000, 100);
    cli.sendto(Uint8Array.of(1), ipv4('198.18.0.1'), 9999);
    net.run(5, 1);
    expect(h1.icmpMib.OutDestUnreachs).toBe(4);
  });

  it('resolution queue is bounded (oldest dropped) and counted', () => {
    net = new TestNet();
    h1 = net.stack({ neigh: { unresQlen: 2 } });
    h2 = net.stack();
    ({ a: i1, b: i2 } = net.link(h1, { addr: ipv4('198.18.0.1'), prefixLen: 24 }, h2, { addr: ipv4('198.18.0.2'), prefixLen: 24 }));
    const s = h1.udp.socket().bind(1);
    for (let i = 0; i < 5; i++) s.sendto(Uint8Array.of(i), ipv4('198.18.0.99'), 7);
    expect(i1.neigh.lookup(ipv4('198.18.0.99'))?.queue.length).toBe(2);
    expect(h1.arpMib.UnresolvedDiscards).toBe(3);
    net.run(4000, 100);
    expect(i1.neigh.lookup(ipv4('198.18.0.99'))?.state).toBe('FAILED');
  });

  it('gratuitous ARP updates an existing entry (→ STALE with the new MAC) but creates none', () => {
    setup();
    h1.udp.socket().bind(1).sendto(Uint8Array.of(1), ipv4('198.18.0.2'), 7);
    net.run(5, 1);
    expect(i1.neigh.lookup(ipv4('198.18.0.2'))?.state).toBe('REACHABLE');
    const inject = (spa: string, sha: string) => {
      const arp = new ArpRepr(ArpOperation.REQUEST, mac(sha), ipv4(spa), new Uint8Array(6), ipv4(spa));
      const skb = allocSkb(64);
      const b = skb.put(42);
      new EthernetRepr(mac('ff:ff:ff:ff:ff:ff'), mac(sha), EtherType.ARP).emit(EthernetFrame.unchecked(b));
      arp.emit(ArpPacket.unchecked(b.subarray(14)));
      h1.netifReceive(i1, skb);
    };
    inject('198.18.0.2', '02:aa:bb:cc:dd:ee');
    const n = i1.neigh.lookup(ipv4('198.18.0.2'))!;
    expect([n.state, Array.from(n.mac)]).toEqual(['STALE', [2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]]);
    inject('198.18.0.50', '02:aa:bb:cc:dd:ef');
    expect(i1.neigh.lookup(ipv4('198.18.0.50'))).toBeUndefined();
  });

  it('echo requests to the subnet broadcast are ignored; frames for other MACs are dropped', () => {
    setup();
    void i2;
    const echo = IcmpRepr.echoRequest(1, 1, new Uint8Array(8));
    const e = allocSkb(MAX_HEADER + echo.bufferLen());
    e.reserve(MAX_HEADER);
    echo.emit(IcmpPacket.unchecked(e.put(echo.bufferLen())));
    expect(ipQueueXmit(h1, e, { daddr: ipv4('198.18.0.255'), protocol: IpProtocol.ICMP })).toBe('OK');
    net.run(5, 1);
    expect(h2.icmpMib.InEchos).toBe(1);
    expect(h2.icmpMib.OutEchoReps).toBe(0);
    const skb = allocSkb(64);
    const b = skb.put(60);
    new EthernetRepr(mac('02:99:99:99:99:99'), mac('02:11:11:11:11:11'), EtherType.IPV4).emit(EthernetFrame.unchecked(b));
    h1.netifReceive(i1, skb);
    expect(h1.rxOtherHost).toBe(1);
  });
});

describe('icmpSendEcho', () => {
  it('pings and counts OutEchos', () => {
    setup();
    const seen: number[] = [];
    h1.onEchoReply = (_s, _id, seq) => seen.push(seq);
    for (let i = 1; i <= 3; i++) expect(icmpSendEcho(h1, ipv4('198.18.0.2'), 5, i, new Uint8Array(32))).toBe('OK');
    net.run(10, 1);
    expect(seen).toEqual([1, 2, 3]);
    expect(h1.icmpMib.OutEchos).toBe(3);
  });
});

describe('ICMP redirects on a shared segment', () => {
  it('the router redirects the host to the better gateway; the host honours it', () => {
    net = new TestNet();
    const hub = new TestHub();
    const host = net.stack();
    const r1 = net.stack({ forwarding: true });
    const r2 = net.stack({ forwarding: true });
    const far = net.stack();
    const hIf = hub.attach(host, { addr: ipv4('198.18.0.10'), prefixLen: 24 });
    const r1If = hub.attach(r1, { addr: ipv4('198.18.0.1'), prefixLen: 24 });
    const r2If = hub.attach(r2, { addr: ipv4('198.18.0.2'), prefixLen: 24 });
    const l = net.link(r2, { addr: ipv4('198.18.9.1'), prefixLen: 24 }, far, { addr: ipv4('198.18.9.2'), prefixLen: 24 });
    host.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.0.1'), iface: hIf });
    r1.addRoute({ prefix: ipv4('198.18.9.0'), prefixLen: 24, gateway: ipv4('198.18.0.2'), iface: r1If });
    far.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.9.1'), iface: l.b });
    void r2If;
    const pump = () => {
      for (let i = 0; i < 20; i++) {
        hub.flush();
        net.run(1, 1);
      }
    };
    pump();
    const srv = far.udp.socket().bind(7);
    const cli = host.udp.socket().bind(1000);
    cli.sendto(Uint8Array.of(1), ipv4('198.18.9.2'), 7);
    pump();
    expect(srv.recv()?.data).toEqual(Uint8Array.of(1));
    expect(r1.icmpMib.OutRedirects).toBe(1);
    expect(host.icmpMib.InRedirects).toBe(1);
    expect(host.redirectFor(ipv4('198.18.9.2'))).toBe(ipv4('198.18.0.2'));
    const fw = r1.ipMib.ForwDatagrams;
    cli.sendto(Uint8Array.of(2), ipv4('198.18.9.2'), 7);
    pump();
    expect(srv.recv()?.data).toEqual(Uint8Array.of(2));
    expect(r1.ipMib.ForwDatagrams).toBe(fw); // the second datagram went straight to r2
  });
});
