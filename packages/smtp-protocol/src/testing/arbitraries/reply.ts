/**
 * Arbitraries for SMTP replies (RFC 5321 §4.2) and enhanced status codes
 * (RFC 3463, RFC 2034):
 *
 * ```
 * Reply-line  = *( Reply-code "-" [ textstring ] CRLF )
 *               Reply-code [ SP textstring ] CRLF
 * Reply-code  = %x32-35 %x30-35 %x30-39
 * textstring  = 1*(%d09 / %d32-126)
 * status-code = class "." subject "." detail   ; class 2/4/5, 1–3 digits, no leading zero
 * ```
 *
 * Every line of a multi-line reply carries the same code (and, with
 * ENHANCEDSTATUSCODES, the same enhanced code — RFC 2034 §3). Lines are at
 * most 512 octets with CRLF (§4.5.3.1.5). Clients must also accept a bare
 * code with or without a trailing space (§4.2), so {@link replyArb} can emit
 * those too.
 */
import fc from 'fast-check';
import { REPLY_TEXT, stringOf, utf8 } from './chars.js';

/** RFC 5321 §4.5.3.1.5: a reply line, CRLF included, is at most 512 octets. */
export const MAX_REPLY_LINE_OCTETS = 512;

/** A reply as plain data. */
export interface GeneratedReply {
  /** Three-digit code, `%x32-35 %x30-35 %x30-39`. */
  readonly code: number;
  /** RFC 3463 `class.subject.detail`, written at the start of every line. */
  readonly enhanced?: string;
  /**
   * Text of each line, without code, separator or enhanced code. At least one
   * element. A single empty text with {@link bare} set is the bare-code form.
   */
  readonly lines: readonly string[];
  /** Last line written as `"250"` (`'code'`) or `"250 "` (`'space'`) when its text is empty. */
  readonly bare?: 'code' | 'space';
}

/** Serialize a reply to its exact wire form (every line CRLF-terminated). */
export function formatReply(r: GeneratedReply): string {
  const prefix = r.enhanced === undefined ? '' : `${r.enhanced} `;
  const n = r.lines.length;
  return r.lines
    .map((text, i) => {
      const last = i === n - 1;
      if (last && r.bare !== undefined && text === '' && r.enhanced === undefined) {
        return `${r.code}${r.bare === 'space' ? ' ' : ''}\r\n`;
      }
      return `${r.code}${last ? ' ' : '-'}${prefix}${text}\r\n`;
    })
    .join('');
}

/** Serialize a reply to octets. */
export function replyBytes(r: GeneratedReply): Uint8Array {
  return utf8.encode(formatReply(r));
}

/** A reply code `%x32-35 %x30-35 %x30-39` (RFC 5321 §4.2), optionally of one class. */
export function replyCodeArb(firstDigits: readonly (2 | 3 | 4 | 5)[] = [2, 3, 4, 5]): fc.Arbitrary<number> {
  return fc
    .tuple(fc.constantFrom(...firstDigits), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 9 }))
    .map(([a, b, c]) => a * 100 + b * 10 + c);
}

/** The reply codes RFC 5321 §4.2.3 lists, for biased generation. */
export const KNOWN_REPLY_CODES = [
  211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555,
] as const;

/** An RFC 3463 enhanced code `class.subject.detail` with the given class. */
export function enhancedCodeArb(cls?: 2 | 4 | 5): fc.Arbitrary<string> {
  const part = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 999 }));
  return fc
    .tuple(cls === undefined ? fc.constantFrom(2, 4, 5) : fc.constant(cls), part, part)
    .map(([c, s, d]) => `${c}.${s}.${d}`);
}

/** Options for {@link replyArb}. */
export interface ReplyArbitraryOptions {
  /** Maximum number of lines (default 6; 1 gives single-line replies only). */
  readonly maxLines?: number;
  /** Add enhanced codes: `true` always, `false` never, default sometimes. */
  readonly enhanced?: boolean;
  /** Codes restricted to these first digits. */
  readonly classes?: readonly (2 | 3 | 4 | 5)[];
  /** Allow the bare-code forms `"250"` / `"250 "` (default true). */
  readonly bare?: boolean;
}

/**
 * A reply, every line ≤ 512 octets, codes biased toward the ones RFC 5321
 * names, multi-line replies common, and line texts that contain `-`, digits
 * and spaces where parsers get confused (`"250-250 x"`).
 */
export function replyArb(opts: ReplyArbitraryOptions = {}): fc.Arbitrary<GeneratedReply> {
  const classes = opts.classes ?? [2, 3, 4, 5];
  const known = KNOWN_REPLY_CODES.filter((c) => classes.includes(Math.floor(c / 100) as 2 | 3 | 4 | 5));
  const code = known.length > 0
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: replyCodeArb(classes) })
    : replyCodeArb(classes);
  const maxLines = Math.max(1, opts.maxLines ?? 6);
  const text = fc.oneof(
    { weight: 4, arbitrary: stringOf(REPLY_TEXT, 0, 60) },
    { weight: 1, arbitrary: fc.constantFrom('250-250 x', '-', ' ', 'OK', '2.0.0 Ok', 'PIPELINING', 'SIZE 10240000', '\tTab') },
    { weight: 1, arbitrary: stringOf(REPLY_TEXT, 400, 506) },
  );
  return fc
    .tuple(code, fc.array(text, { minLength: 1, maxLength: maxLines }), fc.boolean(), fc.constantFrom<'code' | 'space' | undefined>(undefined, 'code', 'space'))
    .chain(([c, lines, withEnh, bare]) => {
      const cls = Math.floor(c / 100);
      const wantEnh = opts.enhanced ?? withEnh;
      const enh = wantEnh && cls !== 3 ? enhancedCodeArb(cls as 2 | 4 | 5).map((e) => e as string | undefined) : fc.constant(undefined);
      return enh.map((e): GeneratedReply => {
        const budget = MAX_REPLY_LINE_OCTETS - 6 - (e === undefined ? 0 : e.length + 1);
        const fitted = lines.map((l) => l.slice(0, Math.max(0, budget)));
        const base = e === undefined ? { code: c, lines: fitted } : { code: c, enhanced: e, lines: fitted };
        const last = fitted[fitted.length - 1];
        return opts.bare !== false && bare !== undefined && last === '' && e === undefined ? { ...base, bare } : base;
      });
    });
}

/**
 * An EHLO reply (RFC 5321 §4.1.1.1): `250-domain greeting` then one line per
 * extension keyword with its parameters.
 */
export function ehloReplyArb(): fc.Arbitrary<GeneratedReply> {
  const ext = fc.oneof(
    fc.constantFrom('PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'BINARYMIME', 'DSN', 'STARTTLS', 'HELP'),
    fc.nat({ max: 100_000_000 }).map((n) => `SIZE ${n}`),
    fc.constant('SIZE'),
    fc.constantFrom('AUTH PLAIN LOGIN', 'X-NETLAYERS-TEST a b c'),
  );
  return fc
    .tuple(fc.constantFrom('mx.example.com', 'localhost', '[127.0.0.1]'), fc.uniqueArray(ext, { maxLength: 9 }))
    .map(([domain, exts]) => ({ code: 250, lines: [`${domain} greets you`, ...exts] }));
}
