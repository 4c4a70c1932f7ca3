/**
 * ARP packets (RFC 826) for Ethernet/IPv4.
 *
 * ```
 *  0        2        4    5    6        8                14       18                24       28
 * +--------+--------+----+----+--------+-----------------+--------+-----------------+--------+
 * | htype  | ptype  |hlen|plen| oper   | sender MAC      |sender IP| target MAC     |target IP|
 * +--------+--------+----+----+--------+-----------------+--------+-----------------+--------+
 * ```
 *
 * {@link ArpPacket.checked} verifies the fixed 8-byte header and that the
 * buffer holds `8 + 2·(hlen + plen)` bytes; the address accessors then assume
 * hlen = 6 and plen = 4, which {@link ArpRepr.parse} verifies (other hardware
 * or protocol types are `UNSUPPORTED`).
 *
 * @module
 */
import { ParseError } from './error.js';
import type { Ipv4Addr, MacAddr } from './addr.js';
import { readIpv4, readU16, writeIpv4, writeU16 } from './addr.js';

/** Field offsets of an Ethernet/IPv4 ARP packet. */
export const ARP_FIELD = {
  HTYPE: 0,
  PTYPE: 2,
  HLEN: 4,
  PLEN: 5,
  OPER: 6,
  SHA: 8,
  SPA: 14,
  THA: 18,
  TPA: 24,
  END: 28,
} as const;

/** ARP operation codes. */
export const ArpOperation = { REQUEST: 1, REPLY: 2 } as const;
/** ARP operation code. */
export type ArpOperation = (typeof ArpOperation)[keyof typeof ArpOperation];

/** Hardware type Ethernet (ARPHRD_ETHER). */
export const ARPHRD_ETHER = 1;

/** A zero-copy view over an ARP packet. */
export class ArpPacket {
  readonly buffer: Uint8Array;
  private constructor(buffer: Uint8Array) {
    this.buffer = buffer;
  }
  /** Wraps without checks; caller guarantees ≥ 28 bytes. */
  static unchecked(buffer: Uint8Array): ArpPacket {
    return new ArpPacket(buffer);
  }
  /**
   * @throws ParseError `TRUNCATED` when shorter than the fixed header or than the
   *   addresses it announces, `MALFORMED` when the buffer is too short for
   *   Ethernet/IPv4 address accessors (hlen/plen smaller than 6/4)
   */
  static checked(buffer: Uint8Array): ArpPacket {
    if (buffer.length < 8) throw new ParseError('arp', 'TRUNCATED', `packet of ${buffer.length} bytes < 8`);
    const need = 8 + 2 * (buffer[ARP_FIELD.HLEN]! + buffer[ARP_FIELD.PLEN]!);
    if (buffer.length < need) throw new ParseError('arp', 'TRUNCATED', `packet of ${buffer.length} bytes < ${need} announced`);
    if (buffer.length < ARP_FIELD.END) throw new ParseError('arp', 'TRUNCATED', `packet of ${buffer.length} bytes < 28`);
    return new ArpPacket(buffer);
  }
  get htype(): number { return readU16(this.buffer, ARP_FIELD.HTYPE); }
  set htype(v: number) { writeU16(this.buffer, ARP_FIELD.HTYPE, v); }
  get ptype(): number { return readU16(this.buffer, ARP_FIELD.PTYPE); }
  set ptype(v: number) { writeU16(this.buffer, ARP_FIELD.PTYPE, v); }
  get hlen(): number { return this.buffer[ARP_FIELD.HLEN]!; }
  set hlen(v: number) { this.buffer[ARP_FIELD.HLEN] = v; }
  get plen(): number { return this.buffer[ARP_FIELD.PLEN]!; }
  set plen(v: number) { this.buffer[ARP_FIELD.PLEN] = v; }
  get operation(): number { return readU16(this.buffer, ARP_FIELD.OPER); }
  set operation(v: number) { writeU16(this.buffer, ARP_FIELD.OPER, v); }
  /** Sender hardware address (view). */
  get sha(): MacAddr { return this.buffer.subarray(ARP_FIELD.SHA, ARP_FIELD.SHA + 6); }
  set sha(m: MacAddr) { this.buffer.set(m.subarray(0, 6), ARP_FIELD.SHA); }
  get spa(): Ipv4Addr { return readIpv4(this.buffer, ARP_FIELD.SPA); }
  set spa(a: Ipv4Addr) { writeIpv4(this.buffer, ARP_FIELD.SPA, a); }
  /** Target hardware address (view). */
  get tha(): MacAddr { return this.buffer.subarray(ARP_FIELD.THA, ARP_FIELD.THA + 6); }
  set tha(m: MacAddr) { this.buffer.set(m.subarray(0, 6), ARP_FIELD.THA); }
  get tpa(): Ipv4Addr { return readIpv4(this.buffer, ARP_FIELD.TPA); }
  set tpa(a: Ipv4Addr) { writeIpv4(this.buffer, ARP_FIELD.TPA, a); }
}

/** Parsed Ethernet/IPv4 ARP packet. */
export class ArpRepr {
  constructor(
    public operation: ArpOperation,
    public senderHardwareAddr: MacAddr,
    public senderProtocolAddr: Ipv4Addr,
    public targetHardwareAddr: MacAddr,
    public targetProtocolAddr: Ipv4Addr,
  ) {}

  /**
   * @throws ParseError `UNSUPPORTED` unless htype 1 / ptype 0x0800 / hlen 6 /
   *   plen 4 and operation request (1) or reply (2)
   */
  static parse(p: ArpPacket): ArpRepr {
    if (p.htype !== ARPHRD_ETHER || p.ptype !== 0x0800 || p.hlen !== 6 || p.plen !== 4) {
      throw new ParseError('arp', 'UNSUPPORTED', `htype ${p.htype} ptype 0x${p.ptype.toString(16)} hlen ${p.hlen} plen ${p.plen}`);
    }
    const op = p.operation;
    if (op !== ArpOperation.REQUEST && op !== ArpOperation.REPLY) throw new ParseError('arp', 'UNSUPPORTED', `operation ${op}`);
    return new ArpRepr(op, p.sha.slice(), p.spa, p.tha.slice(), p.tpa);
  }

  /** 28 bytes. */
  bufferLen(): number {
    return ARP_FIELD.END;
  }

  /** Writes all fields. */
  emit(p: ArpPacket): void {
    p.htype = ARPHRD_ETHER;
    p.ptype = 0x0800;
    p.hlen = 6;
    p.plen = 4;
    p.operation = this.operation;
    p.sha = this.senderHardwareAddr;
    p.spa = this.senderProtocolAddr;
    p.tha = this.targetHardwareAddr;
    p.tpa = this.targetProtocolAddr;
  }
}
