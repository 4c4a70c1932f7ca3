/**
 * Ethernet II frames (IEEE 802.3 clause 3.2.6 "Length/Type" ≥ 0x0600; RFC 894).
 *
 * ```
 *  0                   6                  12      14
 * +-------------------+-------------------+-------+----------------
 * | destination MAC   | source MAC        | type  | payload …
 * +-------------------+-------------------+-------+----------------
 * ```
 *
 * Contract (smoltcp style): {@link EthernetFrame.checked} verifies the buffer
 * holds the 14-byte header; after that no accessor throws. 802.1Q tags and
 * 802.3 length frames (type < 0x0600) are rejected by {@link EthernetRepr.parse}.
 *
 * @module
 */
import { ParseError } from './error.js';
import type { MacAddr } from './addr.js';
import { readU16, writeU16 } from './addr.js';

/** Field offsets of the Ethernet II header. */
export const ETH_FIELD = {
  DESTINATION: 0,
  SOURCE: 6,
  ETHERTYPE: 12,
  PAYLOAD: 14,
} as const;

/** Length of the Ethernet II header (ETH_HLEN). */
export const ETH_HLEN = 14;

/** EtherType values (Linux `ETH_P_*`). */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
} as const;

/** A zero-copy view over an Ethernet II frame. */
export class EthernetFrame {
  /** The underlying bytes (the whole frame). */
  readonly buffer: Uint8Array;

  private constructor(buffer: Uint8Array) {
    this.buffer = buffer;
  }

  /** Wraps without checks; the caller guarantees `buffer.length ≥ 14`. */
  static unchecked(buffer: Uint8Array): EthernetFrame {
    return new EthernetFrame(buffer);
  }

  /**
   * Wraps `buffer` after checking it holds a full header.
   * @throws ParseError `TRUNCATED` when shorter than 14 bytes
   */
  static checked(buffer: Uint8Array): EthernetFrame {
    if (buffer.length < ETH_HLEN) throw new ParseError('ethernet', 'TRUNCATED', `frame of ${buffer.length} bytes < ${ETH_HLEN}`);
    return new EthernetFrame(buffer);
  }

  /** Destination MAC (a view, not a copy). */
  get dst(): MacAddr {
    return this.buffer.subarray(ETH_FIELD.DESTINATION, ETH_FIELD.DESTINATION + 6);
  }
  set dst(m: MacAddr) {
    this.buffer.set(m.subarray(0, 6), ETH_FIELD.DESTINATION);
  }
  /** Source MAC (a view). */
  get src(): MacAddr {
    return this.buffer.subarray(ETH_FIELD.SOURCE, ETH_FIELD.SOURCE + 6);
  }
  set src(m: MacAddr) {
    this.buffer.set(m.subarray(0, 6), ETH_FIELD.SOURCE);
  }
  /** EtherType. */
  get ethertype(): number {
    return readU16(this.buffer, ETH_FIELD.ETHERTYPE);
  }
  set ethertype(v: number) {
    writeU16(this.buffer, ETH_FIELD.ETHERTYPE, v);
  }
  /** Bytes after the header (a view). */
  get payload(): Uint8Array {
    return this.buffer.subarray(ETH_FIELD.PAYLOAD);
  }
}

/** Parsed Ethernet II header. */
export class EthernetRepr {
  constructor(
    /** Destination MAC (copied on parse). */
    public dst: MacAddr,
    /** Source MAC (copied on parse). */
    public src: MacAddr,
    /** EtherType (≥ 0x0600). */
    public ethertype: number,
  ) {}

  /**
   * Parses the header of a checked frame.
   * @throws ParseError `UNSUPPORTED` for 802.3 length frames (type < 0x0600)
   */
  static parse(frame: EthernetFrame): EthernetRepr {
    const t = frame.ethertype;
    if (t < 0x0600) throw new ParseError('ethernet', 'UNSUPPORTED', `802.3 length field ${t}, not Ethernet II`);
    return new EthernetRepr(frame.dst.slice(), frame.src.slice(), t);
  }

  /** Header length: 14. */
  bufferLen(): number {
    return ETH_HLEN;
  }

  /** Writes the header into `frame`. */
  emit(frame: EthernetFrame): void {
    frame.dst = this.dst;
    frame.src = this.src;
    frame.ethertype = this.ethertype;
  }
}
