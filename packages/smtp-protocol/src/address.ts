/**
 * RFC 5321 §4.1.2 path and mailbox syntax, with RFC 6531 (SMTPUTF8) extensions.
 *
 * ```
 * Reverse-path = Path / "<>"
 * Forward-path = Path                 ; plus "<Postmaster>" (§4.1.1.3)
 * Path         = "<" [ A-d-l ":" ] Mailbox ">"
 * Mailbox      = Local-part "@" ( Domain / address-literal )
 * Local-part   = Dot-string / Quoted-string
 * Domain       = sub-domain *("." sub-domain)
 * ```
 * RFC 6531 §3.3 extends `atext`, `qtextSMTP` and `sub-domain` with
 * UTF8-non-ascii. Addresses are returned as written: the local-part keeps its
 * case (RFC 5321 §2.4), only the source route (A-d-l, which §4.1.1.3 says
 * SHOULD be ignored) is dropped.
 *
 * Length limits (RFC 5321 §4.5.3.1): local-part 64, domain 255, path 256 octets.
 *
 * @module
 */

/** Limits applied to paths (octets, UTF-8). */
export interface PathLimits {
  /** Maximum local-part length (RFC 5321 §4.5.3.1.1: 64). */
  readonly localPart?: number;
  /** Maximum domain length (§4.5.3.1.2: 255). */
  readonly domain?: number;
  /** Maximum path length including `<` and `>` (§4.5.3.1.3: 256). */
  readonly path?: number;
}

/** Why a path failed to parse. */
export type PathProblem = 'syntax' | 'too-long';

/** Result of {@link parsePath}. */
export type PathResult =
  | { readonly ok: true; readonly address: string; readonly end: number }
  | { readonly ok: false; readonly problem: PathProblem; readonly message: string };

const enc = new TextEncoder();

function octets(s: string, start = 0, end = s.length): number {
  // fast path for ASCII
  for (let i = start; i < end; i++) if (s.charCodeAt(i) >= 0x80) return enc.encode(s.slice(start, end)).length;
  return end - start;
}

// atext (RFC 5322 §3.2.3): ALPHA DIGIT ! # $ % & ' * + - / = ? ^ _ ` { | } ~
const ATEXT = new Uint8Array(128);
for (const c of "!#$%&'*+-/=?^_`{|}~") ATEXT[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) ATEXT[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) ATEXT[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) ATEXT[c] = 1;

function isAtext(c: number): boolean {
  return c >= 0x80 ? true : ATEXT[c] === 1;
}
function isLetDig(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c >= 0x80;
}

/** True when `s` is a valid RFC 5321 Dot-string (UTF-8 allowed per RFC 6531). */
export function isDotString(s: string): boolean {
  if (s.length === 0) return false;
  let prevDot = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (prevDot) return false;
      prevDot = true;
    } else if (isAtext(c)) prevDot = false;
    else return false;
  }
  return !prevDot;
}

/** True when `s` (including the quotes) is a valid RFC 5321 Quoted-string. */
export function isQuotedString(s: string): boolean {
  if (s.length < 2 || s.charCodeAt(0) !== 0x22 || s.charCodeAt(s.length - 1) !== 0x22) return false;
  for (let i = 1; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) {
      const d = s.charCodeAt(++i);
      if (i >= s.length - 1 || d < 0x20 || (d > 0x7e && d < 0x80)) return false;
    } else if (c === 0x22) return false;
    else if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/** True when `s` is a valid RFC 5321 Domain (U-labels allowed per RFC 6531). */
export function isDomain(s: string): boolean {
  if (s.length === 0) return false;
  let labelStart = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i === s.length || s.charCodeAt(i) === 0x2e) {
      if (i === labelStart) return false;
      if (!isLetDig(s.charCodeAt(labelStart)) || !isLetDig(s.charCodeAt(i - 1))) return false;
      labelStart = i + 1;
      continue;
    }
    const c = s.charCodeAt(i);
    if (!isLetDig(c) && c !== 0x2d) return false;
  }
  return true;
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6(s: string): boolean {
  // RFC 5321 §4.1.3 IPv6-addr: full or compressed, with an optional IPv4 tail.
  let extra = 0;
  let body = s;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.indexOf('.', lastColon) > 0) {
    if (!IPV4_RE.test(s.slice(lastColon + 1))) return false;
    extra = 2;
    body = s.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const okGroup = (g: string): boolean => /^[0-9A-Fa-f]{1,4}$/.test(g);
  const groups = (x: string): string[] => (x === '' ? [] : x.split(':'));
  const dbl = body.indexOf('::');
  if (dbl >= 0) {
    if (dbl !== body.lastIndexOf('::')) return false;
    const a = groups(body.slice(0, dbl));
    const b = groups(body.slice(dbl + 2));
    return [...a, ...b].every(okGroup) && a.length + b.length + extra <= 7;
  }
  const g = groups(body);
  return g.every(okGroup) && g.length + extra === 8;
}

/** True when `s` (including brackets) is a valid RFC 5321 address-literal. */
export function isAddressLiteral(s: string): boolean {
  if (s.length < 3 || s[0] !== '[' || s[s.length - 1] !== ']') return false;
  const inner = s.slice(1, -1);
  if (IPV4_RE.test(inner)) return true;
  if (/^ipv6:/i.test(inner)) return isIPv6(inner.slice(5));
  // General-address-literal = Standardized-tag ":" 1*dcontent
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?):([\x21-\x5a\x5e-\x7e]+)$/.exec(inner);
  return m !== null;
}

/** Splits a mailbox into local-part and domain; `undefined` when invalid. */
export function splitMailbox(mailbox: string): { localPart: string; domain: string } | undefined {
  let at: number;
  if (mailbox.startsWith('"')) {
    // find closing quote honouring quoted-pairs
    let i = 1;
    for (; i < mailbox.length; i++) {
      const c = mailbox.charCodeAt(i);
      if (c === 0x5c) i++;
      else if (c === 0x22) break;
    }
    at = i + 1;
    if (mailbox.charCodeAt(at) !== 0x40) return undefined;
  } else {
    at = mailbox.lastIndexOf('@');
    if (at <= 0) return undefined;
  }
  const localPart = mailbox.slice(0, at);
  const domain = mailbox.slice(at + 1);
  if (!(isDotString(localPart) || isQuotedString(localPart))) return undefined;
  if (!(isDomain(domain) || isAddressLiteral(domain))) return undefined;
  return { localPart, domain };
}

/** True when `s` is a valid Mailbox (`local@domain`). */
export function isMailbox(s: string): boolean {
  return splitMailbox(s) !== undefined;
}

/**
 * Parses a Path starting at `start` of `s` (which must be `<`).
 *
 * @param kind `reverse` accepts the null path `<>`; `forward` accepts `<Postmaster>`.
 * @returns the mailbox (empty string for `<>`) and the index after `>`.
 */
export function parsePath(s: string, start: number, kind: 'reverse' | 'forward', limits: PathLimits = {}): PathResult {
  if (s.charCodeAt(start) !== 0x3c) return { ok: false, problem: 'syntax', message: 'path must start with "<"' };
  // find the closing '>' outside a quoted local-part
  let i = start + 1;
  let inQuote = false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inQuote = false;
    } else if (c === 0x22) inQuote = true;
    else if (c === 0x3e) break;
  }
  if (i >= s.length) return { ok: false, problem: 'syntax', message: 'path must end with ">"' };
  const end = i + 1;
  const pathLen = octets(s, start, end);
  if (pathLen > (limits.path ?? 256)) return { ok: false, problem: 'too-long', message: 'Path too long' };
  let inner = s.slice(start + 1, i);
  if (inner === '') {
    if (kind === 'reverse') return { ok: true, address: '', end };
    return { ok: false, problem: 'syntax', message: 'empty forward-path' };
  }
  if (kind === 'forward' && inner.length === 10 && inner.toLowerCase() === 'postmaster') return { ok: true, address: inner, end };
  // Source route: A-d-l ":" Mailbox — ignored (RFC 5321 §4.1.1.3, Appendix C).
  if (inner.charCodeAt(0) === 0x40) {
    const colon = inner.indexOf(':');
    if (colon < 0) return { ok: false, problem: 'syntax', message: 'bad source route' };
    const adl = inner.slice(0, colon).split(',');
    if (!adl.every((d) => d.startsWith('@') && isDomain(d.slice(1)))) {
      return { ok: false, problem: 'syntax', message: 'bad source route' };
    }
    inner = inner.slice(colon + 1);
  }
  const mb = splitMailbox(inner);
  if (mb === undefined) return { ok: false, problem: 'syntax', message: 'bad mailbox syntax' };
  if (octets(mb.localPart) > (limits.localPart ?? 64)) return { ok: false, problem: 'too-long', message: 'Local-part too long' };
  if (octets(mb.domain) > (limits.domain ?? 255)) return { ok: false, problem: 'too-long', message: 'Domain too long' };
  return { ok: true, address: inner, end };
}

/** True when the string contains any non-ASCII character (needs SMTPUTF8). */
export function isNonAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return true;
  return false;
}
