/**
 * Tiny WebAssembly SIMD kernels over message content (internal module):
 * `scan` lists line feeds, `fast` only counts and finds dot-led lines.
 *
 * JavaScript has no native call that finds *every* LF of a buffer at once:
 * one `indexOf` call per line costs ~30 ns of call overhead, i.e. ~2 GB/s on
 * mail-shaped 70-octet lines. This kernel compares 16 octets per instruction
 * (`i8x16.eq` + `i8x16.bitmask`, 32 octets per iteration), writes the offset
 * of every LF to an output array and counts CRs and CRLF pairs, so the DATA scanner then walks lines with array loads
 * only. The module is assembled here from its opcodes (the WAT is in the
 * comment below) — no build step, no dependency; ~200 bytes.
 *
 * ```wat
 * (func (export "scan") (param $in i32) (param $len i32) (param $out i32) (result i32)
 *   ;; for each 32-octet block (v1, v2) at $in..$in+$len:
 *   ;;   mc = bitmask(v1 == 0x0d) | bitmask(v2 == 0x0d) << 16;  cr += popcnt(mc)
 *   ;;   m  = bitmask(v1 == 0x0a) | bitmask(v2 == 0x0a) << 16
 *   ;;   pairs += popcnt(m & (mc << 1 | carry)); carry = mc >> 31
 *   ;;   while m: store32[$out++] = offset + ctz(m); m &= m - 1
 *   ;; tail octets: scalar; store32[0] = cr; store32[1] = pairs; return number of LFs
 * )
 * ```
 *
 * The scanned octets must be in the module's memory, so callers copy each
 * window (≤ 64 KiB) into it first: that copy runs at memcpy speed, is scratch
 * only (content handed to users is always a view of the caller's input), and
 * is what buys a 16-wide compare. When WebAssembly SIMD is not available,
 * {@link createLfScanner} returns `undefined` and the scanner uses native
 * `indexOf` per line instead.
 *
 * @internal
 * @module
 */

// opcodes
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, VOID = 0x40;
const LGET = 0x20, LSET = 0x21;
const I32_LOAD8_U = 0x2d, I32_STORE = 0x36, I32_CONST = 0x41;
const I32_EQZ = 0x45, I32_EQ = 0x46, I32_GE_U = 0x4f, I32_CTZ = 0x68, I32_POPCNT = 0x69;
const I32_ADD = 0x6a, I32_SUB = 0x6b, I32_AND = 0x71, I32_SHR_U = 0x76;
const SIMD = 0xfd, V128_LOAD = 0x00, V128_CONST = 0x0c, I8X16_EQ = 0x23, I8X16_BITMASK = 0x64;
const T_I32 = 0x7f, T_V128 = 0x7b;

const I32_SHL = 0x74, I32_OR = 0x72;

// locals: params in=0 len=1 out=2; i=3 end32=4 m=5 cr=6 o=7 end=8 pairs=9 carry=10 mc=11; v1=12 v2=13 vcr=14 vlf=15
const IN = 0, LEN = 1, OUT = 2, I = 3, END32 = 4, M = 5, CR = 6, O = 7, ENDP = 8, PAIRS = 9, CARRY = 10, MC = 11, V1 = 12, V2 = 13;
const VCR = 14, VLF = 15;

function splat(b: number): number[] {
  return [SIMD, V128_CONST, ...new Array<number>(16).fill(b)];
}

/** bitmask(local v1 == local k) | bitmask(local v2 == local k) << 16: 32 octets → 32-bit mask */
function eqMask32(v1: number, v2: number, k: number): number[] {
  return [
    LGET, v1, LGET, k, SIMD, I8X16_EQ, SIMD, I8X16_BITMASK,
    LGET, v2, LGET, k, SIMD, I8X16_EQ, SIMD, I8X16_BITMASK, I32_CONST, 16, I32_SHL,
    I32_OR,
  ];
}

/** {@link eqMask32} of scan()'s two vectors against CR (0x0d) or LF. */
function mask32(b: number): number[] {
  return eqMask32(V1, V2, b === 0x0d ? VCR : VLF);
}

function body(): number[] {
  return [
    LGET, IN, LSET, I,
    LGET, OUT, LSET, O,
    LGET, IN, LGET, LEN, I32_ADD, LSET, ENDP,
    LGET, IN, LGET, LEN, I32_CONST, 0x60 /* -32 */, I32_AND, I32_ADD, LSET, END32,
    ...splat(0x0d), LSET, VCR,
    ...splat(0x0a), LSET, VLF,
    BLOCK, VOID,
    LOOP, VOID,
    LGET, I, LGET, END32, I32_GE_U, BR_IF, 1,
    LGET, I, SIMD, V128_LOAD, 0, 0, LSET, V1,
    LGET, I, SIMD, V128_LOAD, 0, 16, LSET, V2,
    ...mask32(0x0d), LSET, MC,
    LGET, CR, LGET, MC, I32_POPCNT, I32_ADD, LSET, CR,
    ...mask32(0x0a), LSET, M,
    // pairs += popcnt(m & ((mc << 1) | carry)); carry = mc >>> 31
    LGET, PAIRS, LGET, M, LGET, MC, I32_CONST, 1, I32_SHL, LGET, CARRY, I32_OR, I32_AND, I32_POPCNT, I32_ADD, LSET, PAIRS,
    LGET, MC, I32_CONST, 31, I32_SHR_U, LSET, CARRY,
    BLOCK, VOID,
    LOOP, VOID,
    LGET, M, I32_EQZ, BR_IF, 1,
    LGET, O, LGET, I, LGET, IN, I32_SUB, LGET, M, I32_CTZ, I32_ADD, I32_STORE, 2, 0,
    LGET, O, I32_CONST, 4, I32_ADD, LSET, O,
    LGET, M, LGET, M, I32_CONST, 1, I32_SUB, I32_AND, LSET, M,
    BR, 0,
    END,
    END,
    LGET, I, I32_CONST, 32, I32_ADD, LSET, I,
    BR, 0,
    END,
    END,
    // scalar tail
    BLOCK, VOID,
    LOOP, VOID,
    LGET, I, LGET, ENDP, I32_GE_U, BR_IF, 1,
    LGET, I, I32_LOAD8_U, 0, 0, LSET, M,
    LGET, M, I32_CONST, 10, I32_EQ,
    IF, VOID,
    LGET, O, LGET, I, LGET, IN, I32_SUB, I32_STORE, 2, 0,
    LGET, O, I32_CONST, 4, I32_ADD, LSET, O,
    LGET, PAIRS, LGET, CARRY, I32_ADD, LSET, PAIRS,
    END,
    LGET, M, I32_CONST, 13, I32_EQ, LSET, CARRY,
    LGET, CR, LGET, CARRY, I32_ADD, LSET, CR,
    LGET, I, I32_CONST, 1, I32_ADD, LSET, I,
    BR, 0,
    END,
    END,
    I32_CONST, 0, LGET, CR, I32_STORE, 2, 0,
    I32_CONST, 0, LGET, PAIRS, I32_STORE, 2, 4,
    LGET, O, LGET, OUT, I32_SUB, I32_CONST, 2, I32_SHR_U,
    END,
  ];
}

const SELECT = 0x1b, I32_GT_U = 0x4b;
// fast(): locals in=0 len=1 out=2; i=3 end32=4 m=5 cr=6 o=7 end=8 pairs=9 ccr=10 mc=11 md=12 e=13 lf=14 clf=15 run=16 maxrun=17 b=18; v1=19 v2=20 vcr=21 vlf=22 vdot=23
const F_MD = 12, F_E = 13, F_LF = 14, F_CLF = 15, F_RUN = 16, F_MAXRUN = 17, F_B = 18, F_V1 = 19, F_V2 = 20, F_VCR = 21, F_VLF = 22, F_VDOT = 23;
function fmask(k: number): number[] {
  return eqMask32(F_V1, F_V2, k);
}
function fastBody(): number[] {
  return [
    LGET, IN, LSET, I,
    LGET, OUT, LSET, O,
    LGET, IN, LGET, LEN, I32_ADD, LSET, ENDP,
    LGET, IN, LGET, LEN, I32_CONST, 0x60, I32_AND, I32_ADD, LSET, END32,
    ...splat(0x0d), LSET, F_VCR,
    ...splat(0x0a), LSET, F_VLF,
    ...splat(0x2e), LSET, F_VDOT,
    BLOCK, VOID,
    LOOP, VOID,
    LGET, I, LGET, END32, I32_GE_U, BR_IF, 1,
    LGET, I, SIMD, V128_LOAD, 0, 0, LSET, F_V1,
    LGET, I, SIMD, V128_LOAD, 0, 16, LSET, F_V2,
    ...fmask(F_VCR), LSET, MC,
    ...fmask(F_VLF), LSET, M,
    ...fmask(F_VDOT), LSET, F_MD,
    LGET, CR, LGET, MC, I32_POPCNT, I32_ADD, LSET, CR,
    LGET, PAIRS, LGET, M, LGET, MC, I32_CONST, 1, I32_SHL, LGET, CARRY, I32_OR, I32_AND, I32_POPCNT, I32_ADD, LSET, PAIRS,
    LGET, MC, I32_CONST, 31, I32_SHR_U, LSET, CARRY,
    LGET, F_LF, LGET, M, I32_POPCNT, I32_ADD, LSET, F_LF,
    LGET, F_MD, LGET, M, I32_CONST, 1, I32_SHL, LGET, F_CLF, I32_OR, I32_AND, LSET, F_E,
    LGET, M, I32_CONST, 31, I32_SHR_U, LSET, F_CLF,
    BLOCK, VOID,
    LOOP, VOID,
    LGET, F_E, I32_EQZ, BR_IF, 1,
    LGET, O, LGET, I, LGET, IN, I32_SUB, LGET, F_E, I32_CTZ, I32_ADD, I32_STORE, 2, 0,
    LGET, O, I32_CONST, 4, I32_ADD, LSET, O,
    LGET, F_E, LGET, F_E, I32_CONST, 1, I32_SUB, I32_AND, LSET, F_E,
    BR, 0,
    END,
    END,
    // run = m ? 0 : run + 1 ; maxrun = max(maxrun, run)
    I32_CONST, 0, LGET, F_RUN, I32_CONST, 1, I32_ADD, LGET, M, SELECT, LSET, F_RUN,
    LGET, F_RUN, LGET, F_MAXRUN, LGET, F_RUN, LGET, F_MAXRUN, I32_GT_U, SELECT, LSET, F_MAXRUN,
    LGET, I, I32_CONST, 32, I32_ADD, LSET, I,
    BR, 0,
    END,
    END,
    // scalar tail (< 32 octets)
    BLOCK, VOID,
    LOOP, VOID,
    LGET, I, LGET, ENDP, I32_GE_U, BR_IF, 1,
    LGET, I, I32_LOAD8_U, 0, 0, LSET, M,
    LGET, M, I32_CONST, 0x2e, I32_EQ, LGET, F_CLF, I32_AND,
    IF, VOID,
    LGET, O, LGET, I, LGET, IN, I32_SUB, I32_STORE, 2, 0,
    LGET, O, I32_CONST, 4, I32_ADD, LSET, O,
    END,
    LGET, M, I32_CONST, 10, I32_EQ, LSET, F_CLF,
    LGET, PAIRS, LGET, CARRY, LGET, F_CLF, I32_AND, I32_ADD, LSET, PAIRS,
    LGET, F_LF, LGET, F_CLF, I32_ADD, LSET, F_LF,
    LGET, M, I32_CONST, 13, I32_EQ, LSET, CARRY,
    LGET, CR, LGET, CARRY, I32_ADD, LSET, CR,
    LGET, I, I32_CONST, 1, I32_ADD, LSET, I,
    BR, 0,
    END,
    END,
    I32_CONST, 0, LGET, CR, I32_STORE, 2, 0,
    I32_CONST, 0, LGET, PAIRS, I32_STORE, 2, 4,
    I32_CONST, 0, LGET, F_LF, I32_STORE, 2, 8,
    I32_CONST, 0, LGET, F_MAXRUN, I32_STORE, 2, 12,
    LGET, O, LGET, OUT, I32_SUB, I32_CONST, 2, I32_SHR_U,
    END,
  ];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function str(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
}

/** The module's bytes. */
export function lfScanModuleBytes(): Uint8Array {
  const code = [...uleb(2), 9, T_I32, 4, T_V128, ...body()];
  const code2 = [...uleb(2), 16, T_I32, 5, T_V128, ...fastBody()];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, T_I32, T_I32, T_I32, 1, T_I32]),
    ...section(3, [2, 0, 0]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, [3, ...str('scan'), 0x00, 0, ...str('fast'), 0x00, 1, ...str('mem'), 0x02, 0]),
    ...section(10, [2, ...uleb(code.length), ...code, ...uleb(code2.length), ...code2]),
  ];
  return new Uint8Array(bytes);
}

/** Largest window handed to the kernel at once. */
export const LF_WINDOW = 64 * 1024;
const INPUT_AT = 16;

/** A bound kernel instance with its scratch memory. */
export interface LfScanner {
  /**
   * Copies `src[start, end)` (≤ {@link LF_WINDOW} octets) into scratch memory
   * and lists its LFs. Returns the number of LFs; their offsets (relative to
   * `start`) are `positions[0 .. n)`; `crCount` is the number of CRs.
   */
  scan(src: Uint8Array, start: number, end: number): number;
  /** LF offsets of the last scan (valid until the next scan). */
  readonly positions: Uint32Array;
  /** CR count of the last scan. */
  crCount: number;
  /** Number of LFs of the last scan immediately preceded by a CR of the same window. */
  crlfCount: number;
  /**
   * Line-free scan of `src[start, end)`: counts CRs, LFs (`lfCount`) and CRLF
   * pairs, the longest run of 32-octet blocks without an LF (`maxRun`), and
   * lists in `positions` every `.` directly after an LF of the window (the
   * only places where dot-stuffing or the terminator can be). No per-line
   * work at all; returns the number of such dots.
   */
  fast(src: Uint8Array, start: number, end: number): number;
  /** LF count of the last `fast` scan. */
  lfCount: number;
  /** Longest run of LF-free 32-octet blocks of the last `fast` scan (tail octets not counted). */
  maxRun: number;
}

let cached: LfScanner | null | undefined;

/** The slice of the WebAssembly JS API used here (the TS lib in use has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** Returns the shared SIMD LF scanner, or `undefined` when WebAssembly SIMD is unavailable. */
export function createLfScanner(): LfScanner | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  try {
    const W = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (W === undefined) return undefined;
    const bytes = lfScanModuleBytes();
    if (!W.validate(bytes)) return undefined;
    const inst = new W.Instance(new W.Module(bytes), {});
    const mem = inst.exports['mem'] as WasmMemory;
    const fn = inst.exports['scan'] as (a: number, b: number, c: number) => number;
    const fastFn = inst.exports['fast'] as (a: number, b: number, c: number) => number;
    const outAt = INPUT_AT + LF_WINDOW;
    const need = outAt + 4 * LF_WINDOW;
    const pages = Math.ceil(need / 65536);
    mem.grow(pages - mem.buffer.byteLength / 65536);
    const u8 = new Uint8Array(mem.buffer);
    const u32 = new Uint32Array(mem.buffer);
    const positions = u32.subarray(outAt / 4, outAt / 4 + LF_WINDOW);
    const s: LfScanner = {
      positions,
      crCount: 0,
      crlfCount: 0,
      scan(src, start, end) {
        u8.set(start === 0 && end === src.length ? src : src.subarray(start, end), INPUT_AT);
        const n = fn(INPUT_AT, end - start, outAt);
        s.crCount = u32[0]!;
        s.crlfCount = u32[1]!;
        return n;
      },
      lfCount: 0,
      maxRun: 0,
      fast(src, start, end) {
        u8.set(start === 0 && end === src.length ? src : src.subarray(start, end), INPUT_AT);
        const n = fastFn(INPUT_AT, end - start, outAt);
        s.crCount = u32[0]!;
        s.crlfCount = u32[1]!;
        s.lfCount = u32[2]!;
        s.maxRun = u32[3]!;
        return n;
      },
    };
    cached = s;
    return s;
  } catch {
    return undefined;
  }
}
