/**
 * IPv4 headers (RFC 791, RFC 1122 §3.2.1; Linux `struct iphdr`).
 *
 * ```
 *  0       4       8              16      19                     31
 * +-------+-------+---------------+-------------------------------+
 * |version|  IHL  |  DSCP | ECN   |         total length          |
 * +-------+-------+---------------+-----+-------------------------+
 * |        identification         |flags|    fragment offset      |
 * +---------------+---------------+-----+-------------------------+
 * |      TTL      |   protocol    |        header checksum        |
 * +---------------+---------------+-------------------------------+
 * |                       source address                          |
 * |                    destination address                        |
 * |                 options (0–40 bytes) + padding                |
 * +---------------------------------------------------------------+
 * ```
 *
 * {@link Ipv4Packet.checked} applies the length checks of Linux `ip_rcv_core`:
 * at least 20 bytes, IHL ≥ 5, the buffer holds the IHL·4 header and the total
 * length, and total length ≥ IHL·4. Once checked, no accessor throws and
 * {@link Ipv4Packet.payload} excludes link-layer padding after `totalLen`.
 * {@link Ipv4Repr.parse} checks the version, the header checksum and the
 * option TLVs (walked with bounds checks, never trusted).
 *
 * @module
 */
import { ParseError } from './error.js';
import type { Ipv4Addr } from './addr.js';
import { readIpv4, readU16, writeIpv4, writeU16 } from './addr.js';
import { checksum16, fold16, sum16 } from './checksum.js';

/** Field offsets of the IPv4 header. */
export const IPV4_FIELD = {
  VER_IHL: 0,
  DSCP_ECN: 1,
  LENGTH: 2,
  IDENT: 4,
  FLG_OFF: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC_ADDR: 12,
  DST_ADDR: 16,
  OPTIONS: 20,
} as const;

/** Minimum IPv4 header length. */
export const IPV4_HEADER_LEN = 20;
/** Maximum IPv4 header length (IHL 15). */
export const IPV4_MAX_HEADER_LEN = 60;
/** Flag bits in the FLG_OFF word. */
export const IP_RF = 0x8000;
/** Don't Fragment. */
export const IP_DF = 0x4000;
/** More Fragments. */
export const IP_MF = 0x2000;
/** Fragment offset mask (in 8-byte units). */
export const IP_OFFSET = 0x1fff;

/** IP protocol numbers (IANA; Linux `IPPROTO_*`). */
export const IpProtocol = {
  ICMP: 1,
  IGMP: 2,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  GRE: 47,
  RAW: 255,
} as const;

/** Option type numbers (RFC 791 §3.1). */
export const Ipv4OptionType = {
  END: 0,
  NOOP: 1,
  RR: 7,
  TIMESTAMP: 68,
  SECURITY: 130,
  LSRR: 131,
  SSRR: 137,
  ROUTER_ALERT: 148,
} as const;

/** One IP option as found on the wire. */
export interface Ipv4Option {
  /** Option type octet (copied flag, class, number). */
  readonly type: number;
  /** Option data after type/length (empty for NOP). A view. */
  readonly data: Uint8Array;
}

/**
 * Walks an option area safely (RFC 791 §3.1; Linux `__ip_options_compile` length
 * checks). EOL ends the list; NOP is one byte; every other option needs a length
 * octet with 2 ≤ len ≤ remaining bytes.
 *
 * @throws ParseError `MALFORMED` on a truncated option or bad length
 */
export function parseIpv4Options(options: Uint8Array): Ipv4Option[] {
  const out: Ipv4Option[] = [];
  let i = 0;
  while (i < options.length) {
    const t = options[i]!;
    if (t === Ipv4OptionType.END) break;
    if (t === Ipv4OptionType.NOOP) {
      out.push({ type: t, data: options.subarray(i + 1, i + 1) });
      i += 1;
      continue;
    }
    if (i + 1 >= options.length) throw new ParseError('ipv4', 'MALFORMED', `option ${t} lacks a length octet`);
    const l = options[i + 1]!;
    if (l < 2 || i + l > options.length) throw new ParseError('ipv4', 'MALFORMED', `option ${t} length ${l} out of bounds`);
    out.push({ type: t, data: options.subarray(i + 2, i + l) });
    i += l;
  }
  return out;
}

/** A zero-copy view over an IPv4 packet. */
export class Ipv4Packet {
  /** The underlying bytes (may extend past `totalLen`, e.g. Ethernet padding). */
  readonly buffer: Uint8Array;
  private constructor(buffer: Uint8Array) {
    this.buffer = buffer;
  }

  /** Wraps without checks: caller guarantees the invariants of {@link checked}. */
  static unchecked(buffer: Uint8Array): Ipv4Packet {
    return new Ipv4Packet(buffer);
  }

  /**
   * Wraps `buffer` after the `ip_rcv_core` length checks.
   * @throws ParseError `TRUNCATED` (< 20 bytes, or < IHL·4, or < total length),
   *   `MALFORMED` (IHL < 5, total length < IHL·4)
   */
  static checked(buffer: Uint8Array): Ipv4Packet {
    const len = buffer.length;
    if (len < IPV4_HEADER_LEN) throw new ParseError('ipv4', 'TRUNCATED', `packet of ${len} bytes < 20`);
    const hl = (buffer[0]! & 0x0f) * 4;
    if (hl < IPV4_HEADER_LEN) throw new ParseError('ipv4', 'MALFORMED', `IHL ${hl / 4} < 5`);
    if (len < hl) throw new ParseError('ipv4', 'TRUNCATED', `packet of ${len} bytes < header length ${hl}`);
    const tot = readU16(buffer, IPV4_FIELD.LENGTH);
    if (tot < hl) throw new ParseError('ipv4', 'MALFORMED', `total length ${tot} < header length ${hl}`);
    if (len < tot) throw new ParseError('ipv4', 'TRUNCATED', `packet of ${len} bytes < total length ${tot}`);
    return new Ipv4Packet(buffer);
  }

  get version(): number { return this.buffer[0]! >>> 4; }
  set version(v: number) { this.buffer[0] = (v << 4) | (this.buffer[0]! & 0x0f); }
  /** Header length in bytes (IHL·4). */
  get headerLen(): number { return (this.buffer[0]! & 0x0f) * 4; }
  set headerLen(bytes: number) { this.buffer[0] = (this.buffer[0]! & 0xf0) | ((bytes >>> 2) & 0x0f); }
  /** The whole TOS octet (DSCP << 2 | ECN). */
  get tos(): number { return this.buffer[IPV4_FIELD.DSCP_ECN]!; }
  set tos(v: number) { this.buffer[IPV4_FIELD.DSCP_ECN] = v; }
  get dscp(): number { return this.tos >>> 2; }
  get ecn(): number { return this.tos & 3; }
  get totalLen(): number { return readU16(this.buffer, IPV4_FIELD.LENGTH); }
  set totalLen(v: number) { writeU16(this.buffer, IPV4_FIELD.LENGTH, v); }
  get ident(): number { return readU16(this.buffer, IPV4_FIELD.IDENT); }
  set ident(v: number) { writeU16(this.buffer, IPV4_FIELD.IDENT, v); }
  /** The raw flags+offset word. */
  get fragWord(): number { return readU16(this.buffer, IPV4_FIELD.FLG_OFF); }
  set fragWord(v: number) { writeU16(this.buffer, IPV4_FIELD.FLG_OFF, v); }
  get dontFrag(): boolean { return (this.fragWord & IP_DF) !== 0; }
  get moreFrags(): boolean { return (this.fragWord & IP_MF) !== 0; }
  /** Fragment offset in bytes. */
  get fragOffset(): number { return (this.fragWord & IP_OFFSET) * 8; }
  /** True when this is a fragment (MF set or offset ≠ 0; Linux `ip_is_fragment`). */
  get isFragment(): boolean { return (this.fragWord & (IP_MF | IP_OFFSET)) !== 0; }
  get ttl(): number { return this.buffer[IPV4_FIELD.TTL]!; }
  set ttl(v: number) { this.buffer[IPV4_FIELD.TTL] = v; }
  get protocol(): number { return this.buffer[IPV4_FIELD.PROTOCOL]!; }
  set protocol(v: number) { this.buffer[IPV4_FIELD.PROTOCOL] = v; }
  get checksum(): number { return readU16(this.buffer, IPV4_FIELD.CHECKSUM); }
  set checksum(v: number) { writeU16(this.buffer, IPV4_FIELD.CHECKSUM, v); }
  get src(): Ipv4Addr { return readIpv4(this.buffer, IPV4_FIELD.SRC_ADDR); }
  set src(a: Ipv4Addr) { writeIpv4(this.buffer, IPV4_FIELD.SRC_ADDR, a); }
  get dst(): Ipv4Addr { return readIpv4(this.buffer, IPV4_FIELD.DST_ADDR); }
  set dst(a: Ipv4Addr) { writeIpv4(this.buffer, IPV4_FIELD.DST_ADDR, a); }
  /** Raw option bytes (view, includes padding). */
  get options(): Uint8Array { return this.buffer.subarray(IPV4_FIELD.OPTIONS, this.headerLen); }
  /** Payload between the header and `totalLen` (view, link padding excluded). */
  get payload(): Uint8Array { return this.buffer.subarray(this.headerLen, this.totalLen); }

  /** True when the header checksum verifies (Linux `ip_fast_csum(iph, ihl) == 0`). */
  verifyChecksum(): boolean {
    return fold16(sum16(this.buffer, 0, this.headerLen)) === 0xffff;
  }

  /** Recomputes and stores the header checksum (Linux `ip_send_check`). */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = checksum16(sum16(this.buffer, 0, this.headerLen));
  }
}

/** Fields accepted by the {@link Ipv4Repr} constructor. */
export interface Ipv4ReprInit {
  src: Ipv4Addr;
  dst: Ipv4Addr;
  protocol: number;
  /** Bytes after the header. */
  payloadLen: number;
  ttl?: number;
  tos?: number;
  ident?: number;
  dontFrag?: boolean;
  moreFrags?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** Raw option bytes, length a multiple of 4, at most 40. */
  options?: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** A parsed IPv4 header. */
export class Ipv4Repr {
  src: Ipv4Addr;
  dst: Ipv4Addr;
  protocol: number;
  payloadLen: number;
  ttl: number;
  tos: number;
  ident: number;
  dontFrag: boolean;
  moreFrags: boolean;
  fragOffset: number;
  options: Uint8Array;

  /** @throws RangeError on out-of-range fields (options not 4-aligned, > 40 bytes, total > 65535 …) */
  constructor(init: Ipv4ReprInit) {
    this.src = init.src >>> 0;
    this.dst = init.dst >>> 0;
    this.protocol = init.protocol;
    this.payloadLen = init.payloadLen;
    this.ttl = init.ttl ?? 64;
    this.tos = init.tos ?? 0;
    this.ident = init.ident ?? 0;
    this.dontFrag = init.dontFrag ?? false;
    this.moreFrags = init.moreFrags ?? false;
    this.fragOffset = init.fragOffset ?? 0;
    this.options = init.options ?? EMPTY;
    if (this.options.length % 4 !== 0 || this.options.length > 40) throw new RangeError(`options length ${this.options.length} must be a multiple of 4 ≤ 40`);
    if (this.fragOffset % 8 !== 0 || this.fragOffset < 0 || this.fragOffset > IP_OFFSET * 8) throw new RangeError(`fragment offset ${this.fragOffset}`);
    if (this.payloadLen < 0 || this.bufferLen() + this.payloadLen > 0xffff) throw new RangeError(`payload length ${this.payloadLen}`);
  }

  /**
   * Parses a checked packet.
   * @param opts.verifyChecksum - verify the header checksum (default true; pass
   *   false when the device reported CHECKSUM_UNNECESSARY)
   * @throws ParseError `UNSUPPORTED` (version ≠ 4), `BAD_CHECKSUM`, `MALFORMED`
   *   (bad option TLVs)
   */
  static parse(p: Ipv4Packet, opts?: { verifyChecksum?: boolean }): Ipv4Repr {
    if (p.version !== 4) throw new ParseError('ipv4', 'UNSUPPORTED', `version ${p.version}`);
    if ((opts?.verifyChecksum ?? true) && !p.verifyChecksum()) throw new ParseError('ipv4', 'BAD_CHECKSUM', `header checksum 0x${p.checksum.toString(16)} does not verify`);
    const options = p.options;
    if (options.length > 0) parseIpv4Options(options);
    const w = p.fragWord;
    return new Ipv4Repr({
      src: p.src,
      dst: p.dst,
      protocol: p.protocol,
      payloadLen: p.totalLen - p.headerLen,
      ttl: p.ttl,
      tos: p.tos,
      ident: p.ident,
      dontFrag: (w & IP_DF) !== 0,
      moreFrags: (w & IP_MF) !== 0,
      fragOffset: (w & IP_OFFSET) * 8,
      options: options.slice(),
    });
  }

  /** Header length in bytes: 20 + options. */
  bufferLen(): number {
    return IPV4_HEADER_LEN + this.options.length;
  }

  /** Header + payload length (the total-length field). */
  totalLen(): number {
    return this.bufferLen() + this.payloadLen;
  }

  /**
   * Writes the header (all fields and the checksum) into `p`. `p.buffer` must
   * hold at least {@link bufferLen} bytes.
   */
  emit(p: Ipv4Packet): void {
    const b = p.buffer;
    const hl = this.bufferLen();
    b[0] = 0x40 | (hl >>> 2);
    b[1] = this.tos;
    writeU16(b, IPV4_FIELD.LENGTH, hl + this.payloadLen);
    writeU16(b, IPV4_FIELD.IDENT, this.ident);
    writeU16(b, IPV4_FIELD.FLG_OFF, (this.dontFrag ? IP_DF : 0) | (this.moreFrags ? IP_MF : 0) | (this.fragOffset >>> 3));
    b[IPV4_FIELD.TTL] = this.ttl;
    b[IPV4_FIELD.PROTOCOL] = this.protocol;
    writeU16(b, IPV4_FIELD.CHECKSUM, 0);
    writeIpv4(b, IPV4_FIELD.SRC_ADDR, this.src);
    writeIpv4(b, IPV4_FIELD.DST_ADDR, this.dst);
    if (this.options.length) b.set(this.options, IPV4_FIELD.OPTIONS);
    writeU16(b, IPV4_FIELD.CHECKSUM, checksum16(sum16(b, 0, hl)));
  }
}
