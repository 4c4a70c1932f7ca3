/**
 * fast-check arbitraries for every wire `Repr` of `@netlayers/ipv4`, valid and
 * deliberately malformed, for users' property-based tests of their own parsers
 * and stacks.
 *
 * @module
 */
import fc from 'fast-check';
import type { Ipv4Addr, MacAddr } from '../wire/addr.js';
import { ArpOperation, ArpPacket, ArpRepr } from '../wire/arp.js';
import { EthernetFrame, EthernetRepr } from '../wire/ethernet.js';
import { IcmpPacket, IcmpRepr } from '../wire/icmpv4.js';
import { Ipv4Packet, Ipv4Repr } from '../wire/ipv4.js';
import { UdpPacket, UdpRepr } from '../wire/udp.js';

/** Any IPv4 address. */
export function arbIpv4Addr(): fc.Arbitrary<Ipv4Addr> {
  return fc.integer({ min: 0, max: 0xffffffff });
}

/** Any MAC address. */
export function arbMacAddr(): fc.Arbitrary<MacAddr> {
  return fc.uint8Array({ minLength: 6, maxLength: 6 });
}

/** Valid Ethernet II headers (ethertype ≥ 0x0600). */
export function arbEthernetRepr(): fc.Arbitrary<EthernetRepr> {
  return fc.tuple(arbMacAddr(), arbMacAddr(), fc.integer({ min: 0x0600, max: 0xffff })).map(([d, s, t]) => new EthernetRepr(d, s, t));
}

/** Valid Ethernet/IPv4 ARP packets. */
export function arbArpRepr(): fc.Arbitrary<ArpRepr> {
  return fc
    .tuple(fc.constantFrom(ArpOperation.REQUEST, ArpOperation.REPLY), arbMacAddr(), arbIpv4Addr(), arbMacAddr(), arbIpv4Addr())
    .map(([op, sha, spa, tha, tpa]) => new ArpRepr(op, sha, spa, tha, tpa));
}

/**
 * Well-formed IPv4 option areas: a sequence of NOPs and TLV options padded
 * with EOL to a multiple of 4, at most 40 bytes.
 */
export function arbIpv4Options(): fc.Arbitrary<Uint8Array> {
  const opt = fc.oneof(
    fc.constant(new Uint8Array([1])),
    fc.tuple(fc.integer({ min: 2, max: 255 }), fc.uint8Array({ maxLength: 8 })).map(([t, d]) => Uint8Array.of(t, d.length + 2, ...d)),
  );
  return fc.array(opt, { maxLength: 5 }).map((opts) => {
    const bytes: number[] = [];
    for (const o of opts) if (bytes.length + o.length <= 40) bytes.push(...o);
    while (bytes.length % 4) bytes.push(0);
    return Uint8Array.from(bytes);
  });
}

/** Options for {@link arbIpv4Repr}. */
export interface ArbIpv4ReprOptions {
  /** Maximum payload length (default 1480). */
  maxPayloadLen?: number;
  /** Generate option areas (default true). */
  withOptions?: boolean;
}

/** Valid IPv4 headers (including fragment fields and options). */
export function arbIpv4Repr(opts: ArbIpv4ReprOptions = {}): fc.Arbitrary<Ipv4Repr> {
  const maxPayload = opts.maxPayloadLen ?? 1480;
  return fc
    .record({
      src: arbIpv4Addr(),
      dst: arbIpv4Addr(),
      protocol: fc.integer({ min: 0, max: 255 }),
      payloadLen: fc.integer({ min: 0, max: maxPayload }),
      ttl: fc.integer({ min: 0, max: 255 }),
      tos: fc.integer({ min: 0, max: 255 }),
      ident: fc.integer({ min: 0, max: 0xffff }),
      dontFrag: fc.boolean(),
      moreFrags: fc.boolean(),
      fragOffset: fc.integer({ min: 0, max: 0x1fff }).map((o) => o * 8),
      options: opts.withOptions === false ? fc.constant(new Uint8Array(0)) : arbIpv4Options(),
    })
    .map((r) => new Ipv4Repr(r));
}

/** Valid ICMP messages: echo, unreachable, time exceeded, and arbitrary types. */
export function arbIcmpRepr(): fc.Arbitrary<IcmpRepr> {
  const data = fc.uint8Array({ maxLength: 64 });
  return fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), data).map(([i, s, d]) => IcmpRepr.echoRequest(i, s, d)),
    fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), data).map(([i, s, d]) => IcmpRepr.echoReply(i, s, d)),
    fc.tuple(fc.integer({ min: 0, max: 15 }), data, fc.integer({ min: 0, max: 0xffff })).map(([c, d, m]) => IcmpRepr.dstUnreachable(c, d, c === 4 ? m : 0)),
    fc.tuple(fc.integer({ min: 0, max: 1 }), data).map(([c, d]) => IcmpRepr.timeExceeded(c, d)),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffffff }), data).map(([t, c, r, d]) => new IcmpRepr(t, c, r, d)),
  );
}

/** A valid UDP datagram: header repr plus payload and pseudo-header addresses. */
export interface UdpCase {
  repr: UdpRepr;
  payload: Uint8Array;
  src: Ipv4Addr;
  dst: Ipv4Addr;
}

/** Valid UDP datagrams with their pseudo-header addresses. */
export function arbUdpCase(maxPayloadLen = 512): fc.Arbitrary<UdpCase> {
  return fc
    .tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 0xffff }), fc.uint8Array({ maxLength: maxPayloadLen }), arbIpv4Addr(), arbIpv4Addr())
    .map(([sp, dp, payload, src, dst]) => ({ repr: new UdpRepr(sp, dp, payload.length), payload, src, dst }));
}

/** Valid UDP header reprs (payload length up to `maxPayloadLen`). */
export function arbUdpRepr(maxPayloadLen = 512): fc.Arbitrary<UdpRepr> {
  return arbUdpCase(maxPayloadLen).map((c) => c.repr);
}

/** Emits an Ethernet header into a fresh buffer. */
export function emitEthernet(r: EthernetRepr, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(r.bufferLen() + payload.length);
  r.emit(EthernetFrame.unchecked(b));
  b.set(payload, r.bufferLen());
  return b;
}
/** Emits an ARP packet into a fresh buffer. */
export function emitArp(r: ArpRepr): Uint8Array {
  const b = new Uint8Array(r.bufferLen());
  r.emit(ArpPacket.unchecked(b));
  return b;
}
/** Emits an IPv4 header followed by `payload` (zero-filled when omitted). */
export function emitIpv4(r: Ipv4Repr, payload?: Uint8Array): Uint8Array {
  const b = new Uint8Array(r.totalLen());
  r.emit(Ipv4Packet.unchecked(b));
  if (payload) b.set(payload.subarray(0, r.payloadLen), r.bufferLen());
  return b;
}
/** Emits an ICMP message into a fresh buffer. */
export function emitIcmp(r: IcmpRepr): Uint8Array {
  const b = new Uint8Array(r.bufferLen());
  r.emit(IcmpPacket.unchecked(b));
  return b;
}
/** Emits a UDP datagram into a fresh buffer. */
export function emitUdp(c: UdpCase): Uint8Array {
  const b = new Uint8Array(c.repr.bufferLen());
  c.repr.emit(UdpPacket.unchecked(b), c.src, c.dst, c.payload);
  return b;
}

/**
 * Deliberately malformed variants of valid byte strings: truncation, single
 * bit flips, overwritten bytes (lengths, IHL, checksums), appended garbage.
 * Every result differs from or is a prefix/extension of a valid encoding.
 */
export function arbMalformed(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return valid.chain((b) =>
    fc.oneof(
      fc.integer({ min: 0, max: Math.max(0, b.length - 1) }).map((n) => b.slice(0, n)),
      fc.tuple(fc.nat(Math.max(0, b.length * 8 - 1)), fc.constant(b)).map(([bit, x]) => {
        const c = x.slice();
        if (c.length) c[bit >>> 3]! ^= 1 << (bit & 7);
        return c;
      }),
      fc.tuple(fc.nat(Math.max(0, b.length - 1)), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
        const c = b.slice();
        if (c.length) c[i] = v;
        return c;
      }),
      fc.uint8Array({ minLength: 1, maxLength: 32 }).map((g) => Uint8Array.from([...b, ...g])),
    ),
  );
}

/** Malformed Ethernet frames. */
export const arbMalformedEthernet = (): fc.Arbitrary<Uint8Array> => arbMalformed(arbEthernetRepr().map((r) => emitEthernet(r)));
/** Malformed ARP packets. */
export const arbMalformedArp = (): fc.Arbitrary<Uint8Array> => arbMalformed(arbArpRepr().map(emitArp));
/** Malformed IPv4 packets. */
export const arbMalformedIpv4 = (): fc.Arbitrary<Uint8Array> => arbMalformed(arbIpv4Repr({ maxPayloadLen: 64 }).map((r) => emitIpv4(r)));
/** Malformed ICMP messages. */
export const arbMalformedIcmp = (): fc.Arbitrary<Uint8Array> => arbMalformed(arbIcmpRepr().map(emitIcmp));
/** Malformed UDP datagrams. */
export const arbMalformedUdp = (): fc.Arbitrary<Uint8Array> => arbMalformed(arbUdpCase(64).map(emitUdp));
