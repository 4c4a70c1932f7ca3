/**
 * Message content arbitraries and a whole-buffer reference model of the DATA
 * section (RFC 5321 §4.1.1.4, §4.5.2):
 *
 * - the client doubles a leading "." on every line ({@link referenceDotStuff});
 * - the data ends at `<CRLF>.<CRLF>` — the CRLF of the DATA command counts as
 *   the first CRLF, so `.<CRLF>` right after 354 is an empty message
 *   ({@link referenceFindDataEnd});
 * - the server drops the first "." of every line that starts with one
 *   ({@link referenceUnstuff}).
 *
 * The reference functions are deliberately naive (one pass over the whole
 * buffer, no streaming): they are the oracle streaming implementations are
 * compared with. Lines are delimited by CRLF only (§2.3.8); a bare LF or CR
 * is content. The generators put the hard cases in often: lines that start
 * with ".", lines of only ".", `\r\n.\r\n` inside content (a line holding
 * ".", which stuffing turns into ".."), bare LF / bare CR, `\n.\n`-style
 * smuggling sequences, empty lines, 998-octet lines and 8-bit octets.
 */
import fc from 'fast-check';
import { latin1 } from './chars.js';

/** RFC 5321 §4.5.3.1.6: a text line, CRLF included, is at most 1000 octets. */
export const MAX_TEXT_LINE_OCTETS = 1000;

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** Options for {@link messageContentArb}. */
export interface ContentArbitraryOptions {
  /** Maximum number of lines (default 20). */
  readonly maxLines?: number;
  /** Allow lines up to 998 octets (default true; otherwise ≤ 80). */
  readonly longLines?: boolean;
  /** Insert bare LF / bare CR inside lines (default false: valid SMTP content). */
  readonly bareLineEnds?: boolean;
  /** Allow octets ≥ 0x80 (8BITMIME) — default true. */
  readonly eightBit?: boolean;
  /** Always end with CRLF (default true). Otherwise sometimes not. */
  readonly endsWithCrlf?: boolean;
  /** Allow NUL octets (default false: RFC 2045 §2.8 8bit data has none; servers may refuse it with 554). */
  readonly nul?: boolean;
}

/** Awkward lines, weighted in by {@link textLineArb}. */
export const TRICKY_LINES: readonly string[] = [
  '', '.', '..', '...', '.x', '..x', '. ', ' .', 'x.', 'From x', '.\t', '.\u00e9',
];

/** One text line (no line terminator), ≤ 998 octets, as a latin-1 string. */
export function textLineArb(opts: ContentArbitraryOptions = {}): fc.Arbitrary<string> {
  const eight = opts.eightBit !== false;
  const unit = eight
    ? fc.integer({ min: opts.nul === true ? 0 : 1, max: 255 }).filter((c) => c !== CR && c !== LF).map((c) => String.fromCharCode(c))
    : fc.integer({ min: 32, max: 126 }).map((c) => String.fromCharCode(c));
  const maxLen = opts.longLines === false ? 80 : 998;
  const plain = fc.oneof(
    { weight: 5, arbitrary: fc.string({ unit, maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit, minLength: maxLen - 2, maxLength: maxLen }) },
  );
  const line = fc.oneof(
    { weight: 4, arbitrary: plain },
    { weight: 3, arbitrary: fc.constantFrom(...TRICKY_LINES) },
    { weight: 2, arbitrary: plain.map((s) => `.${s}`.slice(0, maxLen)) },
  );
  if (!opts.bareLineEnds) return line;
  return fc.oneof(
    { weight: 3, arbitrary: line },
    {
      weight: 2,
      arbitrary: fc
        .tuple(line, fc.constantFrom('\n', '\r', '\n.\n', '\n.\r', '\r.\r', '.\n', '\n.'), line)
        .map(([a, mid, b]) => `${a}${mid}${b}`.slice(0, maxLen)),
    },
  );
}

/**
 * Message content as the user sees it (before dot-stuffing): text lines
 * joined by CRLF, ending with CRLF unless `endsWithCrlf: false`.
 */
export function messageContentArb(opts: ContentArbitraryOptions = {}): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.array(textLineArb(opts), { maxLength: opts.maxLines ?? 20 }), fc.boolean())
    .map(([lines, noFinal]) => {
      const body = lines.map((l) => `${l}\r\n`).join('');
      const cut = opts.endsWithCrlf === false && noFinal && body.length >= 2 ? body.slice(0, -2) : body;
      return latin1(cut);
    });
}

/**
 * Content containing SMTP-smuggling sequences (bare `\n.\n`, `\r\n.\n`,
 * `\n.\r\n`, `\r.\r\n` …) followed by what looks like a second SMTP
 * transaction. A conforming server keeps all of it inside one message or
 * rejects the message; it never ends the data early.
 */
export function smugglingContentArb(): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.constantFrom('\n.\n', '\n.\r\n', '\r\n.\n', '\r.\r\n', '\r\n.\r', '\r.\r', '\n..\n'),
      fc.constantFrom('MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n', 'RSET\r\n', ''),
    )
    .map(([seq, smuggled]) => latin1(`Subject: smuggling\r\n\r\nhello${seq}${smuggled}smuggled body\r\n`));
}

/** Does `buf[i..]` start with CRLF? */
function crlfAt(buf: Uint8Array, i: number): boolean {
  return buf[i] === CR && buf[i + 1] === LF;
}

/**
 * RFC 5321 §4.5.2 transparency, reference version: double the first "." of
 * every line (lines start at offset 0 and after each CRLF). Then append the
 * terminator: `CRLF.CRLF` if the content does not end with CRLF, else `.CRLF`.
 * The result is exactly what a client writes after 354.
 */
export function referenceDotStuff(content: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < content.length; i++) {
    const atLineStart = i === 0 || (content[i - 1] === LF && content[i - 2] === CR);
    const c = content[i] as number;
    if (atLineStart && c === DOT) out.push(DOT);
    out.push(c);
  }
  if (content.length > 0 && !(content[content.length - 2] === CR && content[content.length - 1] === LF)) out.push(CR, LF);
  out.push(DOT, CR, LF);
  return Uint8Array.from(out);
}

/** Where the DATA section of a byte stream ends (see {@link referenceFindDataEnd}). */
export interface DataEnd {
  /** Offset just after the content (its final CRLF included; 0 for an empty message). */
  readonly contentEnd: number;
  /** Offset of the first byte after the terminator (the next command). */
  readonly next: number;
}

/**
 * Find the end of a DATA section in `wire` (the bytes that follow the CRLF
 * of the DATA command): the first `.CRLF` at offset 0 or the first
 * `CRLF.CRLF`. `undefined` while the terminator has not arrived. LF-only
 * sequences are never terminators (§4.1.1.4).
 */
export function referenceFindDataEnd(wire: Uint8Array): DataEnd | undefined {
  if (wire[0] === DOT && crlfAt(wire, 1)) return { contentEnd: 0, next: 3 };
  for (let i = 0; i + 5 <= wire.length; i++) {
    if (crlfAt(wire, i) && wire[i + 2] === DOT && crlfAt(wire, i + 3)) return { contentEnd: i + 2, next: i + 5 };
  }
  return undefined;
}

/**
 * Remove the transparency dots (§4.5.2) from stuffed content — the bytes
 * before {@link DataEnd.contentEnd}: the first "." of every line that
 * starts with one is dropped.
 */
export function referenceUnstuff(stuffed: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < stuffed.length; i++) {
    const atLineStart = i === 0 || (stuffed[i - 1] === LF && stuffed[i - 2] === CR);
    const c = stuffed[i] as number;
    if (atLineStart && c === DOT) continue;
    out.push(c);
  }
  return Uint8Array.from(out);
}

/**
 * The content size RFC 1870 §1 defines for a message: octets including
 * CRLFs but not the terminating dot or doubled dots — i.e. the unstuffed
 * content length.
 */
export function referenceMessageSize(content: Uint8Array): number {
  return content.length;
}

/** Content plus its exact DATA-section wire form. */
export interface DataSection {
  /** The message as sent by the user (unstuffed). */
  readonly content: Uint8Array;
  /** Stuffed content plus terminator, as written after 354. */
  readonly wire: Uint8Array;
}

/**
 * A message and its DATA wire form. With `bareLineEnds`, the content has bare
 * LF/CR (which a conforming server rejects); otherwise it is valid SMTP
 * content whose lines, stuffed, are at most 1001 octets incl. CRLF (the
 * doubled dot does not count against the 1000-octet limit, §4.5.3.1.6).
 */
export function dataSectionArb(opts: ContentArbitraryOptions = {}): fc.Arbitrary<DataSection> {
  return messageContentArb(opts).map((content) => ({ content, wire: referenceDotStuff(content) }));
}

/** Does `content` contain a bare CR or bare LF (not part of a CRLF pair)? */
export function hasBareLineEnd(content: Uint8Array): boolean {
  for (let i = 0; i < content.length; i++) {
    const c = content[i];
    if (c === CR && content[i + 1] !== LF) return true;
    if (c === LF && content[i - 1] !== CR) return true;
  }
  return false;
}
