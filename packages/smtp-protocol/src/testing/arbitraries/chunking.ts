/**
 * Arbitrary chunkings of a byte string: the ways TCP may deliver the same
 * bytes (undici / h11 style "split the input at arbitrary boundaries").
 * Chunks are `subarray` views of the input — no copies — so a parser that
 * keeps views into its input is exercised honestly.
 */
import fc from 'fast-check';

/** Split `data` at the given offsets (sorted, deduplicated, clamped); views, no copies. */
export function splitAt(data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => Math.max(0, Math.min(data.length, Math.trunc(o)))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    if (c <= prev) continue;
    out.push(data.subarray(prev, c));
    prev = c;
  }
  if (prev < data.length || out.length === 0) out.push(data.subarray(prev));
  return out;
}

/** Concatenate chunks into one new buffer. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Options for {@link chunksArb}. */
export interface ChunkingOptions {
  /** Also insert empty chunks (a read of 0 bytes), default false. */
  readonly emptyChunks?: boolean;
  /** Maximum number of cut points for the random strategy (default 64). */
  readonly maxCuts?: number;
}

/**
 * All the ways to cut `data`: one chunk, one byte per chunk, random cut
 * points, and cuts right before/after every CR, LF and "." (where
 * terminators straddle chunk boundaries). Concatenating the chunks always
 * gives back `data`.
 */
export function chunksArb(data: Uint8Array, opts: ChunkingOptions = {}): fc.Arbitrary<Uint8Array[]> {
  const n = data.length;
  if (n <= 1) return fc.constant(opts.emptyChunks ? [data.subarray(0, 0), data] : [data]);
  const interesting: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = data[i];
    if (c === 0x0d || c === 0x0a || c === 0x2e) interesting.push(i, i + 1);
  }
  const random = fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: Math.min(n - 1, opts.maxCuts ?? 64) });
  const strategies: fc.Arbitrary<number[]>[] = [
    random,
    fc.constant<number[]>([]),
    fc.constant(Array.from({ length: n - 1 }, (_, i) => i + 1)),
  ];
  if (interesting.length > 0) {
    strategies.push(fc.subarray(interesting, { minLength: 1 }));
  }
  const cuts = fc.oneof(...strategies);
  const base = cuts.map((c) => splitAt(data, c));
  if (!opts.emptyChunks) return base;
  return fc.tuple(base, fc.array(fc.nat(), { maxLength: 3 })).map(([chunks, empties]) => {
    const out = [...chunks];
    for (const e of empties) out.splice(e % (out.length + 1), 0, data.subarray(0, 0));
    return out;
  });
}

/** A byte string from `bytes` together with one of its chunkings. */
export function chunkedArb(
  bytes: fc.Arbitrary<Uint8Array>,
  opts: ChunkingOptions = {},
): fc.Arbitrary<{ readonly bytes: Uint8Array; readonly chunks: Uint8Array[] }> {
  return bytes.chain((b) => chunksArb(b, opts).map((chunks) => ({ bytes: b, chunks })));
}

/**
 * Arbitrary bytes biased toward what SMTP parsers trip on: CR, LF, ".",
 * NUL, digits, spaces, "-", ":" "<" ">", 8-bit octets, and whole command
 * fragments (`"MAIL FROM:<"`, `"\r\n.\r\n"`, `"BDAT 5 LAST\r\n"`).
 */
export function smtpNoiseArb(maxLength = 400): fc.Arbitrary<Uint8Array> {
  const fragments = [
    '\r\n', '\n', '\r', '.', '\r\n.\r\n', '\r\n..', 'EHLO x\r\n', 'HELO x\r\n', 'MAIL FROM:<', 'RCPT TO:<a@b>\r\n',
    'DATA\r\n', 'BDAT 5 LAST\r\n', 'BDAT 0\r\n', 'RSET\r\n', 'QUIT\r\n', 'NOOP\r\n', ' SIZE=99999999999999999999',
    'SMTPUTF8', '250-', '354 ', '\0', '\u00ff', '@', '>', '<>', ':', 'x'.repeat(600),
  ];
  const piece = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...fragments) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) },
  );
  return fc.array(piece, { maxLength: Math.max(1, Math.floor(maxLength / 4)) }).map((pieces) => {
    const s = pieces.join('').slice(0, maxLength);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
    return out;
  });
}
