/**
 * Character classes of the SMTP grammars (RFC 5321 §4.1.2, RFC 6531 §3.3,
 * RFC 3461 §4 xtext), as strings and as fast-check units.
 *
 * Internal module of `@netlayers/smtp-protocol/testing`.
 * @internal
 */
import fc from 'fast-check';

/** ALPHA (RFC 5234). */
export const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** DIGIT (RFC 5234). */
export const DIGIT = '0123456789';
/** `atext` of RFC 5322 §3.2.3, used by RFC 5321 `Atom`. */
export const ATEXT = `${ALPHA}${DIGIT}!#$%&'*+-/=?^_\`{|}~`;
/** `Let-dig` (RFC 5321 §4.1.2). */
export const LET_DIG = `${ALPHA}${DIGIT}`;
/** `Ldh-str` characters (RFC 5321 §4.1.2). */
export const LDH = `${LET_DIG}-`;
/** `qtextSMTP` = %d32-33 / %d35-91 / %d93-126 (RFC 5321 §4.1.2). */
export const QTEXT_SMTP = range(32, 33) + range(35, 91) + range(93, 126);
/** `%d32-126`: what may follow a backslash in `quoted-pairSMTP`. */
export const PRINTABLE_SP = range(32, 126);
/** `xchar` of RFC 3461 §4: "!" .. "~" except "+" and "=". */
export const XCHAR = range(33, 126).replace('+', '').replace('=', '');
/** `esmtp-value` characters = %d33-60 / %d62-126 (RFC 5321 §4.1.2). */
export const ESMTP_VALUE = range(33, 60) + range(62, 126);
/** `textstring` characters of a reply = %d9 / %d32-126 (RFC 5321 §4.2). */
export const REPLY_TEXT = `\t${range(32, 126)}`;

/**
 * A small set of non-ASCII scalar values (UTF8-non-ascii, RFC 6532 §3.1) from
 * several scripts and UTF-8 lengths (2, 3 and 4 octets).
 */
export const UTF8_NON_ASCII = [
  'é', 'ü', 'ß', 'ø', 'ñ', 'ж', 'д', 'λ', 'ש', 'ع', 'क', '中', '文', '例', '子', '用', '户',
  'ー', 'ク', '한', '글', '𝔘', '😀', '𐍈',
];

/** Every character of the string `chars` as a fast-check unit. */
export function unitOf(chars: string): fc.Arbitrary<string> {
  return fc.constantFrom(...Array.from(chars));
}

/** A string of `min..max` characters taken from `chars`. */
export function stringOf(chars: string, minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc.string({ unit: unitOf(chars), minLength, maxLength });
}

/** Number of UTF-8 octets of `s`. */
export function octets(s: string): number {
  return utf8.encode(s).length;
}

/** Shared encoder (UTF-8). */
export const utf8 = new TextEncoder();
/** Shared decoder (UTF-8, lenient). */
export const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
/** Latin-1 ("binary") string -> bytes, one octet per char code. */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

function range(from: number, to: number): string {
  let s = '';
  for (let c = from; c <= to; c++) s += String.fromCharCode(c);
  return s;
}

/**
 * An integer in `[min, max]` biased toward the edges the RFCs name: `min`,
 * `max`, `max - 1` and the middle, so length limits are hit often.
 */
export function edgeBiasedLength(min: number, max: number): fc.Arbitrary<number> {
  if (max <= min) return fc.constant(min);
  return fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min, max }) },
    { weight: 1, arbitrary: fc.constant(max) },
    { weight: 1, arbitrary: fc.constant(Math.max(min, max - 1)) },
    { weight: 1, arbitrary: fc.constant(min) },
  );
}
