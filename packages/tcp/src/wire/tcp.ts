/**
 * TCP segment format (RFC 9293 §3.1; options RFC 7323, RFC 2018).
 *
 * Two levels, as in smoltcp: {@link TcpPacket} is a zero-copy view over the bytes
 * of a segment (`checked` verifies lengths once; afterwards no accessor throws),
 * and {@link TcpRepr} is a plain object with `parse` / `emit` / `bufferLen`.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-------------------------------+-------------------------------+
 * |          Source Port          |       Destination Port        |  SRC_PORT 0..2, DST_PORT 2..4
 * +-------------------------------+-------------------------------+
 * |                        Sequence Number                        |  SEQ 4..8
 * +---------------------------------------------------------------+
 * |                    Acknowledgment Number                      |  ACK 8..12
 * +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |  DOFF 12 (high nibble)
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |  FLAGS 13, WINDOW 14..16
 * +-------+-------+-+-+-+-+-+-+-+-+-------------------------------+
 * |           Checksum            |         Urgent Pointer        |  CHECKSUM 16..18, URGENT 18..20
 * +-------------------------------+-------------------------------+
 * |                           Options                             |  20..DOFF*4
 * ```
 *
 * Option parsing (Linux `tcp_parse_options`): EOL ends the list, NOP is skipped,
 * known kinds with a wrong length are ignored (as Linux does), unknown kinds are
 * skipped by their length byte, and a length byte < 2 or past the end stops
 * parsing — so garbage can never loop or read out of bounds.
 *
 * @module
 */

import { TcpParseError } from '../errors.js';
import { csumBytes, csumFinish, fold16, pseudoHeaderSum } from './checksum.js';

/** Field offsets of the fixed header. */
export const field = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DOFF: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  OPTIONS: 20,
} as const;

/** Minimum TCP header length. */
export const TCP_HEADER_LEN = 20;
/** Maximum TCP header length (data offset 15). */
export const TCP_MAX_HEADER_LEN = 60;

/** Flag bits in byte 13. */
export const TcpFlags = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Option kinds (IANA). */
export const TcpOptionKind = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/** A SACK block `[left, right)` (RFC 2018). */
export interface SackBlock {
  left: number;
  right: number;
}

/** Timestamps option (RFC 7323 §3). */
export interface TcpTimestamps {
  tsval: number;
  tsecr: number;
}

/**
 * A zero-copy view over the bytes of a TCP segment (header + payload).
 * Construct with {@link TcpPacket.checked}; accessors never throw after that.
 */
export class TcpPacket {
  readonly buf: Uint8Array;
  readonly off: number;
  readonly length: number;

  private constructor(buf: Uint8Array, off: number, length: number) {
    this.buf = buf;
    this.off = off;
    this.length = length;
  }

  /** A view without checks; the caller guarantees `length >= 20` and a valid data offset. */
  static unchecked(buf: Uint8Array, off = 0, length = buf.length - off): TcpPacket {
    return new TcpPacket(buf, off, length);
  }

  /**
   * A view over `buf[off, off+length)`.
   * @throws TcpParseError `TRUNCATED` when shorter than 20 bytes or than the data offset,
   *   `MALFORMED` when the data offset is below 5.
   */
  static checked(buf: Uint8Array, off = 0, length = buf.length - off): TcpPacket {
    if (off < 0 || length < 0 || off + length > buf.length) throw new TcpParseError('TRUNCATED', 'view out of bounds');
    if (length < TCP_HEADER_LEN) throw new TcpParseError('TRUNCATED', `segment of ${length} bytes is shorter than a TCP header`);
    const doff = (buf[off + field.DOFF]! >>> 4) * 4;
    if (doff < TCP_HEADER_LEN) throw new TcpParseError('MALFORMED', `data offset ${doff} < 20`);
    if (doff > length) throw new TcpParseError('TRUNCATED', `data offset ${doff} exceeds segment length ${length}`);
    return new TcpPacket(buf, off, length);
  }

  private u16(o: number): number {
    const b = this.buf;
    const i = this.off + o;
    return (b[i]! << 8) | b[i + 1]!;
  }
  private u32(o: number): number {
    const b = this.buf;
    const i = this.off + o;
    return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  }
  private setU16(o: number, v: number): void {
    const i = this.off + o;
    this.buf[i] = v >>> 8;
    this.buf[i + 1] = v;
  }
  private setU32(o: number, v: number): void {
    const i = this.off + o;
    const b = this.buf;
    b[i] = v >>> 24;
    b[i + 1] = v >>> 16;
    b[i + 2] = v >>> 8;
    b[i + 3] = v;
  }

  get srcPort(): number { return this.u16(field.SRC_PORT); }
  set srcPort(v: number) { this.setU16(field.SRC_PORT, v); }
  get dstPort(): number { return this.u16(field.DST_PORT); }
  set dstPort(v: number) { this.setU16(field.DST_PORT, v); }
  get seq(): number { return this.u32(field.SEQ); }
  set seq(v: number) { this.setU32(field.SEQ, v); }
  get ack(): number { return this.u32(field.ACK); }
  set ack(v: number) { this.setU32(field.ACK, v); }
  /** Header length in bytes (data offset · 4). */
  get headerLen(): number { return (this.buf[this.off + field.DOFF]! >>> 4) * 4; }
  set headerLen(v: number) { this.buf[this.off + field.DOFF] = (v >>> 2) << 4; }
  /** The 8 flag bits (CWR … FIN). */
  get flags(): number { return this.buf[this.off + field.FLAGS]!; }
  set flags(v: number) { this.buf[this.off + field.FLAGS] = v; }
  get window(): number { return this.u16(field.WINDOW); }
  set window(v: number) { this.setU16(field.WINDOW, v); }
  get checksum(): number { return this.u16(field.CHECKSUM); }
  set checksum(v: number) { this.setU16(field.CHECKSUM, v); }
  get urgentPtr(): number { return this.u16(field.URGENT); }
  set urgentPtr(v: number) { this.setU16(field.URGENT, v); }
  get syn(): boolean { return (this.flags & TcpFlags.SYN) !== 0; }
  get fin(): boolean { return (this.flags & TcpFlags.FIN) !== 0; }
  get rst(): boolean { return (this.flags & TcpFlags.RST) !== 0; }
  get ackFlag(): boolean { return (this.flags & TcpFlags.ACK) !== 0; }
  get psh(): boolean { return (this.flags & TcpFlags.PSH) !== 0; }
  /** Payload length (segment length minus header). */
  get payloadLen(): number { return this.length - this.headerLen; }
  /** Offset of the payload in `buf`. */
  get payloadOffset(): number { return this.off + this.headerLen; }
  /** The payload bytes (a subarray view, no copy). */
  payload(): Uint8Array { return this.buf.subarray(this.off + this.headerLen, this.off + this.length); }
  /** Sequence space consumed: payload + SYN + FIN. */
  get segLen(): number { return this.payloadLen + (this.syn ? 1 : 0) + (this.fin ? 1 : 0); }

  /** Verifies the checksum with the IPv4 pseudo header (RFC 9293 §3.1). */
  verifyChecksum(saddr: number, daddr: number): boolean {
    const s = pseudoHeaderSum(saddr, daddr, this.length);
    return fold16(s + csumBytes(this.buf, this.off, this.length)) === 0xffff;
  }
  /** Computes and stores the checksum over header + payload. */
  fillChecksum(saddr: number, daddr: number): void {
    this.checksum = 0;
    const s = pseudoHeaderSum(saddr, daddr, this.length);
    this.checksum = csumFinish(s + csumBytes(this.buf, this.off, this.length));
  }
}

/** Parsed TCP options. */
export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  sack?: SackBlock[];
  timestamps?: TcpTimestamps;
}

/**
 * Parses the options area `buf[off, end)` into `out`. Never throws, never loops:
 * every step advances by at least one byte, and a bad length stops parsing.
 */
export function parseTcpOptions(buf: Uint8Array, off: number, end: number, out: TcpOptions = {}): TcpOptions {
  let i = off;
  while (i < end) {
    const kind = buf[i]!;
    if (kind === TcpOptionKind.EOL) break;
    if (kind === TcpOptionKind.NOP) { i++; continue; }
    if (i + 1 >= end) break;
    const len = buf[i + 1]!;
    if (len < 2 || i + len > end) break;
    switch (kind) {
      case TcpOptionKind.MSS:
        if (len === 4) out.mss = (buf[i + 2]! << 8) | buf[i + 3]!;
        break;
      case TcpOptionKind.WSCALE:
        if (len === 3) out.windowScale = Math.min(buf[i + 2]!, 14); // RFC 7323 §2.3: clamp to 14
        break;
      case TcpOptionKind.SACK_PERMITTED:
        if (len === 2) out.sackPermitted = true;
        break;
      case TcpOptionKind.SACK:
        if (len >= 10 && (len - 2) % 8 === 0) {
          const blocks: SackBlock[] = [];
          for (let j = i + 2; j < i + len; j += 8) {
            blocks.push({
              left: ((buf[j]! << 24) | (buf[j + 1]! << 16) | (buf[j + 2]! << 8) | buf[j + 3]!) >>> 0,
              right: ((buf[j + 4]! << 24) | (buf[j + 5]! << 16) | (buf[j + 6]! << 8) | buf[j + 7]!) >>> 0,
            });
          }
          out.sack = blocks;
        }
        break;
      case TcpOptionKind.TIMESTAMP:
        if (len === 10) {
          out.timestamps = {
            tsval: ((buf[i + 2]! << 24) | (buf[i + 3]! << 16) | (buf[i + 4]! << 8) | buf[i + 5]!) >>> 0,
            tsecr: ((buf[i + 6]! << 24) | (buf[i + 7]! << 16) | (buf[i + 8]! << 8) | buf[i + 9]!) >>> 0,
          };
        }
        break;
      default:
        break; // unknown option: skipped by its length
    }
    i += len;
  }
  return out;
}

/** Bytes needed for the options of `o`, padded to a multiple of 4. */
export function tcpOptionsLen(o: TcpOptions): number {
  let n = 0;
  if (o.mss !== undefined) n += 4;
  if (o.windowScale !== undefined) n += 4; // NOP + 3
  if (o.sackPermitted === true) n += o.timestamps !== undefined ? 2 : 4; // packs with TS as in Linux
  if (o.timestamps !== undefined) n += o.sackPermitted === true ? 10 : 12;
  if (o.sack !== undefined && o.sack.length > 0) n += 4 + 8 * o.sack.length; // NOP NOP + 2 + 8n
  return (n + 3) & ~3;
}

function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

/** Writes the options of `o` at `buf[off]` in the Linux order; pads with NOPs/EOL. Returns bytes written. */
export function emitTcpOptions(o: TcpOptions, buf: Uint8Array, off: number): number {
  let i = off;
  if (o.mss !== undefined) {
    buf[i] = 2; buf[i + 1] = 4; buf[i + 2] = o.mss >>> 8; buf[i + 3] = o.mss; i += 4;
  }
  if (o.sackPermitted === true && o.timestamps !== undefined) {
    buf[i] = 4; buf[i + 1] = 2; buf[i + 2] = 8; buf[i + 3] = 10;
    put32(buf, i + 4, o.timestamps.tsval); put32(buf, i + 8, o.timestamps.tsecr); i += 12;
  } else {
    if (o.sackPermitted === true) { buf[i] = 1; buf[i + 1] = 1; buf[i + 2] = 4; buf[i + 3] = 2; i += 4; }
    if (o.timestamps !== undefined) {
      buf[i] = 1; buf[i + 1] = 1; buf[i + 2] = 8; buf[i + 3] = 10;
      put32(buf, i + 4, o.timestamps.tsval); put32(buf, i + 8, o.timestamps.tsecr); i += 12;
    }
  }
  if (o.windowScale !== undefined) {
    buf[i] = 1; buf[i + 1] = 3; buf[i + 2] = 3; buf[i + 3] = o.windowScale; i += 4;
  }
  if (o.sack !== undefined && o.sack.length > 0) {
    buf[i] = 1; buf[i + 1] = 1; buf[i + 2] = 5; buf[i + 3] = 2 + 8 * o.sack.length; i += 4;
    for (const b of o.sack) { put32(buf, i, b.left); put32(buf, i + 4, b.right); i += 8; }
  }
  const padded = off + (((i - off) + 3) & ~3);
  while (i < padded) buf[i++] = 0; // EOL padding
  return i - off;
}

/** Checksum handling requested from {@link TcpRepr.parse}. */
export interface TcpChecksumCaps {
  /** Verify the checksum (default true). Set false when the device verified it (CHECKSUM_UNNECESSARY). */
  verify?: boolean;
}

/**
 * A high-level, plain representation of a TCP header (RFC 9293 §3.1).
 * The payload is not part of the repr; `payloadLen` records its length when parsed.
 */
export class TcpRepr {
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  /** Raw (unscaled) window field. */
  window = 0;
  urgentPtr = 0;
  options: TcpOptions = {};
  /** Payload length in bytes (set by parse; informational for emit). */
  payloadLen = 0;

  constructor(init?: Partial<Omit<TcpRepr, 'bufferLen' | 'emit' | 'headerLen'>>) {
    if (init !== undefined) Object.assign(this, init);
  }

  /**
   * Parses a checked packet. Verifies the checksum against the pseudo header unless
   * `caps.verify === false`.
   * @throws TcpParseError `BAD_CHECKSUM`, or `MALFORMED` for port 0 / SYN+FIN / SYN+RST.
   */
  static parse(packet: TcpPacket, saddr: number, daddr: number, caps: TcpChecksumCaps = {}): TcpRepr {
    if (caps.verify !== false && !packet.verifyChecksum(saddr, daddr)) {
      throw new TcpParseError('BAD_CHECKSUM', 'TCP checksum does not verify');
    }
    if (packet.srcPort === 0 || packet.dstPort === 0) throw new TcpParseError('MALFORMED', 'port 0');
    const f = packet.flags;
    if ((f & TcpFlags.SYN) !== 0 && (f & (TcpFlags.FIN | TcpFlags.RST)) !== 0) {
      throw new TcpParseError('MALFORMED', 'SYN with FIN or RST');
    }
    const r = new TcpRepr();
    r.srcPort = packet.srcPort;
    r.dstPort = packet.dstPort;
    r.seq = packet.seq;
    r.ack = packet.ack;
    r.flags = f;
    r.window = packet.window;
    r.urgentPtr = packet.urgentPtr;
    r.options = parseTcpOptions(packet.buf, packet.off + TCP_HEADER_LEN, packet.off + packet.headerLen);
    r.payloadLen = packet.payloadLen;
    return r;
  }

  /** Header length including padded options. */
  headerLen(): number {
    return TCP_HEADER_LEN + tcpOptionsLen(this.options);
  }

  /** Bytes needed to emit header + payload. */
  bufferLen(): number {
    return this.headerLen() + this.payloadLen;
  }

  /**
   * Writes the header (and options) into the first bytes of `packet`. The checksum
   * is computed over the whole view (header + the payload already in place) with
   * the pseudo header when `saddr`/`daddr` are given, or left 0 otherwise.
   * @throws RangeError when the options do not fit in 40 bytes or the view is too short.
   */
  emit(packet: TcpPacket, saddr?: number, daddr?: number): void {
    const hl = this.headerLen();
    if (hl > TCP_MAX_HEADER_LEN) throw new RangeError(`TCP options too long (${hl - TCP_HEADER_LEN} > 40)`);
    if (packet.length < hl) throw new RangeError('buffer shorter than the TCP header');
    packet.srcPort = this.srcPort;
    packet.dstPort = this.dstPort;
    packet.seq = this.seq >>> 0;
    packet.ack = this.ack >>> 0;
    packet.headerLen = hl;
    packet.flags = this.flags;
    packet.window = this.window;
    packet.checksum = 0;
    packet.urgentPtr = this.urgentPtr;
    emitTcpOptions(this.options, packet.buf, packet.off + TCP_HEADER_LEN);
    if (saddr !== undefined && daddr !== undefined) packet.fillChecksum(saddr, daddr);
  }
}
