/**
 * `PcapWriter` — writes a libpcap capture file of frames (I/O adapter; the
 * format itself is in `pcap-format.ts`). Captures open in tcpdump, tshark and
 * Wireshark.
 *
 * Records are buffered and written with synchronous file writes in 64 KiB
 * chunks (a capture is a debugging aid, written from the stack's own thread;
 * `close()` flushes). Timestamps come from the `timestampNs` argument, else
 * from the `clock` option (ms → ns), else 0 — this adapter never reads the
 * wall clock by itself, so captures of virtual-time runs are reproducible.
 *
 * Attach to a device with {@link PcapWriter.attach} (a tap on both
 * directions, like `tcpdump -i dev`).
 *
 * @module
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Clock } from '@netlayers/clock';
import { IpSummed, skbPartialCsum, type SkBuff } from '@netlayers/skbuff';
import { NetdevError } from './errors.js';
import type { NetDevice } from './netdevice.js';
import {
  encodePcapHeader,
  encodeRecordHeader,
  PCAP_RECORD_HEADER_LEN,
  type PcapLinkType,
  type PcapOptions,
} from './pcap-format.js';

/** Options of {@link PcapWriter}. */
export interface PcapWriterOptions extends PcapOptions {
  /** Link type: 'ethernet' (LINKTYPE_ETHERNET, 1) or 'raw' (LINKTYPE_RAW, 101). Default 'ethernet'. */
  linkType?: PcapLinkType;
  /** Source of timestamps when `write` gets none. */
  clock?: Clock;
  /**
   * Finish CHECKSUM_PARTIAL checksums in the captured copy (default true), so
   * captures show wire-correct checksums; false records the bytes as they are
   * (like tcpdump on a Linux sender with offload, which shows "incorrect" sums).
   */
  finishChecksums?: boolean;
}

const CHUNK = 64 * 1024;

/**
 * Computes a CHECKSUM_PARTIAL frame's checksum into the captured copy `dst[at, at+incl)`
 * (the skb itself is untouched). Skipped if the range was truncated by snaplen.
 */
function finishInCopy(skb: SkBuff, dst: Uint8Array, at: number, incl: number): void {
  const start = skb.csumStart - skb.data;
  const field = start + skb.csumOffset;
  if (start < 0 || field + 2 > skb.len || incl < skb.len) return;
  const c = skbPartialCsum(skb); // skbuff's one implementation of the sum
  dst[at + field] = c >> 8;
  dst[at + field + 1] = c & 0xff;
}

/** A capture file being written. */
export class PcapWriter {
  /** Records written. */
  count = 0;
  private fd: number | null;
  private buf = new Uint8Array(CHUNK);
  private used = 0;
  private readonly snaplen: number;
  private readonly nanosecond: boolean;
  private readonly clock: Clock | undefined;
  private readonly finishChecksums: boolean;

  /**
   * Creates (truncates) `filePath` and writes the file header.
   * @throws Node's fs errors if the file cannot be created
   */
  constructor(
    readonly filePath: string,
    opts: PcapWriterOptions = {},
  ) {
    this.snaplen = opts.snaplen ?? 262144;
    this.nanosecond = opts.nanosecond ?? true;
    this.clock = opts.clock;
    this.finishChecksums = opts.finishChecksums ?? true;
    this.fd = openSync(filePath, 'w');
    this.append(encodePcapHeader(opts));
  }

  private append(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.flush();
    if (bytes.length > this.buf.length) {
      writeSync(this.fd as number, bytes);
      return;
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Writes buffered records to the file. */
  flush(): void {
    if (this.fd === null || this.used === 0) return;
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  /**
   * Appends one frame.
   * @param frame the frame bytes, or an skb (its bytes from `data`, linear + paged)
   * @param timestampNs capture time in ns (default: the clock option, else 0)
   * @throws NetdevError `ERR_PCAP_CLOSED` after {@link close}
   */
  write(frame: SkBuff | Uint8Array, timestampNs?: bigint | number): void {
    if (this.fd === null) throw new NetdevError('ERR_PCAP_CLOSED', `pcap ${this.filePath} is closed`);
    const orig = frame instanceof Uint8Array ? frame.length : frame.len;
    const incl = Math.min(orig, this.snaplen);
    const ts = timestampNs ?? (this.clock ? Math.round(this.clock.now() * 1e6) : 0);
    const need = PCAP_RECORD_HEADER_LEN + incl;
    if (this.used + need > this.buf.length) this.flush();
    if (need > this.buf.length) this.buf = new Uint8Array(need);
    encodeRecordHeader(this.buf, this.used, ts, incl, orig, this.nanosecond);
    const at = this.used + PCAP_RECORD_HEADER_LEN;
    if (frame instanceof Uint8Array) this.buf.set(frame.subarray(0, incl), at);
    else {
      frame.copyBits(0, this.buf, incl, at);
      if (this.finishChecksums && frame.ipSummed === IpSummed.PARTIAL) finishInCopy(frame, this.buf, at, incl);
    }
    this.used += need;
    this.count++;
  }

  /**
   * Captures every frame `dev` sends and receives (a tap) until the returned
   * function is called or the writer is closed.
   */
  attach(dev: NetDevice): () => void {
    let remove: (() => void) | null = null;
    remove = dev.addTap((skb) => {
      if (this.fd === null) {
        remove?.();
        return;
      }
      this.write(skb);
    });
    return remove;
  }

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.fd !== null;
  }

  /** Flushes and closes the file. Idempotent. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }
}
