/**
 * Arbitraries for SMTP command lines (RFC 5321 §4.1.1, RFC 3030 BDAT,
 * RFC 3207 STARTTLS), as plain data ({@link GeneratedCommand}) and as the
 * exact line a client sends. Verbs and parameter keywords come in random
 * case (RFC 5321 §2.4); lines never exceed 512 octets with CRLF unless asked
 * (§4.5.3.1.4, plus the SIZE allowance of RFC 1870 §3).
 */
import fc from 'fast-check';
import { ALPHA, DIGIT, LDH, PRINTABLE_SP, stringOf, utf8 } from './chars.js';
import { addressLiteralArb, domainOfLengthArb, forwardPathArb, reversePathArb } from './address.js';
import type { AddressArbitraryOptions } from './address.js';
import { formatParams, mailParamsArb, mixedCaseArb, rcptParamsArb } from './params.js';
import type { EsmtpParam } from './params.js';

/** RFC 5321 §4.5.3.1.4: a command line, CRLF included, is at most 512 octets. */
export const MAX_COMMAND_LINE_OCTETS = 512;

/** A command as plain data; `verbText` is the verb as written (any case). */
export type GeneratedCommand =
  | { readonly verb: 'EHLO' | 'HELO'; readonly verbText: string; readonly domain: string }
  | { readonly verb: 'MAIL'; readonly verbText: string; readonly path: string; readonly params: readonly EsmtpParam[] }
  | { readonly verb: 'RCPT'; readonly verbText: string; readonly path: string; readonly params: readonly EsmtpParam[] }
  | { readonly verb: 'DATA' | 'RSET' | 'QUIT' | 'STARTTLS'; readonly verbText: string }
  | { readonly verb: 'NOOP' | 'HELP'; readonly verbText: string; readonly arg?: string }
  | { readonly verb: 'VRFY' | 'EXPN'; readonly verbText: string; readonly arg: string }
  | { readonly verb: 'BDAT'; readonly verbText: string; readonly size: number; readonly last: boolean };

/** The verbs {@link GeneratedCommand} covers. */
export type GeneratedVerb = GeneratedCommand['verb'];

/**
 * Serialize a command to its line, WITHOUT the trailing CRLF.
 * `MAIL FROM:` / `RCPT TO:` keep the keyword case of `verbText`'s first
 * letter pattern only for the verb; the `FROM:`/`TO:` keywords are written
 * in the case of the verb text (upper if the verb is upper).
 */
export function formatCommand(c: GeneratedCommand): string {
  switch (c.verb) {
    case 'EHLO':
    case 'HELO':
      return `${c.verbText} ${c.domain}`;
    case 'MAIL':
      return `${c.verbText} ${caseLike(c.verbText, 'FROM')}:${c.path}${formatParams(c.params)}`;
    case 'RCPT':
      return `${c.verbText} ${caseLike(c.verbText, 'TO')}:${c.path}${formatParams(c.params)}`;
    case 'DATA':
    case 'RSET':
    case 'QUIT':
    case 'STARTTLS':
      return c.verbText;
    case 'NOOP':
    case 'HELP':
      return c.arg === undefined ? c.verbText : `${c.verbText} ${c.arg}`;
    case 'VRFY':
    case 'EXPN':
      return `${c.verbText} ${c.arg}`;
    case 'BDAT':
      return `${c.verbText} ${c.size}${c.last ? ` ${caseLike(c.verbText, 'LAST')}` : ''}`;
  }
}

/** Serialize a command to the octets a client sends, CRLF included. */
export function commandBytes(c: GeneratedCommand): Uint8Array {
  return utf8.encode(`${formatCommand(c)}\r\n`);
}

function caseLike(model: string, word: string): string {
  return model === model.toLowerCase() ? word.toLowerCase() : word;
}

/** Options for {@link commandArb}. */
export interface CommandArbitraryOptions extends AddressArbitraryOptions {
  /** Verbs to generate (default: all but STARTTLS and BDAT). */
  readonly verbs?: readonly GeneratedVerb[];
  /** Add ESMTP parameters to MAIL/RCPT. Default true. */
  readonly params?: boolean;
}

const DEFAULT_VERBS: readonly GeneratedVerb[] = ['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'QUIT', 'NOOP', 'HELP', 'VRFY', 'EXPN'];

/** An EHLO/HELO argument: a domain or an address literal. */
export function heloDomainArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 60 }).chain((n) => domainOfLengthArb(n)) },
    { weight: 1, arbitrary: addressLiteralArb() },
  );
}

/**
 * A valid command (plain data). Lines are at most 512 octets with CRLF, or
 * 512 + 26 when a SIZE parameter is present (RFC 1870 §3) — longer
 * candidates are filtered out, which is rare with the default sizes.
 */
export function commandArb(opts: CommandArbitraryOptions = {}): fc.Arbitrary<GeneratedCommand> {
  const verbs = opts.verbs ?? DEFAULT_VERBS;
  const wantParams = opts.params !== false;
  const textArg = stringOf(PRINTABLE_SP.replace(' ', ''), 1, 30);
  const byVerb: Record<GeneratedVerb, fc.Arbitrary<GeneratedCommand>> = {
    EHLO: fc.tuple(mixedCaseArb('EHLO'), heloDomainArb()).map(([verbText, domain]) => ({ verb: 'EHLO' as const, verbText, domain })),
    HELO: fc.tuple(mixedCaseArb('HELO'), heloDomainArb()).map(([verbText, domain]) => ({ verb: 'HELO' as const, verbText, domain })),
    MAIL: fc
      .tuple(fc.constantFrom('MAIL', 'mail', 'Mail'), reversePathArb(opts), wantParams ? mailParamsArb() : fc.constant([]))
      .map(([verbText, path, params]) => ({ verb: 'MAIL' as const, verbText, path, params })),
    RCPT: fc
      .tuple(fc.constantFrom('RCPT', 'rcpt', 'RcPt'), forwardPathArb(opts), wantParams ? rcptParamsArb() : fc.constant([]))
      .map(([verbText, path, params]) => ({ verb: 'RCPT' as const, verbText, path, params })),
    DATA: mixedCaseArb('DATA').map((verbText) => ({ verb: 'DATA' as const, verbText })),
    RSET: mixedCaseArb('RSET').map((verbText) => ({ verb: 'RSET' as const, verbText })),
    QUIT: mixedCaseArb('QUIT').map((verbText) => ({ verb: 'QUIT' as const, verbText })),
    STARTTLS: mixedCaseArb('STARTTLS').map((verbText) => ({ verb: 'STARTTLS' as const, verbText })),
    NOOP: fc
      .tuple(mixedCaseArb('NOOP'), fc.option(textArg, { nil: undefined }))
      .map(([verbText, arg]) => (arg === undefined ? { verb: 'NOOP' as const, verbText } : { verb: 'NOOP' as const, verbText, arg })),
    HELP: fc
      .tuple(mixedCaseArb('HELP'), fc.option(fc.constantFrom('MAIL', 'RCPT', 'DATA'), { nil: undefined }))
      .map(([verbText, arg]) => (arg === undefined ? { verb: 'HELP' as const, verbText } : { verb: 'HELP' as const, verbText, arg })),
    VRFY: fc.tuple(mixedCaseArb('VRFY'), textArg).map(([verbText, arg]) => ({ verb: 'VRFY' as const, verbText, arg })),
    EXPN: fc.tuple(mixedCaseArb('EXPN'), textArg).map(([verbText, arg]) => ({ verb: 'EXPN' as const, verbText, arg })),
    BDAT: fc
      .tuple(mixedCaseArb('BDAT'), fc.nat({ max: 100_000 }), fc.boolean())
      .map(([verbText, size, last]) => ({ verb: 'BDAT' as const, verbText, size, last })),
  };
  return fc
    .oneof(...verbs.map((v) => byVerb[v]))
    .filter((c) => utf8.encode(formatCommand(c)).length + 2 <= MAX_COMMAND_LINE_OCTETS + (hasSize(c) ? 26 : 0));
}

function hasSize(c: GeneratedCommand): boolean {
  return c.verb === 'MAIL' && c.params.some((p) => p.keyword.toUpperCase() === 'SIZE');
}

/** A valid command line as a string, CRLF included. */
export function commandLineArb(opts: CommandArbitraryOptions = {}): fc.Arbitrary<string> {
  return commandArb(opts).map((c) => `${formatCommand(c)}\r\n`);
}

/** What is wrong with a line from {@link invalidCommandLineArb}. */
export type InvalidCommandKind =
  | 'unknown-verb'
  | 'args-not-allowed'
  | 'missing-arg'
  | 'bad-mail-syntax'
  | 'bad-rcpt-syntax'
  | 'too-long'
  | 'bare-lf'
  | 'bare-cr'
  | 'nul';

/**
 * Command lines a server must reject with a single 5yz reply and without
 * closing the connection: unknown verbs (500), DATA/RSET/QUIT with arguments
 * (501), EHLO/MAIL/RCPT without their argument, broken paths, over-long lines
 * (500), and lines containing bare LF / bare CR / NUL (RFC 5321 §2.3.8).
 * Each line ends with CRLF; `expected` lists the acceptable reply codes.
 */
export function invalidCommandLineArb(): fc.Arbitrary<{
  readonly kind: InvalidCommandKind;
  readonly line: string;
  readonly expected: readonly number[];
}> {
  const mk = (kind: InvalidCommandKind, expected: readonly number[], a: fc.Arbitrary<string>) =>
    a.map((l) => ({ kind, line: `${l}\r\n`, expected }));
  const unknown = fc
    .tuple(stringOf(ALPHA, 3, 10), fc.option(stringOf(`${LDH} `, 1, 20), { nil: undefined }))
    .filter(([v]) => !['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'QUIT', 'NOOP', 'HELP', 'VRFY', 'EXPN', 'BDAT', 'STARTTLS', 'AUTH', 'TURN', 'SEND', 'SOML', 'SAML', 'ETRN', 'ATRN', 'LHLO', 'XCLIENT', 'XFORWARD', 'BURL'].includes(v.toUpperCase()))
    .map(([v, a]) => (a === undefined ? v : `${v} ${a}`));
  const argWord = stringOf(`${ALPHA}${DIGIT}`, 1, 10);
  return fc.oneof(
    mk('unknown-verb', [500], unknown),
    mk('args-not-allowed', [501], fc.tuple(fc.constantFrom('DATA', 'RSET', 'QUIT', 'data', 'Rset'), argWord).map(([v, a]) => `${v} ${a}`)),
    mk('missing-arg', [501, 500, 503], fc.constantFrom('EHLO', 'HELO', 'MAIL', 'RCPT', 'MAIL FROM:', 'RCPT TO:', 'MAIL TO:<a@b.c>', 'RCPT FROM:<a@b.c>')),
    mk('bad-mail-syntax', [501, 553], fc.constantFrom('MAIL FROM:a@b.c d', 'MAIL FROM:<a@b.c', 'MAIL FROM:<a@@b.c>', 'MAIL FROM:<a b@c.d>', 'MAIL FROM:<.a@b.c>')),
    mk('bad-rcpt-syntax', [501, 553, 503], fc.constantFrom('RCPT TO:<a@b.c', 'RCPT TO:<@b.c>', 'RCPT TO:<a@-b.c>', 'RCPT TO:<a..b@c.d>')),
    mk('too-long', [500], fc.integer({ min: 600, max: 4000 }).map((n) => `NOOP ${'x'.repeat(n)}`)),
    mk('bare-lf', [500, 501, 555], fc.tuple(fc.constantFrom('RSET', 'MAIL FROM:<a@b.c>'), argWord).map(([v, a]) => `${v}\n${a}`)),
    mk('bare-cr', [500, 501, 555], fc.tuple(fc.constantFrom('RSET', 'MAIL FROM:<a@b.c>'), argWord).map(([v, a]) => `${v}\r${a}`)),
    mk('nul', [500, 501], fc.constantFrom('NO\0OP', 'MAIL FROM:<a\0@b.c>')),
  );
}
