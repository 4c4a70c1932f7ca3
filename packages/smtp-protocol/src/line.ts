/**
 * CRLF line splitting over byte chunks, bounded (internal module).
 *
 * RFC 5321 §2.3.8: "lines consist of zero or more data characters terminated by
 * the sequence ASCII character CR followed immediately by ASCII character LF" and
 * an implementation "MUST NOT recognize or generate any other character or
 * character sequence as a line terminator". A bare LF or bare CR therefore does
 * not end a line: it is kept inside the line and flagged (`bare`), so that the
 * caller can answer `500` for that line instead of silently accepting it.
 *
 * A line longer than `maxLength` (including CRLF) is not buffered: its bytes
 * are dropped as they arrive and the line is reported with `overflow` once its
 * CRLF arrives (RFC 5321 §4.5.3.1.4: "500 Line too long").
 *
 * @internal
 * @module
 */
import { concatBytes, searchable, type ByteSearch } from './bytes.js';

/** Result of {@link LineSplitter.feed}. */
export interface FeedResult {
  /** The completed line without CRLF, or `undefined` when more input is needed. */
  line: Uint8Array | undefined;
  /** Offset in the chunk just after the consumed bytes. */
  next: number;
  /** The line exceeded the limit (its bytes were dropped; `line` is empty). */
  overflow: boolean;
  /** The line contained a bare CR or LF. */
  bare: boolean;
}

const EMPTY = new Uint8Array(0);

/** Incremental CRLF line splitter with a length bound. */
export class LineSplitter {
  private parts: Uint8Array[] = [];
  private len = 0;
  private overflow = false;
  private bare = false;
  /** Last byte of the previous part was CR. */
  private lastCr = false;
  /** Maximum line length including CRLF. */
  maxLength: number;
  private lastChunk: Uint8Array | undefined;
  private lastSearch: ByteSearch | undefined;

  constructor(maxLength: number) {
    this.maxLength = maxLength;
  }

  /** Bytes of the current incomplete line held in memory. */
  get buffered(): number {
    return this.len;
  }

  /** True when a line has started (bytes seen, possibly dropped) but not ended. */
  get inLine(): boolean {
    return this.len > 0 || this.overflow || this.lastCr;
  }

  /** Drops any partial line. */
  reset(): void {
    this.parts = [];
    this.len = 0;
    this.overflow = false;
    this.bare = false;
    this.lastCr = false;
  }

  /**
   * Copies a partial line out of the input buffers (at most `maxLength`
   * octets) and forgets the last chunk, so nothing refers to input memory.
   */
  detach(): void {
    this.lastChunk = undefined;
    this.lastSearch = undefined;
    if (this.parts.length > 0) this.parts = [concatBytes(this.parts, this.len).slice()];
  }

  /** Consumes bytes of `chunk` from `off` until the end of one line or of the chunk. */
  feed(chunk: Uint8Array, off: number): FeedResult {
    const n = chunk.length;
    // One searchable view per chunk, reused for every line of it.
    if (chunk !== this.lastChunk) {
      this.lastChunk = chunk;
      this.lastSearch = searchable(chunk);
    }
    const s = this.lastSearch!;
    let p = off;
    // A CR at the end of the previous part followed by LF here ends the line.
    if (this.lastCr && p < n) {
      this.lastCr = false;
      if (chunk[p] === 0x0a) return this.finish(chunk, off, p + 1, 1);
      this.bare = true;
    }
    for (;;) {
      const lf = s.indexOf(0x0a, p);
      if (lf < 0) {
        // No LF: check for bare CRs inside (all but a trailing one).
        this.scanBareCr(s, p, n - 1);
        this.lastCr = n > off && chunk[n - 1] === 0x0d;
        this.append(chunk, off, n);
        return { line: undefined, next: n, overflow: false, bare: false };
      }
      if (lf > off && chunk[lf - 1] === 0x0d) {
        this.scanBareCr(s, p, lf - 1);
        return this.finish(chunk, off, lf + 1, 2);
      }
      this.scanBareCr(s, p, lf);
      this.bare = true;
      p = lf + 1;
    }
  }

  private scanBareCr(s: { indexOf(b: number, f: number): number }, from: number, to: number): void {
    if (this.bare || from >= to) return;
    const cr = s.indexOf(0x0d, from);
    if (cr >= 0 && cr < to) this.bare = true;
  }

  private append(chunk: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    if (this.overflow) return;
    const add = end - start;
    if (this.len + add > this.maxLength) {
      this.overflow = true;
      this.parts = [];
      this.len = 0;
      return;
    }
    this.parts.push(chunk.subarray(start, end));
    this.len += add;
  }

  private finish(chunk: Uint8Array, start: number, next: number, crlfInChunk: number): FeedResult {
    // bytes [start, next) complete the line; the final crlfInChunk bytes are (part of) CRLF.
    this.append(chunk, start, next);
    const overflow = this.overflow || this.len > this.maxLength;
    let line: Uint8Array;
    if (overflow) line = EMPTY;
    else {
      const whole = concatBytes(this.parts, this.len);
      line = whole.subarray(0, whole.length - 2);
    }
    void crlfInChunk;
    const bare = this.bare;
    this.parts = [];
    this.len = 0;
    this.overflow = false;
    this.bare = false;
    this.lastCr = false;
    return { line, next, overflow, bare };
  }
}
