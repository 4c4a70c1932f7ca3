import { runs } from '../test-runs.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbArpRepr, arbEthernetRepr, arbIcmpRepr, arbIpv4Repr, arbMalformedArp, arbMalformedEthernet, arbMalformedIcmp,
  arbMalformedIpv4, arbMalformedUdp, arbUdpCase, emitArp, emitEthernet, emitIcmp, emitIpv4, emitUdp,
} from '../testing/index.js';
import {
  ArpPacket, ArpRepr, EthernetFrame, EthernetRepr, IcmpPacket, IcmpRepr, Ipv4Packet, Ipv4Repr, ParseError,
  UdpPacket, UdpRepr, ipv4, ipv4ToString, mac, macToString, parseIpv4Options, checksumReplace16, sum16, checksum16, fold16,
} from '../index.js';

const RUNS = { numRuns: runs(300) };

/** Every parser in one place: the fuzz targets. */
const parsers: Record<string, (b: Uint8Array) => unknown> = {
  ethernet: (b) => {
    const f = EthernetFrame.checked(b);
    void [f.dst, f.src, f.ethertype, f.payload];
    return EthernetRepr.parse(f);
  },
  arp: (b) => {
    const p = ArpPacket.checked(b);
    void [p.htype, p.ptype, p.hlen, p.plen, p.operation, p.sha, p.spa, p.tha, p.tpa];
    return ArpRepr.parse(p);
  },
  ipv4: (b) => {
    const p = Ipv4Packet.checked(b);
    void [p.version, p.headerLen, p.tos, p.totalLen, p.ident, p.fragOffset, p.ttl, p.protocol, p.src, p.dst, p.options, p.payload];
    parseIpv4Options(p.options);
    return Ipv4Repr.parse(p);
  },
  icmp: (b) => {
    const p = IcmpPacket.checked(b);
    void [p.type, p.code, p.rest, p.data, p.echoIdent, p.nextHopMtu];
    return IcmpRepr.parse(p);
  },
  udp: (b) => {
    const p = UdpPacket.checked(b);
    void [p.srcPort, p.dstPort, p.length, p.payload];
    return UdpRepr.parse(p, 0x01020304, 0x05060708);
  },
};

function onlyParseErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    expect(typeof e.code).toBe('string');
  }
}

describe('roundtrips parse(emit(repr))', () => {
  it('ethernet', () => {
    fc.assert(fc.property(arbEthernetRepr(), (r) => {
      expect(EthernetRepr.parse(EthernetFrame.checked(emitEthernet(r)))).toEqual(r);
    }), RUNS);
  });
  it('arp', () => {
    fc.assert(fc.property(arbArpRepr(), (r) => {
      expect(ArpRepr.parse(ArpPacket.checked(emitArp(r)))).toEqual(r);
    }), RUNS);
  });
  it('ipv4 (with options, fragment fields)', () => {
    fc.assert(fc.property(arbIpv4Repr(), (r) => {
      const b = emitIpv4(r);
      const p = Ipv4Packet.checked(b);
      expect(Ipv4Repr.parse(p)).toEqual(r);
      expect(p.payload.length).toBe(r.payloadLen);
    }), RUNS);
  });
  it('icmpv4', () => {
    fc.assert(fc.property(arbIcmpRepr(), (r) => {
      const back = IcmpRepr.parse(IcmpPacket.checked(emitIcmp(r)));
      expect(back.type).toBe(r.type);
      expect(back.code).toBe(r.code);
      expect(back.rest).toBe(r.rest);
      expect(Array.from(back.data)).toEqual(Array.from(r.data));
    }), RUNS);
  });
  it('udp', () => {
    fc.assert(fc.property(arbUdpCase(), (c) => {
      const p = UdpPacket.checked(emitUdp(c));
      expect(UdpRepr.parse(p, c.src, c.dst)).toEqual(c.repr);
      expect(Array.from(p.payload)).toEqual(Array.from(c.payload));
      expect(p.checksum).not.toBe(0);
    }), RUNS);
  });
  it('emit into a 0xa5-filled buffer writes every header byte', () => {
    fc.assert(fc.property(arbIpv4Repr({ maxPayloadLen: 0 }), (r) => {
      const a = new Uint8Array(r.bufferLen()).fill(0xa5);
      const z = new Uint8Array(r.bufferLen()).fill(0x00);
      r.emit(Ipv4Packet.unchecked(a));
      r.emit(Ipv4Packet.unchecked(z));
      expect(a).toEqual(z);
    }), RUNS);
  });
});

describe('arbitrary bytes never throw anything but ParseError', () => {
  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name}: random bytes`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 128 }), (b) => onlyParseErrors(() => parse(b))), { numRuns: runs(1000) });
    });
  }
  const malformed: Record<string, () => fc.Arbitrary<Uint8Array>> = {
    ethernet: arbMalformedEthernet, arp: arbMalformedArp, ipv4: arbMalformedIpv4, icmp: arbMalformedIcmp, udp: arbMalformedUdp,
  };
  for (const [name, arb] of Object.entries(malformed)) {
    it(`${name}: malformed near-valid bytes are rejected with ParseError or parse consistently`, () => {
      fc.assert(fc.property(arb(), (b) => onlyParseErrors(() => parsers[name]!(b))), { numRuns: runs(1000) });
    });
  }
  it('ipv4 bit flips in the header are always detected by the checksum or a length check', () => {
    fc.assert(fc.property(arbIpv4Repr({ maxPayloadLen: 16 }), fc.nat(159), (r, bit) => {
      const b = emitIpv4(r);
      b[bit >>> 3]! ^= 1 << (bit & 7);
      expect(() => Ipv4Repr.parse(Ipv4Packet.checked(b))).toThrow(ParseError);
    }), RUNS);
  });
});

describe('checksum', () => {
  it('sum16/fold16 equal a naive RFC 1071 sum for any offset, length and initial sum', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), fc.nat(7), fc.nat(0xfffff), (b, off0, init) => {
      const off = Math.min(off0, b.length);
      const len = b.length - off;
      let s = init;
      for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (i + 1 < len ? b[off + i + 1]! : 0);
      while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
      const got = fold16(sum16(b, off, len, init));
      // 0 and 0xffff are the same one's-complement value.
      expect(got % 0xffff).toBe(s % 0xffff);
    }), { numRuns: runs(500) });
  });
});

describe('fixtures', () => {
  // ping -c1 127.0.0.1 style echo request captured from Linux (ident 0x1234, seq 1, 8 bytes data)
  const ipHex = '4500001c' + 'abcd4000' + '4001' + '0000' + '7f000001' + '7f000001';
  it('ipv4 header checksum matches RFC 1071 example computation', () => {
    const b = Uint8Array.from(Buffer.from(ipHex, 'hex'));
    const p = Ipv4Packet.unchecked(b);
    p.fillChecksum();
    // Independently computed: sum of words, folded, complemented.
    let s = 0;
    for (let i = 0; i < 20; i += 2) if (i !== 10) s += (b[i]! << 8) | b[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    expect(p.checksum).toBe(~s & 0xffff);
    expect(p.verifyChecksum()).toBe(true);
  });
  it('rejects with specific codes', () => {
    const code = (f: () => unknown) => { try { f(); return 'none'; } catch (e) { return (e as ParseError).code; } };
    expect(code(() => Ipv4Packet.checked(new Uint8Array(19)))).toBe('TRUNCATED');
    const b = emitIpv4(new Ipv4Repr({ src: 1, dst: 2, protocol: 17, payloadLen: 4 }));
    const ihl4 = b.slice(); ihl4[0] = 0x44;
    expect(code(() => Ipv4Packet.checked(ihl4))).toBe('MALFORMED');
    expect(code(() => Ipv4Packet.checked(b.slice(0, 23)))).toBe('TRUNCATED');
    const v6 = b.slice(); v6[0] = 0x65;
    expect(code(() => Ipv4Repr.parse(Ipv4Packet.checked(v6)))).toBe('UNSUPPORTED');
    const bad = b.slice(); bad[8] = 1;
    expect(code(() => Ipv4Repr.parse(Ipv4Packet.checked(bad)))).toBe('BAD_CHECKSUM');
    expect(code(() => parseIpv4Options(Uint8Array.of(7, 9, 0, 0)))).toBe('MALFORMED');
    expect(code(() => UdpPacket.checked(Uint8Array.of(0, 1, 0, 2, 0, 7, 0, 0)))).toBe('MALFORMED');
    expect(code(() => ArpRepr.parse(ArpPacket.checked(new Uint8Array(28))))).toBe('UNSUPPORTED');
    expect(code(() => EthernetRepr.parse(EthernetFrame.checked(new Uint8Array(14))))).toBe('UNSUPPORTED');
  });
  it('payload excludes link padding', () => {
    const b = emitIpv4(new Ipv4Repr({ src: 1, dst: 2, protocol: 17, payloadLen: 4 }));
    const padded = new Uint8Array(46); padded.set(b);
    expect(Ipv4Packet.checked(padded).payload.length).toBe(4);
  });
  it('address helpers', () => {
    expect(ipv4ToString(ipv4('198.18.0.1'))).toBe('198.18.0.1');
    expect(ipv4('255.255.255.255')).toBe(0xffffffff);
    expect(() => ipv4('1.2.3.256')).toThrow(RangeError);
    expect(macToString(mac('02:00:00:00:00:0A'))).toBe('02:00:00:00:00:0a');
  });
  it('RFC 1624 incremental update equals full recomputation', () => {
    fc.assert(fc.property(arbIpv4Repr({ maxPayloadLen: 0 }), (r) => {
      fc.pre(r.ttl > 0);
      const b = emitIpv4(r);
      const p = Ipv4Packet.unchecked(b);
      const old = (p.ttl << 8) | p.protocol;
      p.ttl = p.ttl - 1;
      p.checksum = checksumReplace16(p.checksum, old, (p.ttl << 8) | p.protocol);
      expect(p.verifyChecksum()).toBe(true);
      const inc = p.checksum;
      p.fillChecksum();
      // Both are valid encodings; ±0 (0x0000 vs 0xffff) is the only possible difference.
      expect(inc === p.checksum || (inc ^ p.checksum) === 0xffff).toBe(true);
    }), RUNS);
    expect(checksum16(sum16(new Uint8Array([0xff, 0xff]), 0, 2))).toBe(0);
  });
});
