/**
 * UDP datagrams (RFC 768; RFC 1122 §4.1.3.4 zero checksum means "none").
 *
 * ```
 *  0              16             31
 * +---------------+---------------+
 * |  source port  |   dest port   |
 * |    length     |   checksum    |
 * +---------------+---------------+
 * ```
 *
 * {@link UdpPacket.checked}: at least 8 bytes, 8 ≤ length ≤ buffer. The
 * payload view stops at `length` (trailing bytes are ignored, as Linux's
 * `pskb_trim_rcsum` in `__udp4_lib_rcv`). {@link UdpRepr.parse} verifies the
 * checksum with the IPv4 pseudo-header unless it is zero.
 *
 * @module
 */
import { ParseError } from './error.js';
import type { Ipv4Addr } from './addr.js';
import { readU16, writeU16 } from './addr.js';
import { checksum16, fold16, pseudoHeaderSum, sum16 } from './checksum.js';

/** Field offsets of the UDP header. */
export const UDP_FIELD = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6, PAYLOAD: 8 } as const;
/** UDP header length. */
export const UDP_HEADER_LEN = 8;

/** A zero-copy view over a UDP datagram. */
export class UdpPacket {
  readonly buffer: Uint8Array;
  private constructor(buffer: Uint8Array) {
    this.buffer = buffer;
  }
  static unchecked(buffer: Uint8Array): UdpPacket {
    return new UdpPacket(buffer);
  }
  /** @throws ParseError `TRUNCATED` (< 8 bytes or < length field), `MALFORMED` (length < 8) */
  static checked(buffer: Uint8Array): UdpPacket {
    if (buffer.length < UDP_HEADER_LEN) throw new ParseError('udp', 'TRUNCATED', `datagram of ${buffer.length} bytes < 8`);
    const l = readU16(buffer, UDP_FIELD.LENGTH);
    if (l < UDP_HEADER_LEN) throw new ParseError('udp', 'MALFORMED', `length field ${l} < 8`);
    if (l > buffer.length) throw new ParseError('udp', 'TRUNCATED', `length field ${l} > ${buffer.length} bytes`);
    return new UdpPacket(buffer);
  }
  get srcPort(): number { return readU16(this.buffer, UDP_FIELD.SRC_PORT); }
  set srcPort(v: number) { writeU16(this.buffer, UDP_FIELD.SRC_PORT, v); }
  get dstPort(): number { return readU16(this.buffer, UDP_FIELD.DST_PORT); }
  set dstPort(v: number) { writeU16(this.buffer, UDP_FIELD.DST_PORT, v); }
  get length(): number { return readU16(this.buffer, UDP_FIELD.LENGTH); }
  set length(v: number) { writeU16(this.buffer, UDP_FIELD.LENGTH, v); }
  get checksum(): number { return readU16(this.buffer, UDP_FIELD.CHECKSUM); }
  set checksum(v: number) { writeU16(this.buffer, UDP_FIELD.CHECKSUM, v); }
  /** Payload up to the length field (view). */
  get payload(): Uint8Array { return this.buffer.subarray(UDP_FIELD.PAYLOAD, this.length); }

  /** True when the checksum is zero (not computed) or verifies. */
  verifyChecksum(src: Ipv4Addr, dst: Ipv4Addr): boolean {
    if (this.checksum === 0) return true;
    const l = this.length;
    return fold16(sum16(this.buffer, 0, l, pseudoHeaderSum(src, dst, 17, l))) === 0xffff;
  }

  /** Computes the checksum over header + payload (0 is sent as 0xffff). */
  fillChecksum(src: Ipv4Addr, dst: Ipv4Addr): void {
    this.checksum = 0;
    const l = this.length;
    const c = checksum16(sum16(this.buffer, 0, l, pseudoHeaderSum(src, dst, 17, l)));
    this.checksum = c === 0 ? 0xffff : c;
  }
}

/** A parsed UDP header. The payload stays in the packet (zero copy). */
export class UdpRepr {
  constructor(
    public srcPort: number,
    public dstPort: number,
    /** Payload length in bytes. */
    public payloadLen: number,
  ) {}

  /**
   * @param src - IPv4 source (pseudo-header)
   * @param dst - IPv4 destination (pseudo-header)
   * @param opts.verifyChecksum - default true
   * @throws ParseError `BAD_CHECKSUM`; `MALFORMED` for destination port 0
   */
  static parse(p: UdpPacket, src: Ipv4Addr, dst: Ipv4Addr, opts?: { verifyChecksum?: boolean }): UdpRepr {
    if (p.dstPort === 0) throw new ParseError('udp', 'MALFORMED', 'destination port 0');
    if ((opts?.verifyChecksum ?? true) && !p.verifyChecksum(src, dst)) throw new ParseError('udp', 'BAD_CHECKSUM', `checksum 0x${p.checksum.toString(16)} does not verify`);
    return new UdpRepr(p.srcPort, p.dstPort, p.length - UDP_HEADER_LEN);
  }

  /** 8 + payload length. */
  bufferLen(): number {
    return UDP_HEADER_LEN + this.payloadLen;
  }

  /**
   * Writes the header; copies `payload` if given (else the payload must already
   * be in place), then fills the checksum unless `opts.checksum === false`.
   */
  emit(p: UdpPacket, src: Ipv4Addr, dst: Ipv4Addr, payload?: Uint8Array, opts?: { checksum?: boolean }): void {
    p.srcPort = this.srcPort;
    p.dstPort = this.dstPort;
    p.length = UDP_HEADER_LEN + this.payloadLen;
    if (payload) p.buffer.set(payload.subarray(0, this.payloadLen), UDP_FIELD.PAYLOAD);
    if (opts?.checksum === false) p.checksum = 0;
    else p.fillChecksum(src, dst);
  }
}
