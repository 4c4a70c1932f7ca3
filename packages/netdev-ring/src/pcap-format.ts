/**
 * libpcap capture file format (pure encoder and parser, no I/O).
 *
 * File header (24 bytes, little-endian here) — see pcap(5) / pcap-savefile(5)
 * and draft-ietf-opsawg-pcap:
 *
 * ```
 *  0  magic        0xa1b23c4d (nanosecond timestamps) or 0xa1b2c3d4 (microseconds)
 *  4  version      2.4
 *  8  thiszone     0   (reserved)
 * 12  sigfigs      0   (reserved)
 * 16  snaplen      maximum bytes stored per packet
 * 20  linktype     1 = LINKTYPE_ETHERNET, 101 = LINKTYPE_RAW (raw IPv4/IPv6)
 * ```
 *
 * Each record: `ts_sec, ts_frac (ns or µs), incl_len, orig_len` (4 × u32) then
 * `incl_len` bytes (`incl_len = min(orig_len, snaplen)`).
 *
 * @module
 */
import { NetdevError } from './errors.js';

/** Link types we write. */
export type PcapLinkType = 'ethernet' | 'raw';

/** LINKTYPE_* numbers (www.tcpdump.org/linktypes.html). */
export const LINKTYPE = { ethernet: 1, raw: 101 } as const;

/** Magic number of nanosecond-resolution captures. */
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Magic number of microsecond-resolution captures (classic libpcap). */
export const PCAP_MAGIC_US = 0xa1b2c3d4;

/** Size of the file header. */
export const PCAP_FILE_HEADER_LEN = 24;
/** Size of a record header. */
export const PCAP_RECORD_HEADER_LEN = 16;

/** Options shared by the encoder and {@link PcapWriter}. */
export interface PcapOptions {
  /** Link type of every record (default 'ethernet'). */
  linkType?: PcapLinkType;
  /** Bytes kept per frame (default 262144, tcpdump's default). */
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d; default true) or microseconds. */
  nanosecond?: boolean;
}

/** Encodes the 24-byte file header. */
export function encodePcapHeader(opts: PcapOptions = {}): Uint8Array {
  const out = new Uint8Array(PCAP_FILE_HEADER_LEN);
  const v = new DataView(out.buffer);
  v.setUint32(0, opts.nanosecond === false ? PCAP_MAGIC_US : PCAP_MAGIC_NS, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, opts.snaplen ?? 262144, true);
  v.setUint32(20, LINKTYPE[opts.linkType ?? 'ethernet'], true);
  return out;
}

/**
 * Writes a 16-byte record header into `dst` at `off`.
 * @param tsNs timestamp in nanoseconds (a bigint or a number; numbers are exact up to ~104 days)
 */
export function encodeRecordHeader(
  dst: Uint8Array,
  off: number,
  tsNs: bigint | number,
  inclLen: number,
  origLen: number,
  nanosecond = true,
): void {
  const v = new DataView(dst.buffer, dst.byteOffset + off, PCAP_RECORD_HEADER_LEN);
  let sec: number;
  let frac: number;
  if (typeof tsNs === 'bigint') {
    sec = Number(tsNs / 1_000_000_000n);
    frac = Number(tsNs % 1_000_000_000n);
  } else {
    const t = Math.max(0, Math.floor(tsNs));
    sec = Math.floor(t / 1e9);
    frac = t - sec * 1e9;
  }
  if (!nanosecond) frac = Math.floor(frac / 1000);
  v.setUint32(0, sec >>> 0, true);
  v.setUint32(4, frac >>> 0, true);
  v.setUint32(8, inclLen, true);
  v.setUint32(12, origLen, true);
}

/** One parsed record. */
export interface PcapRecord {
  /** Timestamp in nanoseconds. */
  tsNs: bigint;
  /** Original length on the wire. */
  origLen: number;
  /** Captured bytes (a view into the input). */
  data: Uint8Array;
}

/** A parsed capture. */
export interface PcapFile {
  linkType: number;
  snaplen: number;
  nanosecond: boolean;
  records: PcapRecord[];
}

/**
 * Parses a whole pcap file (either byte order, µs or ns magic).
 * @throws NetdevError `ERR_PCAP_FORMAT` on a bad magic or a truncated record
 */
export function parsePcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < PCAP_FILE_HEADER_LEN) throw new NetdevError('ERR_PCAP_FORMAT', 'pcap: truncated file header');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  let magic = v.getUint32(0, true);
  if (magic !== PCAP_MAGIC_NS && magic !== PCAP_MAGIC_US) {
    magic = v.getUint32(0, false);
    le = false;
    if (magic !== PCAP_MAGIC_NS && magic !== PCAP_MAGIC_US) {
      throw new NetdevError('ERR_PCAP_FORMAT', 'pcap: bad magic');
    }
  }
  const nanosecond = magic === PCAP_MAGIC_NS;
  const snaplen = v.getUint32(16, le);
  const linkType = v.getUint32(20, le);
  const records: PcapRecord[] = [];
  let off = PCAP_FILE_HEADER_LEN;
  while (off < bytes.length) {
    if (off + PCAP_RECORD_HEADER_LEN > bytes.length) throw new NetdevError('ERR_PCAP_FORMAT', 'pcap: truncated record header');
    const sec = v.getUint32(off, le);
    const frac = v.getUint32(off + 4, le);
    const incl = v.getUint32(off + 8, le);
    const orig = v.getUint32(off + 12, le);
    off += PCAP_RECORD_HEADER_LEN;
    if (off + incl > bytes.length) throw new NetdevError('ERR_PCAP_FORMAT', 'pcap: truncated record data');
    records.push({
      tsNs: BigInt(sec) * 1_000_000_000n + BigInt(nanosecond ? frac : frac * 1000),
      origLen: orig,
      data: bytes.subarray(off, off + incl),
    });
    off += incl;
  }
  return { linkType, snaplen, nanosecond, records };
}
