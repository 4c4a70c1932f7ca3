/**
 * The DATA encoder: message content → wire octets (RFC 5321 §4.5.2
 * dot-stuffing, optional CRLF normalisation of bare CR and bare LF, and the
 * `CRLF.CRLF` terminator), incremental over chunks of any size and shape.
 *
 * The output is views of the input plus shared constant pieces (`.`, `CRLF`,
 * the terminator): no content octet is copied. Clean windows — every line
 * ending already CRLF — are checked by the SIMD kernel of `simd.ts` at
 * 16 octets per instruction and only dot-led lines cost per-line work; other
 * windows (bare CR/LF, short ones, no WebAssembly SIMD) take the scalar path.
 * @module
 */
import { createLfScanner, LF_WINDOW, type LfScanner } from './simd.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT_CODE = 0x2e;
const CRLF = new Uint8Array([CR, LF]);
const DOT = new Uint8Array([DOT_CODE]);
const END = new Uint8Array([DOT_CODE, CR, LF]);
/** Windows shorter than this take the scalar path (the SIMD call has a fixed cost). */
const SIMD_MIN = 256;

/**
 * DataEncoder - incremental DATA encoding with line state carried across chunks.
 *
 * ```ts
 * const enc = new DataEncoder();
 * const out: Uint8Array[] = [];
 * enc.push(chunk1, out);
 * enc.push(chunk2, out);
 * enc.end(out); // out: wire octets ending with CRLF.CRLF
 * ```
 */
export class DataEncoder {
  /** The next content octet starts a line (a `.` there is stuffed). */
  private atLineStart = true;
  /** Normalising: the previous chunk ended with a CR whose partner is not known yet. */
  private pendingCr = false;
  /** Last two octets written (for the CRLF before the terminator). */
  private last1 = -1;
  private last0 = -1;
  private any = false;
  private readonly simd: LfScanner | undefined;

  /** @param normalize turn bare CR and bare LF into CRLF (default true) */
  constructor(private readonly normalize = true) {
    this.simd = createLfScanner();
  }

  /** push - appends the wire octets for `chunk` to `out`. */
  push(chunk: Uint8Array, out: Uint8Array[]): void {
    let start = 0;
    let end = chunk.length;
    if (end === 0) return;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (chunk[0] === LF) start = 1;
      this.emit(CRLF, out);
      this.atLineStart = true;
    }
    if (this.normalize && end > start && chunk[end - 1] === CR) {
      this.pendingCr = true;
      end--;
    }
    let run = start;
    let w0 = start;
    while (w0 < end) {
      let w1 = Math.min(end, w0 + LF_WINDOW);
      // never split a CRLF between two windows (it would count as a bare CR and a bare LF)
      if (w1 < end && chunk[w1 - 1] === CR && w1 - 1 > w0) w1--;
      run = w1 - w0 >= SIMD_MIN && this.simd !== undefined ? this.fastWindow(chunk, w0, w1, end, run, this.simd, out) : this.slowWindow(chunk, w0, w1, end, run, out);
      w0 = w1;
    }
    if (run < end) this.emit(chunk.subarray(run, end), out);
  }

  /** end - appends the final CRLF (if the content does not end with one) and the terminator. */
  end(out: Uint8Array[]): void {
    if (this.pendingCr) {
      this.pendingCr = false;
      this.emit(CRLF, out);
    }
    if (this.any && !(this.last1 === CR && this.last0 === LF)) out.push(CRLF);
    out.push(END);
    this.atLineStart = true;
    this.any = false;
    this.last0 = this.last1 = -1;
  }

  /** A window checked by the SIMD kernel; returns the start of the pending run. */
  private fastWindow(src: Uint8Array, w0: number, w1: number, end: number, run: number, k: LfScanner, out: Uint8Array[]): number {
    const nd = k.fast(src, w0, w1);
    if (this.normalize && !(k.crCount === k.crlfCount && k.lfCount === k.crlfCount)) return this.slowWindow(src, w0, w1, end, run, out);
    if (this.atLineStart && src[w0] === DOT_CODE) run = this.stuffAt(src, run, w0, out);
    const pos = k.positions;
    for (let j = 0; j < nd; j++) run = this.stuffAt(src, run, w0 + pos[j]!, out);
    this.atLineStart = src[w1 - 1] === LF;
    return run;
  }

  /** A window octet by octet (normalising when asked); returns the start of the pending run. */
  private slowWindow(src: Uint8Array, w0: number, w1: number, end: number, run: number, out: Uint8Array[]): number {
    const norm = this.normalize;
    let ls = this.atLineStart;
    for (let i = w0; i < w1; i++) {
      const c = src[i];
      if (ls && c === DOT_CODE) run = this.stuffAt(src, run, i, out);
      ls = false;
      if (c === LF) {
        ls = true;
        // a bare LF: an LF at 0 had no CR before it (that CR would have been held as pendingCr)
        if (norm && (i === 0 || src[i - 1] !== CR)) {
          if (i > run) this.emit(src.subarray(run, i), out);
          this.emit(CRLF, out);
          run = i + 1;
        }
      } else if (c === CR && norm && !(i + 1 < end && src[i + 1] === LF)) {
        // a bare CR (a CR ending the chunk was held back as pendingCr)
        if (i > run) this.emit(src.subarray(run, i), out);
        this.emit(CRLF, out);
        run = i + 1;
        ls = true;
      }
    }
    this.atLineStart = ls;
    return run;
  }

  /** Emits `src[run, dot)` and the stuffing `.`; the dot itself starts the next run. */
  private stuffAt(src: Uint8Array, run: number, dot: number, out: Uint8Array[]): number {
    if (dot > run) this.emit(src.subarray(run, dot), out);
    this.emit(DOT, out);
    return dot;
  }

  private emit(piece: Uint8Array, out: Uint8Array[]): void {
    const n = piece.length;
    if (n === 0) return;
    out.push(piece);
    this.any = true;
    if (n >= 2) {
      this.last1 = piece[n - 2]!;
      this.last0 = piece[n - 1]!;
    } else {
      this.last1 = this.last0;
      this.last0 = piece[0]!;
    }
  }
}
