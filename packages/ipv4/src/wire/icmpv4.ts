/**
 * ICMPv4 messages (RFC 792, RFC 1191 for "fragmentation needed" next-hop MTU,
 * RFC 1812 §4.3 for what routers send).
 *
 * ```
 *  0       8       16                31
 * +-------+-------+-------------------+
 * | type  | code  |     checksum      |
 * +-------+-------+-------------------+
 * |        rest of header (4)         |   echo: ident | seq; unreach: unused | next-hop MTU
 * +-----------------------------------+
 * |   data …                          |   echo payload, or offending IP header + 8 bytes
 * ```
 *
 * {@link IcmpPacket.checked} needs the 8-byte header. {@link IcmpRepr.parse}
 * verifies the checksum over the whole message; every type parses (unknown
 * types keep their raw `rest` word), so the repr roundtrips exactly.
 *
 * @module
 */
import { ParseError } from './error.js';
import { readU16, readU32, writeU16, writeU32 } from './addr.js';
import { checksum16, fold16, sum16 } from './checksum.js';

/** Field offsets of the ICMP header. */
export const ICMP_FIELD = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  REST: 4,
  ECHO_IDENT: 4,
  ECHO_SEQNO: 6,
  MTU: 6,
  DATA: 8,
} as const;

/** ICMP header length. */
export const ICMP_HEADER_LEN = 8;

/** ICMP message types (Linux `ICMP_*`). */
export const IcmpType = {
  ECHO_REPLY: 0,
  DEST_UNREACH: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROB: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
} as const;

/** Codes for {@link IcmpType.DEST_UNREACH}. */
export const IcmpUnreachCode = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAG_NEEDED: 4,
  SR_FAILED: 5,
  NET_UNKNOWN: 6,
  HOST_UNKNOWN: 7,
  NET_ANO: 9,
  HOST_ANO: 10,
  PKT_FILTERED: 13,
} as const;

/** Codes for {@link IcmpType.REDIRECT}. */
export const IcmpRedirectCode = { NET: 0, HOST: 1, TOS_NET: 2, TOS_HOST: 3 } as const;

/** Codes for {@link IcmpType.TIME_EXCEEDED}. */
export const IcmpTimeExceededCode = { TTL: 0, FRAG_REASM: 1 } as const;

/** True for error messages (those that quote an offending datagram). */
export function isIcmpError(type: number): boolean {
  return type === IcmpType.DEST_UNREACH || type === IcmpType.SOURCE_QUENCH || type === IcmpType.REDIRECT || type === IcmpType.TIME_EXCEEDED || type === IcmpType.PARAMETER_PROB;
}

/** A zero-copy view over an ICMP message. */
export class IcmpPacket {
  readonly buffer: Uint8Array;
  private constructor(buffer: Uint8Array) {
    this.buffer = buffer;
  }
  static unchecked(buffer: Uint8Array): IcmpPacket {
    return new IcmpPacket(buffer);
  }
  /** @throws ParseError `TRUNCATED` when shorter than 8 bytes */
  static checked(buffer: Uint8Array): IcmpPacket {
    if (buffer.length < ICMP_HEADER_LEN) throw new ParseError('icmpv4', 'TRUNCATED', `message of ${buffer.length} bytes < 8`);
    return new IcmpPacket(buffer);
  }
  get type(): number { return this.buffer[ICMP_FIELD.TYPE]!; }
  set type(v: number) { this.buffer[ICMP_FIELD.TYPE] = v; }
  get code(): number { return this.buffer[ICMP_FIELD.CODE]!; }
  set code(v: number) { this.buffer[ICMP_FIELD.CODE] = v; }
  get checksum(): number { return readU16(this.buffer, ICMP_FIELD.CHECKSUM); }
  set checksum(v: number) { writeU16(this.buffer, ICMP_FIELD.CHECKSUM, v); }
  /** The 32-bit "rest of header" word. */
  get rest(): number { return readU32(this.buffer, ICMP_FIELD.REST); }
  set rest(v: number) { writeU32(this.buffer, ICMP_FIELD.REST, v); }
  get echoIdent(): number { return readU16(this.buffer, ICMP_FIELD.ECHO_IDENT); }
  get echoSeqNo(): number { return readU16(this.buffer, ICMP_FIELD.ECHO_SEQNO); }
  /** Next-hop MTU of a frag-needed message (RFC 1191). */
  get nextHopMtu(): number { return readU16(this.buffer, ICMP_FIELD.MTU); }
  /** Data after the 8-byte header (view). */
  get data(): Uint8Array { return this.buffer.subarray(ICMP_FIELD.DATA); }
  /** True when the checksum over the whole message verifies. */
  verifyChecksum(): boolean {
    return fold16(sum16(this.buffer, 0, this.buffer.length)) === 0xffff;
  }
  /** Recomputes the checksum over the whole message. */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = checksum16(sum16(this.buffer, 0, this.buffer.length));
  }
}

/** A parsed ICMP message. `data` is a view into the parsed packet. */
export class IcmpRepr {
  constructor(
    /** Message type ({@link IcmpType}). */
    public type: number,
    /** Message code. */
    public code: number,
    /** The 32-bit rest-of-header word (echo ident/seq, next-hop MTU, gateway…). */
    public rest: number,
    /** Message data after the header. */
    public data: Uint8Array,
  ) {}

  /** An echo request (ping). */
  static echoRequest(ident: number, seqNo: number, data: Uint8Array): IcmpRepr {
    return new IcmpRepr(IcmpType.ECHO, 0, ((ident << 16) | seqNo) >>> 0, data);
  }
  /** An echo reply. */
  static echoReply(ident: number, seqNo: number, data: Uint8Array): IcmpRepr {
    return new IcmpRepr(IcmpType.ECHO_REPLY, 0, ((ident << 16) | seqNo) >>> 0, data);
  }
  /** Destination unreachable; `nextHopMtu` only for FRAG_NEEDED (RFC 1191). */
  static dstUnreachable(code: number, quoted: Uint8Array, nextHopMtu = 0): IcmpRepr {
    return new IcmpRepr(IcmpType.DEST_UNREACH, code, nextHopMtu & 0xffff, quoted);
  }
  /** Time exceeded (TTL or reassembly). */
  static timeExceeded(code: number, quoted: Uint8Array): IcmpRepr {
    return new IcmpRepr(IcmpType.TIME_EXCEEDED, code, 0, quoted);
  }

  get ident(): number { return this.rest >>> 16; }
  get seqNo(): number { return this.rest & 0xffff; }
  get nextHopMtu(): number { return this.rest & 0xffff; }

  /**
   * @param opts.verifyChecksum - default true
   * @throws ParseError `BAD_CHECKSUM`
   */
  static parse(p: IcmpPacket, opts?: { verifyChecksum?: boolean }): IcmpRepr {
    if ((opts?.verifyChecksum ?? true) && !p.verifyChecksum()) throw new ParseError('icmpv4', 'BAD_CHECKSUM', `checksum 0x${p.checksum.toString(16)} does not verify`);
    return new IcmpRepr(p.type, p.code, p.rest, p.data);
  }

  /** 8 + data length. */
  bufferLen(): number {
    return ICMP_HEADER_LEN + this.data.length;
  }

  /**
   * Writes header and data and fills the checksum. `p.buffer` must be exactly
   * {@link bufferLen} bytes (the checksum covers the whole buffer).
   */
  emit(p: IcmpPacket): void {
    const b = p.buffer;
    b[0] = this.type;
    b[1] = this.code;
    writeU32(b, ICMP_FIELD.REST, this.rest);
    if (this.data.length && this.data !== b.subarray(ICMP_FIELD.DATA)) b.set(this.data, ICMP_FIELD.DATA);
    p.fillChecksum();
  }
}
