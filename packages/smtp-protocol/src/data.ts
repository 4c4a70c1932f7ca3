/**
 * Message content (DATA) codec: a streaming end-of-data scanner with
 * dot-unstuffing, and the sending-side transforms (dot-stuffing, line-ending
 * normalisation). RFC 5321 §4.1.1.4, §4.5.2, §4.5.3.1.6, RFC 1870.
 *
 * ## Receiving: {@link DataScanner}
 *
 * Content is a sequence of CRLF lines. A line holding only `.` ends the data
 * (the `<CRLF>.<CRLF>` of §4.1.1.4, whose first CRLF ends the last content
 * line); any other line starting with `.` loses that first dot (§4.5.2). The
 * scanner is fed chunks in order and pushes **views into those chunks**
 * (`subarray`, never a copy) of the unstuffed content; a removed dot simply
 * splits a run in two. State carried across chunks is a few integers, so the
 * terminator and stuffed dots are found across any chunk split.
 *
 * Policies, all enforced while streaming:
 * - only CRLF ends a line: a bare LF or bare CR is an error (`bareNewline:
 *   'reject'`, the default, defeats SMTP smuggling — `<LF>.<LF>`,
 *   `<CR>.<CR>`, `<LF>.<CR><LF>` never end the data, and the message is
 *   refused); `'allow'` keeps them as content (still never a terminator);
 * - text lines of at most `maxLineLength` octets including CRLF, the doubled dot
 *   not counted (RFC 5321 §4.5.3.1.6: 1000);
 * - the message size actually received (octets after unstuffing, including
 *   CRLFs, excluding the final `.CRLF`: RFC 1870 §3) is at most `maxSize`.
 *
 * After a policy error the scanner stops emitting content but keeps reading
 * until `<CRLF>.<CRLF>` so the session stays in sync and can reply once. Every
 * policy is evaluated over the whole message, so `error` does not depend on how
 * the input was split into chunks.
 *
 * Speed: no per-byte JavaScript loop. Chunks of 512 octets or more are scanned
 * in 64 KiB windows by WebAssembly SIMD kernels (`simd.ts`). The `fast` kernel
 * counts CRs, LFs and CRLF pairs, bounds the longest line and lists the dots
 * that follow an LF: a window proven clean costs work per dot-led line only.
 * Other windows run the exact state machine over the LF list of the `scan`
 * kernel. Smaller chunks (and hosts without WebAssembly SIMD) use native byte
 * search (`Buffer#indexOf`, i.e. memchr, on a zero-copy Buffer view).
 *
 * @module
 */
import { SmtpDataError } from './errors.js';
import { indexOfSeq, searchable, toChunks, type ByteSearch } from './bytes.js';
import { createLfScanner, LF_WINDOW, type LfScanner } from './simd.js';
import { DataEncoder } from './data-encoder.js';

/** Chunks shorter than this are scanned with native indexOf (SIMD setup not worth it). */
const SIMD_MIN = 512;

interface Cursor {
  p: number;
  run: number;
}

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

const enum St {
  /** At the start of a line (after CRLF, or at the start of data). */
  LineStart = 0,
  /** Inside a line. */
  InLine = 1,
  /** A line started with `.`; the dot was dropped. */
  Dot = 2,
  /** Saw `.` CR at line start. */
  DotCr = 3,
  /** Inside a line, the last byte was CR (needs LF). */
  Cr = 4,
}

/** Options of {@link DataScanner}. */
export interface DataScannerOptions {
  /** Maximum message size in octets (RFC 1870 counting); default `Infinity`. */
  readonly maxSize?: number;
  /** Maximum text line length including CRLF (RFC 5321 §4.5.3.1.6); default 1000. `Infinity` disables. */
  readonly maxLineLength?: number;
  /** What to do with a bare CR or LF: `'reject'` (default) or `'allow'` (kept as content). */
  readonly bareNewline?: 'reject' | 'allow';
}

/** Result of one {@link DataScanner.scan} call. */
export interface ScanResult {
  /** Bytes of the input chunk consumed (all of it unless the end of data was found). */
  readonly consumed: number;
  /** True when `<CRLF>.<CRLF>` was found; `consumed` points just after it. */
  readonly done: boolean;
}

/**
 * Streaming `<CRLF>.<CRLF>` scanner and dot-unstuffer. One instance per
 * message; feed every chunk after the 354 reply to {@link scan}.
 */
export class DataScanner {
  private st: St = St.LineStart;
  private lineLen = 0;
  private readonly maxSize: number;
  private readonly maxLine: number;
  private readonly rejectBare: boolean;
  /** Content octets emitted so far (RFC 1870 size). */
  size = 0;
  /** Total input octets consumed (wire size, including stuffed dots and terminator). */
  wireSize = 0;
  private sawBare = false;
  private allCrlf = false;
  private sawLong = false;
  /** True once the terminator was seen. */
  done = false;

  constructor(opts: DataScannerOptions = {}) {
    this.maxSize = opts.maxSize ?? Infinity;
    this.maxLine = opts.maxLineLength ?? 1000;
    this.rejectBare = (opts.bareNewline ?? 'reject') === 'reject';
  }

  /** True once any policy was violated: content is no longer emitted. */
  get failed(): boolean {
    return this.sawBare || this.sawLong || this.size > this.maxSize;
  }

  /**
   * The policy violation to report, if any. Every policy is evaluated over the
   * whole message (scanning continues to the terminator), so the result does
   * not depend on how the input was chunked; when several apply the priority
   * is bare CR/LF, then size, then line length.
   */
  get error(): SmtpDataError | undefined {
    if (this.sawBare) return new SmtpDataError('ERR_SMTP_BARE_NEWLINE', 'Bare CR or LF in message data (RFC 5321 §2.3.8)');
    if (this.size > this.maxSize) return new SmtpDataError('ERR_SMTP_SIZE', 'Message size exceeds fixed maximum message size');
    if (this.sawLong) return new SmtpDataError('ERR_SMTP_TEXT_LINE_TOO_LONG', 'Line too long');
    return undefined;
  }

  private emit(chunk: Uint8Array, start: number, end: number, out: Uint8Array[]): void {
    if (end <= start) return;
    const n = end - start;
    const ok = !this.failed;
    this.size += n; // counted even after a violation (RFC 1870 size is a property of the message)
    if (ok && this.size <= this.maxSize) out.push(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end));
  }

  private bare(): void {
    if (this.rejectBare) this.sawBare = true;
  }

  private tooLong(): void {
    this.sawLong = true;
  }

  /**
   * Scans one chunk, pushing views of unstuffed content to `out`.
   * @returns how much of the chunk was consumed and whether the data ended.
   */
  scan(chunk: Uint8Array, out: Uint8Array[]): ScanResult {
    if (this.done) return { consumed: 0, done: true };
    const n = chunk.length;
    const simd = n >= SIMD_MIN ? createLfScanner() : undefined;
    const st: Cursor = { p: 0, run: 0 };
    if (simd === undefined) {
      const r = this.scanWindow(chunk, 0, n, searchable(chunk), undefined, 0, false, st, out);
      if (r >= 0) return this.finishDone(r);
    } else {
      let sch: ByteSearch | undefined;
      for (let w0 = 0; w0 < n; w0 += LF_WINDOW) {
        const w1 = Math.min(n, w0 + LF_WINDOW);
        // 1. the line-free fast path: O(dot-led lines) work per window
        if (this.st === St.LineStart || this.st === St.InLine || this.st === St.Cr) {
          sch ??= searchable(chunk);
          const f = this.fastWindow(chunk, w0, w1, simd, sch, st, out);
          if (f >= 0) return this.finishDone(f);
          if (f === -1) continue;
        }
        // 2. the exact path over the window's LF list
        const count = simd.scan(chunk, w0, w1);
        const pos = simd.positions;
        // The window is CR-clean when every CR sits right before an LF of the
        // window or is its last octet (settled by St.Cr): then no per-line CR
        // search is needed.
        const expected = simd.crlfCount + (chunk[w1 - 1] === CR ? 1 : 0);
        const crClean = simd.crCount === expected;
        // every LF of the window directly follows a CR of the window: no per-line CR test needed
        this.allCrlf = simd.crlfCount === count;
        const r = this.scanWindow(chunk, w0, w1, crClean ? undefined : searchable(chunk), pos, count, crClean, st, out);
        if (r >= 0) return this.finishDone(r);
      }
    }
    this.emit(chunk, st.run, n, out);
    this.wireSize += n;
    return { consumed: n, done: false };
  }

  /**
   * Fast path for one window: valid when the window has no bare CR/LF (from
   * the kernel's counts) and no line can exceed the limit (from the longest
   * LF-free run); then only the dot-led lines need attention — stuffed dots
   * split the content run, `.CRLF` ends the data. Returns the offset after the
   * terminator, -1 when the window was consumed, -2 when the exact path must
   * run instead (nothing was changed then).
   */
  private fastWindow(chunk: Uint8Array, w0: number, w1: number, k: LfScanner, s: ByteSearch, cur: Cursor, out: Uint8Array[]): number {
    const st0 = this.st;
    const enteredCr = st0 === St.Cr;
    if (enteredCr && chunk[w0] !== LF) return -2;
    if (st0 === St.LineStart && chunk[w0] === DOT) return -2;
    const nd = k.fast(chunk, w0, w1);
    const trailingCr = chunk[w1 - 1] === CR ? 1 : 0;
    if (k.crCount !== k.crlfCount + trailingCr) return -2; // a bare CR somewhere
    if (k.lfCount !== k.crlfCount + (enteredCr ? 1 : 0)) return -2; // a bare LF somewhere
    const maxLine = this.maxLine;
    let lineLen = st0 === St.InLine ? this.lineLen : 0;
    if (maxLine !== Infinity) {
      // an interior line longer than the limit spans ≥ floor(len/32) - 1 LF-free blocks
      if ((k.maxRun + 2) * 32 > maxLine) return -2;
      if (enteredCr) {
        if (this.lineLen + 1 > maxLine) return -2;
      } else if (k.lfCount > 0) {
        const first = s.indexOf(LF, w0);
        if (lineLen + first + 1 - w0 > maxLine) return -2;
      }
    }
    // From here on the window is committed to the fast path.
    let run = cur.run;
    const pos = k.positions;
    let lastStuffed = -1;
    for (let j = 0; j < nd; j++) {
      const q = w0 + pos[j]!;
      if (q + 2 >= w1) {
        // a dot-led line cut by the window end: finish the window exactly
        this.st = St.LineStart;
        this.lineLen = 0;
        cur.p = q;
        cur.run = run;
        return this.scanWindow(chunk, w0, w1, s, undefined, 0, false, cur, out);
      }
      this.emit(chunk, run, q, out);
      if (chunk[q + 1] === CR) return q + 3; // ".CRLF": the window is clean, so LF follows
      run = q + 1;
      lastStuffed = q;
    }
    if (k.lfCount === 0) {
      lineLen += w1 - w0;
      this.st = St.InLine;
    } else {
      const lastLf = s.lastIndexOf(LF, w1 - 1);
      const tail = w1 - lastLf - 1;
      lineLen = lastStuffed === lastLf + 1 ? tail - 1 : tail;
      this.st = tail === 0 ? St.LineStart : St.InLine;
    }
    if (this.st === St.InLine && trailingCr === 1) this.st = St.Cr;
    this.lineLen = lineLen;
    if (lineLen > maxLine) this.tooLong();
    cur.p = w1;
    cur.run = run;
    return -1;
  }

  private finishDone(p: number): ScanResult {
    this.done = true;
    this.wireSize += p;
    return { consumed: p, done: true };
  }

  /**
   * Runs the state machine over `chunk[w0, w1)`. LFs come from `pos` (SIMD
   * list, offsets relative to `w0`) or from native `indexOf` on `s`. When
   * `crClean`, no CR search is made. Returns the offset after the terminator,
   * or -1 when the window was consumed.
   */
  private scanWindow(
    chunk: Uint8Array,
    w0: number,
    w1: number,
    s: ByteSearch | undefined,
    pos: Uint32Array | undefined,
    count: number,
    crClean: boolean,
    cur: Cursor,
    out: Uint8Array[],
  ): number {
    let p = cur.p;
    let run = cur.run;
    let k = 0; // cursor into pos
    let cr = -2; // cached position of the next CR at/after p (-1 = none), -2 = unknown
    const maxLine = this.maxLine;
    const checkCr = this.rejectBare && !crClean;
    const allCrlf = pos !== undefined && this.allCrlf;
    try {
      while (p < w1) {
        switch (this.st) {
          case St.LineStart: {
            if (pos !== undefined && !checkCr) {
              // Fast path: skip whole well-formed lines using the LF list.
              while (k < count && w0 + pos[k]! < p) k++;
              while (k < count) {
                if (chunk[p] === DOT) break;
                const lf = w0 + pos[k]!;
                if (lf === p || (!allCrlf && chunk[lf - 1] !== CR) || lf + 1 - p > maxLine) break;
                p = lf + 1;
                k++;
              }
              if (p >= w1) continue;
            }
            if (chunk[p] === DOT) {
              this.emit(chunk, run, p, out);
              p++;
              run = p;
              this.st = St.Dot;
              continue;
            }
            this.st = St.InLine;
            this.lineLen = 0;
            break;
          }
          case St.Dot: {
            if (chunk[p] === CR) {
              this.st = St.DotCr;
              p++;
              run = p; // the CR is not content if LF follows; if not, it is a bare CR (error)
              continue;
            }
            // stuffed line: the dot is removed and not counted (RFC 5321 §4.5.3.1.6)
            this.st = St.InLine;
            this.lineLen = 0;
            break;
          }
          case St.DotCr: {
            if (chunk[p] === LF) return p + 1;
            // ".<CR>x": a bare CR. With 'allow' keep the CR as content of a stuffed line.
            this.bare();
            if (!this.rejectBare) this.emitConst(CR_BYTES, out);
            this.st = St.InLine;
            this.lineLen = 1;
            break;
          }
          case St.Cr: {
            if (chunk[p] === LF) {
              p++;
              if (++this.lineLen > maxLine) this.tooLong();
              this.st = St.LineStart;
              continue;
            }
            this.bare();
            this.st = St.InLine;
            break;
          }
          case St.InLine: {
            let lf: number;
            if (pos !== undefined) {
              while (k < count && w0 + pos[k]! < p) k++;
              lf = k < count ? w0 + pos[k]! : -1;
            } else {
              lf = s!.indexOf(LF, p);
              if (lf >= w1) lf = -1;
            }
            const end = lf < 0 ? w1 : lf;
            if (checkCr) {
              // A CR is allowed only right before the LF (or as the last octet
              // of the window, settled by St.Cr).
              if (cr === -2 || (cr >= 0 && cr < p)) cr = s!.indexOf(CR, p);
              if (cr >= 0 && cr < end - 1) this.bare();
            }
            if (lf < 0) {
              this.lineLen += w1 - p;
              if (this.lineLen > maxLine) this.tooLong();
              if (chunk[w1 - 1] === CR) this.st = St.Cr;
              p = w1;
              break;
            }
            this.lineLen += lf + 1 - p;
            if (this.lineLen > maxLine) this.tooLong();
            if (lf > p && chunk[lf - 1] === CR) {
              this.st = St.LineStart;
            } else {
              // bare LF: not a line end (RFC 5321 §2.3.8); content of the same line
              this.bare();
            }
            p = lf + 1;
            break;
          }
        }
      }
      return -1;
    } finally {
      cur.p = p;
      cur.run = run;
    }
  }

  private emitConst(b: Uint8Array, out: Uint8Array[]): void {
    const ok = !this.failed;
    this.size += b.length;
    if (ok && this.size <= this.maxSize) out.push(b);
  }
}

const CR_BYTES = new Uint8Array([CR]);
const CRLF_BYTES = new Uint8Array([CR, LF]);
const DOT_BYTES = new Uint8Array([DOT]);
const LF_DOT = new Uint8Array([LF, DOT]);

/**
 * Finds `<CRLF>.<CRLF>` in one whole buffer the simple way (reference for
 * tests and benchmarks): the index just after the terminator, or -1. The data
 * is assumed to start at a line start (right after the DATA reply).
 */
export function findEndOfData(buf: Uint8Array): number {
  if (buf.length >= 3 && buf[0] === DOT && buf[1] === CR && buf[2] === LF) return 3;
  const i = indexOfSeq(buf, new Uint8Array([CR, LF, DOT, CR, LF]), 0);
  return i < 0 ? -1 : i + 5;
}

/**
 * Dot-stuffing transform (RFC 5321 §4.5.2): yields the input as views, with
 * a constant `.` chunk inserted before every line that starts with `.`.
 * A line starts at the beginning of the input and after every LF.
 * Zero-copy: content is never copied.
 */
export function* dotStuff(input: Uint8Array | Iterable<Uint8Array>): Generator<Uint8Array> {
  let atLineStart = true;
  for (const chunk of toChunks(input)) {
    const n = chunk.length;
    if (n === 0) continue;
    let run = 0;
    if (atLineStart && chunk[0] === DOT) yield DOT_BYTES;
    let p = 0;
    for (;;) {
      const i = indexOfSeq(chunk, LF_DOT, p);
      if (i < 0) break;
      yield chunk.subarray(run, i + 1);
      yield DOT_BYTES;
      run = i + 1;
      p = i + 1;
    }
    yield run === 0 ? chunk : chunk.subarray(run);
    atLineStart = chunk[n - 1] === LF;
  }
}

/**
 * Dot-unstuffing transform (RFC 5321 §4.5.2, receiving side), separate from
 * the terminator scan: removes the first `.` of every line that starts with
 * `.`, where a line starts at the beginning of the input and after every LF.
 * The input is content without the final `.CRLF` (e.g. what a relay stored
 * stuffed); the output is views of it. `dotUnstuff(dotStuff(x))` is `x`.
 * (`DataScanner` does the same while it scans, in one pass.)
 */
export function* dotUnstuff(input: Uint8Array | Iterable<Uint8Array>): Generator<Uint8Array> {
  let atLineStart = true;
  for (const chunk of toChunks(input)) {
    const n = chunk.length;
    if (n === 0) continue;
    let run = 0;
    if (atLineStart && chunk[0] === DOT) run = 1;
    let p = 0;
    for (;;) {
      const i = indexOfSeq(chunk, LF_DOT, p);
      if (i < 0) break;
      if (i + 1 > run) yield chunk.subarray(run, i + 1);
      run = i + 2;
      p = i + 1;
    }
    if (run < n) yield run === 0 ? chunk : chunk.subarray(run);
    atLineStart = chunk[n - 1] === LF;
  }
}

/**
 * Line-ending normalisation for sending (RFC 5321 §2.3.8: clients MUST NOT
 * send bare CR or LF): every bare LF and bare CR becomes CRLF. Zero-copy views
 * plus constant CRLF chunks.
 */
export function* normalizeLineEndings(input: Uint8Array | Iterable<Uint8Array>): Generator<Uint8Array> {
  let pendingCr = false; // previous chunk ended with CR
  for (const chunk of toChunks(input)) {
    const n = chunk.length;
    if (n === 0) continue;
    const s = searchable(chunk);
    let run = 0;
    let p = 0;
    if (pendingCr) {
      pendingCr = false;
      if (chunk[0] === LF) {
        yield CRLF_BYTES;
        run = p = 1;
      } else yield CRLF_BYTES;
    }
    while (p < n) {
      const lf = s.indexOf(LF, p);
      const cr = s.indexOf(CR, p);
      if (lf < 0 && cr < 0) break;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // CR: fine if followed by LF
        if (cr + 1 < n) {
          if (chunk[cr + 1] === LF) {
            p = cr + 2;
            continue;
          }
          yield chunk.subarray(run, cr);
          yield CRLF_BYTES;
          run = p = cr + 1;
          continue;
        }
        // trailing CR: decide with the next chunk
        if (cr > run) yield chunk.subarray(run, cr);
        run = n;
        pendingCr = true;
        p = n;
        break;
      }
      // bare LF
      if (lf > run) yield chunk.subarray(run, lf);
      yield CRLF_BYTES;
      run = p = lf + 1;
    }
    if (run < n) yield run === 0 ? chunk : chunk.subarray(run);
  }
  if (pendingCr) yield CRLF_BYTES;
}

/**
 * Encodes message content for the DATA phase: normalises line endings
 * (optional), dot-stuffs, makes sure the content ends with CRLF and appends
 * the `.CRLF` terminator. Zero-copy for the content.
 */
export function* encodeData(
  input: Uint8Array | Iterable<Uint8Array>,
  opts: { readonly normalize?: boolean } = {},
): Generator<Uint8Array> {
  const enc = new DataEncoder(opts.normalize !== false);
  const out: Uint8Array[] = [];
  for (const c of toChunks(input)) {
    enc.push(c, out);
    yield* out;
    out.length = 0;
  }
  enc.end(out);
  yield* out;
}
