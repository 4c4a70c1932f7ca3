/**
 * Arbitraries for RFC 5321 §4.1.2 mailboxes and paths, with the RFC 6531
 * (SMTPUTF8) extensions and the §4.5.3.1 length limits as edge cases:
 *
 * ```
 * Path          = "<" [ A-d-l ":" ] Mailbox ">"      ; ≤ 256 octets incl. "<" ">"
 * Mailbox       = Local-part "@" ( Domain / address-literal )
 * Local-part    = Dot-string / Quoted-string          ; ≤ 64 octets
 * Dot-string    = Atom *("." Atom)
 * Quoted-string = DQUOTE *QcontentSMTP DQUOTE
 * Domain        = sub-domain *("." sub-domain)          ; ≤ 255 octets
 * sub-domain    = Let-dig [Ldh-str]                     ; label ≤ 63 octets
 * ```
 *
 * With `utf8: true`, `atext`, `qtextSMTP` and sub-domains also take
 * `UTF8-non-ascii` (RFC 6531 §3.3); lengths are always counted in octets.
 */
import fc from 'fast-check';
import {
  ATEXT, DIGIT, LDH, LET_DIG, PRINTABLE_SP, QTEXT_SMTP, UTF8_NON_ASCII,
  edgeBiasedLength, octets, unitOf,
} from './chars.js';

/** RFC 5321 §4.5.3.1.1: maximum local-part length in octets. */
export const MAX_LOCAL_PART_OCTETS = 64;
/** RFC 5321 §4.5.3.1.2: maximum domain length in octets. */
export const MAX_DOMAIN_OCTETS = 255;
/** RFC 5321 §4.5.3.1.3: maximum path length in octets, including `<` and `>`. */
export const MAX_PATH_OCTETS = 256;
/** RFC 1035 §2.3.4: maximum label length. */
export const MAX_LABEL_OCTETS = 63;

/** Options shared by the address arbitraries. */
export interface AddressArbitraryOptions {
  /** Allow UTF8-non-ascii in local parts and domains (RFC 6531). Default false. */
  readonly utf8?: boolean;
  /** Also generate Quoted-string local parts. Default true. */
  readonly quoted?: boolean;
  /** Also generate address literals (`[192.0.2.1]`, `[IPv6:…]`). Default true. */
  readonly addressLiterals?: boolean;
  /**
   * Bias lengths toward the RFC 5321 §4.5.3.1 limits (64-octet local part,
   * 256-octet path). Default true.
   */
  readonly edgeLengths?: boolean;
}

/** A generated mailbox split in its two parts. */
export interface MailboxParts {
  /** Local part exactly as it appears on the wire (quoted or dot-string). */
  readonly localPart: string;
  /** Domain, or address literal including the brackets. */
  readonly domain: string;
}

/** Join a {@link MailboxParts} into `local@domain`. */
export function formatMailbox(m: MailboxParts): string {
  return `${m.localPart}@${m.domain}`;
}

/**
 * A dot-string local part of exactly `length` octets when ASCII (or at most
 * `length` octets with UTF-8 characters): atoms separated by single dots,
 * never leading, trailing or doubled.
 */
export function dotStringArb(length: number, utf8 = false): fc.Arbitrary<string> {
  const unit = utf8
    ? fc.oneof({ weight: 4, arbitrary: unitOf(ATEXT) }, { weight: 1, arbitrary: fc.constantFrom(...UTF8_NON_ASCII) })
    : unitOf(ATEXT);
  return fc
    .tuple(
      fc.array(unit, { minLength: length, maxLength: length }),
      fc.array(fc.nat({ max: Math.max(0, length - 1) }), { maxLength: Math.max(0, Math.floor(length / 3)) }),
    )
    .map(([chars, dots]) => {
      for (const d of dots) {
        // A dot may replace an inner character whose neighbours are not dots.
        if (d <= 0 || d >= chars.length - 1) continue;
        if (chars[d - 1] === '.' || chars[d + 1] === '.') continue;
        chars[d] = '.';
      }
      return truncateOctets(chars, length);
    });
}

/**
 * A Quoted-string local part (RFC 5321 §4.1.2) of at most `length` octets
 * including the two DQUOTEs, with quoted pairs (`\"`, `\\`, `\ `) mixed in.
 */
export function quotedStringArb(length: number, utf8 = false): fc.Arbitrary<string> {
  const inner = Math.max(0, length - 2);
  const piece = fc.oneof(
    { weight: 6, arbitrary: unitOf(QTEXT_SMTP) },
    { weight: 1, arbitrary: unitOf(PRINTABLE_SP).map((c) => `\\${c}`) },
    { weight: 1, arbitrary: fc.constantFrom('\\"', '\\\\', ' ', '@', '.', '..', ',') },
    ...(utf8 ? [{ weight: 1, arbitrary: fc.constantFrom(...UTF8_NON_ASCII) }] : []),
  );
  return fc.array(piece, { minLength: 0, maxLength: inner }).map((pieces) => {
    const kept: string[] = [];
    let used = 2;
    for (const p of pieces) {
      const n = octets(p);
      if (used + n > length) break;
      kept.push(p);
      used += n;
    }
    return `"${kept.join('')}"`;
  });
}

/** A local part of 1..`maxOctets` octets, dot-string or (optionally) quoted. */
export function localPartArb(opts: AddressArbitraryOptions & { readonly maxOctets?: number } = {}): fc.Arbitrary<string> {
  const max = opts.maxOctets ?? MAX_LOCAL_PART_OCTETS;
  const len = opts.edgeLengths === false ? fc.integer({ min: 1, max }) : edgeBiasedLength(1, max);
  const utf8 = opts.utf8 ?? false;
  return len.chain((n) =>
    opts.quoted === false || n < 2
      ? dotStringArb(n, utf8)
      : fc.oneof({ weight: 3, arbitrary: dotStringArb(n, utf8) }, { weight: 1, arbitrary: quotedStringArb(n, utf8) }),
  );
}

/**
 * A domain name of exactly `length` octets (ASCII) made of labels of 1..63
 * octets, each starting and ending with a letter or digit. With `utf8`, some
 * labels are U-labels (the octet count is then at most `length`).
 */
export function domainOfLengthArb(length: number, utf8 = false): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: MAX_LABEL_OCTETS }), { minLength: 1, maxLength: 8 }),
      fc.array(unitOf(LDH), { minLength: length, maxLength: length }),
      fc.array(unitOf(LET_DIG), { minLength: length, maxLength: length }),
      utf8 ? fc.array(fc.constantFrom(...UTF8_NON_ASCII), { minLength: 1, maxLength: 4 }) : fc.constant<string[]>([]),
    )
    .map(([seeds, ldh, letdig, uchars]) => {
      const labels = partitionLabels(length, seeds);
      let pos = 0;
      const out: string[] = [];
      labels.forEach((n, li) => {
        let label = '';
        for (let i = 0; i < n; i++, pos++) {
          const edge = i === 0 || i === n - 1;
          label += edge ? letdig[pos] ?? 'a' : ldh[pos] ?? 'a';
        }
        if (uchars.length > 0 && li === 0 && n >= 6) {
          // Turn the first label into a U-label, keeping it within its octets.
          let u = uchars.join('');
          while (octets(u) > n - 1 && u.length > 0) u = Array.from(u).slice(0, -1).join('');
          if (u.length > 0) label = u + label.slice(octets(u));
        }
        out.push(label);
      });
      return out.join('.');
    });
}

/** Split `length` octets into DNS labels (dots included), guided by `seeds`. */
function partitionLabels(length: number, seeds: readonly number[]): number[] {
  const labels: number[] = [];
  let rem = length;
  let i = 0;
  while (rem > 0) {
    if (rem <= MAX_LABEL_OCTETS && (labels.length > 0 || rem === length)) {
      labels.push(rem);
      break;
    }
    const seed = seeds[i++ % seeds.length] ?? 1;
    // Leave at least ". x" (2 octets) after this label.
    const n = Math.max(1, Math.min(seed, MAX_LABEL_OCTETS, rem - 2));
    labels.push(n);
    rem -= n + 1;
  }
  return labels;
}

/** An RFC 5321 §4.1.3 address literal: IPv4, IPv6 or General-address-literal. */
export function addressLiteralArb(): fc.Arbitrary<string> {
  const octet = fc.integer({ min: 0, max: 255 });
  const v4 = fc.tuple(octet, octet, octet, octet).map((a) => a.join('.'));
  const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
  const v6full = fc.array(hex, { minLength: 8, maxLength: 8 }).map((g) => `IPv6:${g.join(':')}`);
  const v6comp = fc
    .tuple(fc.array(hex, { minLength: 0, maxLength: 3 }), fc.array(hex, { minLength: 0, maxLength: 3 }))
    .map(([a, b]) => `IPv6:${a.join(':')}::${b.join(':')}`);
  const v6v4 = fc.tuple(fc.array(hex, { minLength: 6, maxLength: 6 }), v4).map(([g, v]) => `IPv6:${g.join(':')}:${v}`);
  const general = fc
    .tuple(fc.constantFrom('X-tag', 'x1'), fc.string({ unit: unitOf(`${LET_DIG}.-_`), minLength: 1, maxLength: 12 }))
    .map(([t, c]) => `${t}:${c}`);
  return fc.oneof(v4, v4, v6full, v6comp, v6v4, general).map((s) => `[${s}]`);
}

/**
 * A mailbox (`local@domain`) whose path `<local@domain>` is at most 256
 * octets, biased toward exactly 64-octet local parts and 256-octet paths.
 */
export function mailboxPartsArb(opts: AddressArbitraryOptions = {}): fc.Arbitrary<MailboxParts> {
  const utf8 = opts.utf8 ?? false;
  const edges = opts.edgeLengths !== false;
  return localPartArb(opts).chain((localPart) => {
    // "<" local "@" domain ">" ≤ 256  =>  domain ≤ 253 - octets(local)
    const maxDomain = Math.min(MAX_DOMAIN_OCTETS, MAX_PATH_OCTETS - 3 - octets(localPart));
    const len = edges ? edgeBiasedLength(1, maxDomain) : fc.integer({ min: 1, max: Math.min(maxDomain, 40) });
    const domain = len.chain((n) => domainOfLengthArb(n, utf8));
    const withLiteral = opts.addressLiterals === false
      ? domain
      : fc.oneof({ weight: 6, arbitrary: domain }, { weight: 1, arbitrary: addressLiteralArb() });
    return withLiteral.map((d) => ({ localPart, domain: d }));
  });
}

/** A mailbox string `local@domain` (see {@link mailboxPartsArb}). */
export function mailboxArb(opts: AddressArbitraryOptions = {}): fc.Arbitrary<string> {
  return mailboxPartsArb(opts).map(formatMailbox);
}

/** A short, plain ASCII mailbox such as `ab.c@ex-1.example` (for envelopes in bulk). */
export function simpleMailboxArb(): fc.Arbitrary<string> {
  return mailboxArb({ quoted: false, addressLiterals: false, edgeLengths: false, utf8: false }).filter(
    (m) => m.length <= 80,
  );
}

/** A forward-path `<mailbox>` (RFC 5321 §4.1.2), ≤ 256 octets. */
export function forwardPathArb(opts: AddressArbitraryOptions = {}): fc.Arbitrary<string> {
  return mailboxArb(opts).map((m) => `<${m}>`);
}

/**
 * A reverse-path: a {@link forwardPathArb} or the null path `<>`
 * (RFC 5321 §4.5.5), with an occasional source route `<@a,@b:x@y>`, which
 * servers MUST accept and SHOULD ignore (RFC 5321 §4.1.2, appendix C).
 */
export function reversePathArb(opts: AddressArbitraryOptions = {}): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: forwardPathArb(opts) },
    { weight: 1, arbitrary: fc.constant('<>') },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.array(domainOfLengthArb(7), { minLength: 1, maxLength: 2 }), simpleMailboxArb())
        .map(([route, m]) => `<${route.map((d) => `@${d}`).join(',')}:${m}>`),
    },
  );
}

/** How an invalid path generated by {@link invalidPathArb} is broken. */
export type InvalidPathKind =
  | 'missing-bracket'
  | 'no-at'
  | 'local-too-long'
  | 'path-too-long'
  | 'double-dot'
  | 'leading-dot'
  | 'unquoted-space'
  | 'control-char'
  | 'empty-domain'
  | 'bad-label-hyphen';

/**
 * Paths that a conforming server must reject (501/553 on MAIL or RCPT),
 * labelled with what is wrong with them. (A DNS label over 63 octets is not
 * in this list: RFC 5321's `sub-domain` grammar does not bound it.)
 */
export function invalidPathArb(): fc.Arbitrary<{ readonly kind: InvalidPathKind; readonly path: string }> {
  const ok = mailboxPartsArb({ quoted: false, addressLiterals: false, edgeLengths: false });
  const atom = fc.string({ unit: unitOf(ATEXT), minLength: 1, maxLength: 10 });
  const mk = (kind: InvalidPathKind, a: fc.Arbitrary<string>) => a.map((path) => ({ kind, path }));
  return fc.oneof(
    mk('missing-bracket', ok.map((m) => `<${formatMailbox(m)}`)),
    mk('no-at', atom.map((a) => `<${a}>`)),
    mk('local-too-long', fc.integer({ min: 65, max: 120 }).map((n) => `<${'a'.repeat(n)}@example.com>`)),
    mk(
      'path-too-long',
      fc.integer({ min: 0, max: 60 }).map((extra) => `<${'l'.repeat(64)}@${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(7 + extra)}.com>`),
    ),
    mk('double-dot', fc.tuple(atom, atom).map(([a, b]) => `<${a}..${b}@example.com>`)),
    mk('leading-dot', atom.map((a) => `<.${a}@example.com>`)),
    mk('unquoted-space', fc.tuple(atom, atom).map(([a, b]) => `<${a} ${b}@example.com>`)),
    mk('control-char', fc.tuple(atom, fc.integer({ min: 1, max: 31 })).map(([a, c]) => `<${a}${String.fromCharCode(c === 10 || c === 13 ? 1 : c)}@example.com>`)),
    mk('empty-domain', atom.map((a) => `<${a}@>`)),
    mk('bad-label-hyphen', atom.map((a) => `<${a}@-bad.example>`)),
  );
}

/** A bare digit string, used by callers that need numeric tags. */
export const digitsArb = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: unitOf(DIGIT), minLength: min, maxLength: max });

function truncateOctets(chars: string[], maxOctets: number): string {
  let used = 0;
  let out = '';
  for (const c of chars) {
    const n = octets(c);
    if (used + n > maxOctets) break;
    out += c;
    used += n;
  }
  // Never end (or start) with a dot after truncation.
  while (out.endsWith('.')) out = out.slice(0, -1);
  if (out.length === 0) out = 'x';
  return out;
}
