import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataEncoder } from './data-encoder.js';
import { dotStuff, normalizeLineEndings } from './data.js';
import { concatBytes } from './bytes.js';

/** The reference: the per-step generators composed, then the final CRLF and the terminator. */
function reference(chunks: Uint8Array[], normalize: boolean): Uint8Array {
  const content = concatBytes(chunks);
  const stuffed = concatBytes([...dotStuff(normalize ? [...normalizeLineEndings(chunks)] : [content])]);
  const parts = [stuffed];
  const n = stuffed.length;
  if (n > 0 && !(stuffed[n - 2] === 0x0d && stuffed[n - 1] === 0x0a)) parts.push(new Uint8Array([0x0d, 0x0a]));
  parts.push(new Uint8Array([0x2e, 0x0d, 0x0a]));
  return concatBytes(parts);
}

function encode(chunks: Uint8Array[], normalize: boolean): Uint8Array {
  const enc = new DataEncoder(normalize);
  const out: Uint8Array[] = [];
  for (const c of chunks) enc.push(c, out);
  enc.end(out);
  return concatBytes(out);
}

/** Mail-shaped octets: mostly text, with CR, LF, CRLF and dots in every position. */
const octet = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0x61, 0x62, 0x20) },
  { weight: 2, arbitrary: fc.constantFrom(0x0d, 0x0a, 0x2e) },
);
const text = (max: number) => fc.array(octet, { maxLength: max }).map((a) => new Uint8Array(a));
/** Long clean CRLF text (takes the SIMD path) with a few dirty spots. */
const long = fc
  .tuple(fc.integer({ min: 200, max: 140_000 }), fc.array(fc.tuple(fc.nat(), fc.constantFrom(0x0d, 0x0a, 0x2e)), { maxLength: 6 }), fc.integer({ min: 10, max: 90 }))
  .map(([n, spots, line]) => {
    const b = new Uint8Array(n).fill(0x61);
    for (let i = line; i + 1 < n; i += line) {
      b[i] = 0x0d;
      b[i + 1] = 0x0a;
      if (i + 2 < n && i % 3 === 0) b[i + 2] = 0x2e;
    }
    for (const [at, v] of spots) b[at % n] = v;
    return b;
  });
const chunked = (src: fc.Arbitrary<Uint8Array>) =>
  fc.tuple(src, fc.array(fc.nat(), { maxLength: 8 })).map(([b, cuts]) => {
    const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
    const parts: Uint8Array[] = [];
    let prev = 0;
    for (const c of at) {
      parts.push(b.subarray(prev, c));
      prev = c;
    }
    parts.push(b.subarray(prev));
    return parts;
  });

function same(a: Uint8Array, b: Uint8Array): void {
  if (!Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) expect(a).toEqual(b);
}

describe('DataEncoder', () => {
  it('matches the reference on short mixed text, any chunking, both modes', () => {
    fc.assert(
      fc.property(chunked(text(300)), fc.boolean(), (chunks, normalize) => {
        same(encode(chunks, normalize), reference(chunks, normalize));
      }),
      { numRuns: 3000 },
    );
  });

  it('matches the reference on long CRLF text (SIMD windows, window edges, dirty spots)', () => {
    fc.assert(
      fc.property(chunked(long), fc.boolean(), (chunks, normalize) => {
        same(encode(chunks, normalize), reference(chunks, normalize));
      }),
      { numRuns: 60 },
    );
  });

  it('copies nothing: a clean 1 MiB body without dot-led lines goes out as one view of the input', () => {
    const b = new Uint8Array(1 << 20).fill(0x61);
    for (let i = 70; i + 1 < b.length; i += 72) (b[i] = 0x0d), (b[i + 1] = 0x0a);
    b[b.length - 2] = 0x0d;
    b[b.length - 1] = 0x0a;
    const enc = new DataEncoder();
    const out: Uint8Array[] = [];
    enc.push(b, out);
    expect(out).toHaveLength(1);
    expect(out[0]!.buffer).toBe(b.buffer);
    expect(out[0]!.length).toBe(b.length);
  });

  it('an empty body is just the terminator', () => {
    expect(encode([], true)).toEqual(new Uint8Array([0x2e, 0x0d, 0x0a]));
    expect(encode([new Uint8Array(0)], false)).toEqual(new Uint8Array([0x2e, 0x0d, 0x0a]));
  });
});
