/**
 * Byte helpers shared by the codec (internal module).
 *
 * `findByte` uses the fastest native single-byte search available: Node's
 * `Buffer#indexOf` (memchr) on a zero-copy Buffer view when `Buffer` exists,
 * otherwise `Uint8Array#indexOf`.
 *
 * @internal
 * @module
 */

type NodeBufferCtor = {
  from(ab: ArrayBufferLike, byteOffset: number, length: number): Uint8Array & {
    indexOf(value: number | Uint8Array, byteOffset?: number): number;
    lastIndexOf(value: number, byteOffset?: number): number;
    toString(encoding: 'latin1'): string;
  };
};

const NodeBuffer: NodeBufferCtor | undefined = (globalThis as { Buffer?: NodeBufferCtor }).Buffer;

const encoder = new TextEncoder();
const lossy = new TextDecoder('utf-8');
const strict = new TextDecoder('utf-8', { fatal: true });

/** Encodes a string as UTF-8 bytes. */
export function asciiBytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Decodes `[start, end)` of `b` as UTF-8, replacing invalid sequences. */
export function decodeText(b: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) { ascii = false; break; }
  if (ascii) return latin1(b, start, end);
  return lossy.decode(b.subarray(start, end));
}

/** Decodes `[start, end)` of `b` as strict UTF-8; returns `undefined` on invalid input. */
export function decodeUtf8Strict(b: Uint8Array, start: number, end: number): string | undefined {
  try {
    return strict.decode(b.subarray(start, end));
  } catch {
    return undefined;
  }
}

/** Decodes bytes `[start, end)` as Latin-1 (each byte one code unit). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  if (NodeBuffer !== undefined) return NodeBuffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
  let s = '';
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return s;
}

/** Concatenates byte arrays into one new array (used only for small, bounded data). */
export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = total ?? 0;
  if (total === undefined) for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A byte searcher bound to one chunk (zero-copy). */
export interface ByteSearch {
  /** Index of the first `byte` at or after `from`, or -1. */
  indexOf(byte: number, from: number): number;
  /** Index of the last `byte` at or before `from`, or -1. */
  lastIndexOf(byte: number, from: number): number;
}

/**
 * Returns the fastest searchable view of `chunk` without copying: a Node
 * `Buffer` over the same memory when available, else the chunk itself.
 */
export function searchable(chunk: Uint8Array): ByteSearch {
  if (NodeBuffer !== undefined) return NodeBuffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  return chunk;
}

/** Finds `needle` in `hay` from `from` (native when Node's Buffer exists). */
export function indexOfSeq(hay: Uint8Array, needle: Uint8Array, from: number): number {
  if (NodeBuffer !== undefined) return NodeBuffer.from(hay.buffer, hay.byteOffset, hay.length).indexOf(needle, from);
  const first = needle[0]!;
  const m = needle.length;
  for (let i = hay.indexOf(first, from); i >= 0 && i + m <= hay.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < m && hay[i + j] === needle[j]) j++;
    if (j === m) return i;
  }
  return -1;
}

/** Normalises an input chunk or iterable of chunks into a list of views (no copy). */
export function toChunks(input: Uint8Array | Iterable<Uint8Array>): Iterable<Uint8Array> {
  return input instanceof Uint8Array ? [input] : input;
}

type IndexOfFn = (this: Uint8Array, value: number, byteOffset?: number) => number;
/** Node's memchr-backed `Buffer#indexOf`, callable on any Uint8Array (≈30× `Uint8Array#indexOf`). */
const nativeIndexOf: IndexOfFn | undefined = (globalThis as { Buffer?: { prototype: { indexOf: IndexOfFn } } }).Buffer?.prototype.indexOf;

/** True when `byte` occurs in `hay[0, end)` (native memchr when Node's Buffer exists). */
export function hasByte(hay: Uint8Array, byte: number, end: number): boolean {
  const v = end >= hay.length ? hay : hay.subarray(0, end);
  return (nativeIndexOf !== undefined ? nativeIndexOf.call(v, byte) : v.indexOf(byte)) >= 0;
}
