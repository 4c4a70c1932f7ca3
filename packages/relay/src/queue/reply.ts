/**
 * Reading the next hop's replies: the RFC 3463 enhanced status code a reply
 * carries (or implies), and a single-line form safe for header fields and
 * log lines.
 * @module
 */

const ENHANCED_AFTER_CODE = /^[245]\d\d[ -]([245]\.\d{1,3}\.\d{1,3})(?![\d.])/;
const ENHANCED_ALONE = /^([245]\.\d{1,3}\.\d{1,3})(?![\d.])/;
const BASIC = /^([245])\d\d/;

/**
 * The enhanced status code of a reply: `"550 5.1.1 no such user"` → `5.1.1`,
 * `"4.4.1 connection failed"` → `4.4.1`, `"451 busy"` → `4.0.0`.
 * @param fallback returned when the reply has no code at all
 */
export function statusOf(reply: string, fallback: string): string {
  const m = ENHANCED_AFTER_CODE.exec(reply) ?? ENHANCED_ALONE.exec(reply);
  if (m !== null) return m[1]!;
  const b = BASIC.exec(reply);
  return b !== null ? `${b[1]}.0.0` : fallback;
}

/** Joins a (possibly multi-line) reply into one line of at most `max` characters, without control characters. */
export function oneLine(reply: string, max = 900): string {
  // eslint-disable-next-line no-control-regex
  const s = reply.replace(/\r?\n/g, ' ').replace(/[\x00-\x1f\x7f]/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** Decodes RFC 3461 xtext (`+HH` escapes), as ENVID and ORCPT values are sent. */
export function decodeXtext(s: string): string {
  return s.replace(/\+([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}
