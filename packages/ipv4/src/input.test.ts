import { runs } from './test-runs.js';
import { allocSkb, skbStats } from '@netlayers/skbuff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbIpv4Repr, arbMalformedIpv4, emitIpv4 } from './testing/index.js';
import { TestNet } from './testing/net.js';
import { Ipv4Packet, Ipv4Repr, ipv4, ipFragment, ipRouteOutput, MAX_HEADER, type DstEntry } from './index.js';

function setup() {
  const net = new TestNet();
  const h = net.stack({ forwarding: true });
  const peer = net.stack();
  const { a } = net.link(h, { addr: ipv4('198.18.0.1'), prefixLen: 24 }, peer, { addr: ipv4('198.18.0.2'), prefixLen: 24 });
  net.run();
  return { net, h, iface: a };
}

describe('ipRcv', () => {
  it('arbitrary and malformed bytes never throw, every packet is accounted for, nothing leaks', () => {
    const live0 = skbStats().live;
    const { net, h, iface } = setup();
    // Count what reaches local protocols or forwarding, to balance the books.
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), arbMalformedIpv4(), arbIpv4Repr({ maxPayloadLen: 40 }).map((r) => emitIpv4(r))), (bytes) => {
        const skb = allocSkb(64 + bytes.length);
        skb.reserve(64);
        skb.putData(bytes);
        h.receiveIp(iface, skb);
      }),
      { numRuns: runs(2000) },
    );
    const m = h.ipMib;
    expect(m.InReceives).toBe(runs(2000));
    // Each received datagram ends in exactly one bucket (fragments count ReasmReqds instead).
    const buckets = m.InHdrErrors + m.InTruncatedPkts + m.InAddrErrors + m.InNoRoutes + m.InUnknownProtos + m.InDelivers + m.ForwDatagrams + m.ReasmReqds + m.FragFails;
    // A reassembled datagram is delivered once more than its fragments were received.
    expect(buckets).toBe(runs(2000) + m.ReasmOKs);
    expect(m.InHdrErrors).toBeGreaterThan(0);
    expect(m.InCsumErrors).toBeGreaterThan(0);
    net.run(31_000, 1000); // reassembly queues time out
    net.destroy();
    expect(skbStats().live).toBe(live0);
  });

  it('checks in ip_rcv_core order with one counter per reason', () => {
    const { net, h, iface } = setup();
    const send = (b: Uint8Array, extra = 0) => {
      const skb = allocSkb(64 + b.length + extra);
      skb.reserve(64);
      skb.putData(b);
      if (extra) skb.putZero(extra);
      h.receiveIp(iface, skb);
    };
    const good = emitIpv4(new Ipv4Repr({ src: ipv4('198.18.0.2'), dst: ipv4('198.18.0.1'), protocol: 200, payloadLen: 4 }));
    send(good.slice(0, 19));
    expect(h.ipMib.InHdrErrors).toBe(1);
    const v6 = good.slice(); v6[0] = 0x65; send(v6);
    expect(h.ipMib.InHdrErrors).toBe(2);
    const bad = good.slice(); bad[10] = bad[10]! ^ 1; send(bad);
    expect([h.ipMib.InHdrErrors, h.ipMib.InCsumErrors]).toEqual([3, 1]);
    send(good.slice(0, 22));
    expect(h.ipMib.InTruncatedPkts).toBe(1);
    send(good, 18); // Ethernet padding is trimmed
    expect(h.ipMib.InUnknownProtos).toBe(1);
    const other = emitIpv4(new Ipv4Repr({ src: ipv4('198.18.0.2'), dst: ipv4('127.0.0.1'), protocol: 17, payloadLen: 0 }));
    send(other);
    expect(h.ipMib.InAddrErrors).toBe(1);
    net.destroy();
  });
});

describe('ipFragment', () => {
  it('fragments share the payload with the original (no copy) and carry correct headers', () => {
    const { net, h } = setup();
    const dst = ipRouteOutput(h, ipv4('198.18.0.2')) as DstEntry;
    const payload = new Uint8Array(4000).map((_, i) => (i * 7) & 0xff);
    const r = new Ipv4Repr({ src: ipv4('198.18.0.1'), dst: ipv4('198.18.0.2'), protocol: 17, payloadLen: payload.length, ident: 77 });
    const skb = allocSkb(MAX_HEADER + r.totalLen());
    skb.reserve(MAX_HEADER);
    skb.putData(emitIpv4(r, payload));
    skb.resetNetworkHeader();
    const origBuf = skb.buf;
    const frags: Array<{ off: number; mf: boolean; data: Uint8Array; shares: boolean }> = [];
    ipFragment(h, skb, dst, (f) => {
      const b = f.buf.subarray(f.data, f.tail);
      const hdr = Ipv4Repr.parse(Ipv4Packet.unchecked(b));
      const data = new Uint8Array(f.len - 20);
      f.copyBits(20, data, data.length);
      frags.push({ off: hdr.fragOffset, mf: hdr.moreFrags, data, shares: f.fragList.every((c) => c.buf === origBuf) && f.fragList.length > 0 });
      expect(f.len).toBeLessThanOrEqual(1500);
      f.free();
      return 'OK';
    });
    expect(frags.length).toBe(3);
    expect(frags.every((f) => f.shares)).toBe(true);
    expect(frags.map((f) => [f.off, f.mf])).toEqual([[0, true], [1480, true], [2960, false]]);
    const joined = new Uint8Array(4000);
    for (const f of frags) joined.set(f.data, f.off);
    expect(joined).toEqual(payload);
    net.destroy();
  });

  it('DF + too big → FragFails, frag-needed, EMSGSIZE', () => {
    const { net, h } = setup();
    const dst = ipRouteOutput(h, ipv4('198.18.0.2')) as DstEntry;
    const r = new Ipv4Repr({ src: ipv4('198.18.0.1'), dst: ipv4('198.18.0.2'), protocol: 17, payloadLen: 2000, dontFrag: true });
    const skb = allocSkb(MAX_HEADER + r.totalLen());
    skb.reserve(MAX_HEADER);
    skb.putData(emitIpv4(r));
    skb.resetNetworkHeader();
    expect(ipFragment(h, skb, dst, () => 'OK')).toBe('EMSGSIZE');
    expect(h.ipMib.FragFails).toBe(1);
    net.destroy();
  });
});

