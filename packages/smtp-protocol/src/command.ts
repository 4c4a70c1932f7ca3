/**
 * SMTP commands: the plain {@link SmtpCommand} repr, the line parser
 * {@link parseCommand}, the serializer {@link serializeCommand}, and the
 * incremental {@link CommandParser} over byte chunks (RFC 5321 §4.1).
 *
 * - Verbs and argument keywords (`FROM:`, `TO:`, ESMTP keywords, `LAST`) are
 *   case-insensitive (§2.4); the parser upper-cases them. Mailboxes keep case.
 * - ESMTP parameters (§4.1.2): `esmtp-keyword ["=" esmtp-value]`, keyword
 *   `(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`, value `1*(%d33-60 / %d62-126)`
 *   plus UTF8-non-ascii (RFC 6531 §3.3).
 * - Command lines are bounded (§4.5.3.1.4, 512 octets including CRLF) plus
 *   extension allowances ({@link commandLineLimit}).
 *
 * Parse failures are {@link SmtpCommandError}s whose `replyCode`/`enhanced` say
 * how a server answers (500 unknown verb or bad line, 501 bad arguments,
 * 502 not implemented, 553 bad mailbox).
 *
 * @module
 */
import { SmtpCommandError } from './errors.js';
import { parsePath, type PathLimits } from './address.js';
import { asciiBytes, decodeUtf8Strict, latin1, toChunks } from './bytes.js';
import { LineSplitter } from './line.js';

/** ESMTP parameters of MAIL/RCPT, keys upper-cased; a keyword without value maps to `true`. */
export type EsmtpParams = Readonly<Record<string, string | true>>;

/** HELO or EHLO. */
export interface HeloCommand {
  readonly verb: 'HELO' | 'EHLO';
  /** Client identity: a domain or an address-literal, as sent. */
  readonly domain: string;
}
/** `MAIL FROM:<reverse-path> [params]`. */
export interface MailCommand {
  readonly verb: 'MAIL';
  /** Sender mailbox; `''` for the null reverse-path `<>`. */
  readonly address: string;
  readonly params: EsmtpParams;
}
/** `RCPT TO:<forward-path> [params]`. */
export interface RcptCommand {
  readonly verb: 'RCPT';
  /** Recipient mailbox (or `Postmaster`). */
  readonly address: string;
  readonly params: EsmtpParams;
}
/** Commands without arguments. */
export interface BareCommand {
  readonly verb: 'DATA' | 'RSET' | 'QUIT' | 'STARTTLS';
}
/** Commands with an optional string argument. */
export interface OptionalArgCommand {
  readonly verb: 'NOOP' | 'HELP';
  readonly argument?: string | undefined;
}
/** Commands with a required string argument. */
export interface ArgCommand {
  readonly verb: 'VRFY' | 'EXPN';
  readonly argument: string;
}
/** `BDAT <chunk-size> [LAST]` (RFC 3030 §2). */
export interface BdatCommand {
  readonly verb: 'BDAT';
  /** Exact number of octets that follow the command line. */
  readonly size: number;
  readonly last: boolean;
}

/** Any SMTP command understood by this package. */
export type SmtpCommand =
  | HeloCommand
  | MailCommand
  | RcptCommand
  | BareCommand
  | OptionalArgCommand
  | ArgCommand
  | BdatCommand;

/** Every verb of {@link SmtpCommand}. */
export type SmtpVerb = SmtpCommand['verb'];

/** C0 controls and DEL (never valid in a domain or address literal, RFC 5321 §4.1.2–4.1.3). */
const CONTROL_RE = /[\x00-\x1f\x7f]/;

/** Verbs defined by RFCs that this package recognises but does not implement (502). */
export const UNIMPLEMENTED_VERBS: ReadonlySet<string> = new Set([
  'SEND', 'SOML', 'SAML', 'TURN', 'ETRN', 'ATRN', 'AUTH', 'LHLO', 'XCLIENT', 'XFORWARD', 'BURL',
]);

/** Options of {@link parseCommand}. */
export interface ParseCommandOptions {
  /** Path limits (RFC 5321 §4.5.3.1). */
  readonly pathLimits?: PathLimits;
}

const MAX_BDAT_SIZE = Number.MAX_SAFE_INTEGER;

function err(reply: number, enhanced: string, message: string): SmtpCommandError {
  return new SmtpCommandError('ERR_SMTP_SYNTAX', reply, enhanced, message);
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
function isKeyword(k: string): boolean {
  if (k.length === 0 || !isAlnum(k.charCodeAt(0))) return false;
  for (let i = 1; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x2d) return false;
  }
  return true;
}

function isParamValue(v: string): boolean {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x80 && (c < 33 || c > 126 || c === 0x3d)) return false;
  }
  return true;
}

/** Parses `SP esmtp-param *(SP esmtp-param)`; `rest` is the text after the path. */
function parseParams(rest: string, enhancedOnError: string): EsmtpParams {
  // A plain object is safe here: keys are upper-cased esmtp-keywords
  // ([A-Z0-9-]), which never name an Object.prototype member.
  const params: Record<string, string | true> = {};
  if (rest === '') return params;
  if (rest.charCodeAt(0) !== 0x20) throw err(501, enhancedOnError, 'Syntax error after path');
  const n = rest.length;
  let i = 1;
  while (i < n) {
    if (rest.charCodeAt(i) === 0x20) {
      i++; // tolerate repeated spaces
      continue;
    }
    let j = rest.indexOf(' ', i);
    if (j < 0) j = n;
    const eq = rest.indexOf('=', i);
    const hasValue = eq >= 0 && eq < j;
    const key = rest.slice(i, hasValue ? eq : j).toUpperCase();
    if (!isKeyword(key)) throw err(501, '5.5.4', `Invalid parameter keyword "${key}"`);
    if (params[key] !== undefined) throw err(501, '5.5.4', `Duplicate parameter ${key}`);
    if (!hasValue) params[key] = true;
    else {
      const v = rest.slice(eq + 1, j);
      if (!isParamValue(v)) throw err(501, '5.5.4', `Invalid value for ${key}`);
      params[key] = v;
    }
    i = j + 1;
  }
  return params;
}

function parseMailRcpt(verb: 'MAIL' | 'RCPT', arg: string, opts: ParseCommandOptions): MailCommand | RcptCommand {
  const kw = verb === 'MAIL' ? 'FROM:' : 'TO:';
  const enh = verb === 'MAIL' ? '5.1.7' : '5.1.3';
  if (arg.slice(0, kw.length).toUpperCase() !== kw) throw err(501, '5.5.4', `Syntax: ${verb} ${kw}<address>`);
  let i = kw.length;
  while (arg.charCodeAt(i) === 0x20) i++; // tolerate "MAIL FROM: <a@b>" (common, smtp-server/Postfix accept it)
  if (arg.charCodeAt(i) !== 0x3c) throw err(501, enh, 'Path must be enclosed in <>');
  const r = parsePath(arg, i, verb === 'MAIL' ? 'reverse' : 'forward', opts.pathLimits);
  if (!r.ok) throw err(501, r.problem === 'too-long' ? enh : enh, r.problem === 'too-long' ? r.message : `Bad address syntax: ${r.message}`);
  const params = parseParams(arg.slice(r.end), '5.5.4');
  return verb === 'MAIL' ? { verb, address: r.address, params } : { verb, address: r.address, params };
}

/**
 * Parses one command line (without its CRLF).
 *
 * @param line the bytes (or string) of the line, CRLF excluded.
 * @throws SmtpCommandError with `replyCode` 500 (unknown verb, invalid UTF-8),
 *   501 (bad arguments), 502 (recognised but unimplemented verb).
 * @example parseCommand('mail from:<a@b.example> SIZE=100')
 *   // { verb: 'MAIL', address: 'a@b.example', params: { SIZE: '100' } }
 */
export function parseCommand(line: Uint8Array | string, opts: ParseCommandOptions = {}): SmtpCommand {
  let s: string;
  if (typeof line === 'string') s = line;
  else {
    let ascii = true;
    for (let i = 0; i < line.length; i++) if (line[i]! >= 0x80) { ascii = false; break; }
    if (ascii) s = latin1(line, 0, line.length);
    else {
      const d = decodeUtf8Strict(line, 0, line.length);
      if (d === undefined) throw err(500, '5.5.2', 'Invalid UTF-8 in command');
      s = d;
    }
  }
  const sp = s.indexOf(' ');
  const verbRaw = sp < 0 ? s : s.slice(0, sp);
  const verb = verbRaw.toUpperCase();
  const arg = sp < 0 ? '' : s.slice(sp + 1);
  const hasArg = sp >= 0;
  switch (verb) {
    case 'HELO':
    case 'EHLO': {
      const d = arg.trim();
      if (d === '' || /[\s]/.test(d)) throw err(501, '5.5.4', `Syntax: ${verb} <domain>`);
      // The identity is echoed in replies and Received: headers: no control characters (NUL, DEL, …).
      if (CONTROL_RE.test(d)) throw err(501, '5.5.2', `Syntax: ${verb} <domain>: control character in domain`);
      return { verb, domain: d };
    }
    case 'MAIL':
    case 'RCPT':
      return parseMailRcpt(verb, arg, opts);
    case 'DATA':
    case 'RSET':
    case 'QUIT':
    case 'STARTTLS':
      // RFC 5321 §4.3.2 / §4.1.1: these take no argument; 501 when one is given.
      if (hasArg && arg.trim() !== '') throw err(501, '5.5.4', `${verb} takes no arguments`);
      return { verb };
    case 'NOOP':
    case 'HELP':
      return hasArg && arg !== '' ? { verb, argument: arg } : { verb };
    case 'VRFY':
    case 'EXPN':
      if (arg.trim() === '') throw err(501, '5.5.4', `Syntax: ${verb} <string>`);
      return { verb, argument: arg };
    case 'BDAT': {
      // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF
      const m = /^([0-9]{1,16})(?: ([Ll][Aa][Ss][Tt]))?$/.exec(arg);
      if (m === null) throw err(501, '5.5.4', 'Syntax: BDAT <size> [LAST]');
      const size = Number(m[1]);
      if (size > MAX_BDAT_SIZE) throw err(501, '5.5.4', 'BDAT size out of range');
      return { verb: 'BDAT', size, last: m[2] !== undefined };
    }
    default:
      if (UNIMPLEMENTED_VERBS.has(verb)) throw new SmtpCommandError('ERR_SMTP_SYNTAX', 502, '5.5.1', `${verb} not implemented`);
      throw new SmtpCommandError('ERR_SMTP_SYNTAX', 500, '5.5.2', 'Command unrecognized');
  }
}

function formatParams(params: EsmtpParams): string {
  let s = '';
  for (const k of Object.keys(params)) {
    const v = params[k];
    s += v === true ? ` ${k}` : ` ${k}=${v}`;
  }
  return s;
}

/**
 * Formats a command as a line including CRLF.
 * @throws RangeError when a field contains CR or LF.
 */
export function formatCommand(cmd: SmtpCommand): string {
  let s: string;
  switch (cmd.verb) {
    case 'HELO':
    case 'EHLO':
      s = `${cmd.verb} ${cmd.domain}`;
      break;
    case 'MAIL':
      s = `MAIL FROM:<${cmd.address}>${formatParams(cmd.params)}`;
      break;
    case 'RCPT':
      s = `RCPT TO:<${cmd.address}>${formatParams(cmd.params)}`;
      break;
    case 'NOOP':
    case 'HELP':
      s = cmd.argument !== undefined && cmd.argument !== '' ? `${cmd.verb} ${cmd.argument}` : cmd.verb;
      break;
    case 'VRFY':
    case 'EXPN':
      s = `${cmd.verb} ${cmd.argument}`;
      break;
    case 'BDAT':
      if (!Number.isSafeInteger(cmd.size) || cmd.size < 0) throw new RangeError('BDAT size must be a non-negative integer');
      s = cmd.last ? `BDAT ${cmd.size} LAST` : `BDAT ${cmd.size}`;
      break;
    default:
      s = cmd.verb;
  }
  if (s.includes('\r') || s.includes('\n')) throw new RangeError('command must not contain CR or LF');
  return s + '\r\n';
}

/** Serializes a command to bytes (UTF-8, CRLF-terminated). */
export function serializeCommand(cmd: SmtpCommand): Uint8Array {
  return asciiBytes(formatCommand(cmd));
}

/** Extensions that widen the MAIL/RCPT line limit. */
export interface LineLimitExtensions {
  readonly size?: boolean;
  readonly smtputf8?: boolean;
  readonly dsn?: boolean;
  readonly eightBitMime?: boolean;
}

/** The RFC 5321 §4.5.3.1.4 command line limit, including CRLF. */
export const COMMAND_LINE_LIMIT = 512;

/**
 * Maximum command line length (including CRLF) for `verb` given the offered
 * extensions: 512 (RFC 5321 §4.5.3.1.4), MAIL +26 for SIZE (RFC 1870 §3),
 * +10 for SMTPUTF8 (as aiosmtpd does), +16 for BODY=, MAIL +112 and RCPT +500
 * for DSN (RFC 3461 §5).
 */
export function commandLineLimit(verb: string, ext: LineLimitExtensions): number {
  let n = COMMAND_LINE_LIMIT;
  if (verb === 'MAIL') {
    if (ext.size) n += 26;
    if (ext.smtputf8) n += 10;
    if (ext.eightBitMime) n += 16;
    if (ext.dsn) n += 112;
  } else if (verb === 'RCPT') {
    if (ext.dsn) n += 500;
  }
  return n;
}

/** One item produced by {@link CommandParser}. */
export type ParsedLine =
  | { readonly ok: true; readonly command: SmtpCommand; readonly length: number }
  | { readonly ok: false; readonly error: SmtpCommandError; readonly length: number };

/**
 * Incremental command parser over byte chunks: returns one entry per complete
 * CRLF line — a command or the error a server must reply with. Lines longer
 * than `maxLineLength` are dropped while streaming (bounded memory) and
 * reported as `500 5.5.6 Line too long`; lines with bare CR/LF are reported as
 * `500 5.5.2`.
 */
export class CommandParser {
  private readonly splitter: LineSplitter;
  private readonly opts: ParseCommandOptions;

  constructor(maxLineLength = COMMAND_LINE_LIMIT, opts: ParseCommandOptions = {}) {
    this.splitter = new LineSplitter(maxLineLength);
    this.opts = opts;
  }

  /** Feeds a chunk (or an iterable of chunks, e.g. skb payload views); returns the parsed lines completed. */
  push(input: Uint8Array | Iterable<Uint8Array>): ParsedLine[] {
    const out: ParsedLine[] = [];
    for (const chunk of toChunks(input)) {
      let off = 0;
      while (off < chunk.length) {
        const r = this.splitter.feed(chunk, off);
        off = r.next;
        if (r.line === undefined) break;
        out.push(parseLineResult(r.line, r.overflow, r.bare, this.opts));
      }
    }
    return out;
  }
}

/** @internal shared by CommandParser and ServerSession. */
export function parseLineResult(line: Uint8Array, overflow: boolean, bare: boolean, opts: ParseCommandOptions): ParsedLine {
  const length = line.length + 2;
  if (overflow) return { ok: false, error: new SmtpCommandError('ERR_SMTP_LINE_TOO_LONG', 500, '5.5.6', 'Line too long'), length };
  if (bare) return { ok: false, error: new SmtpCommandError('ERR_SMTP_BARE_NEWLINE', 500, '5.5.2', 'Bare CR or LF not allowed'), length };
  try {
    return { ok: true, command: parseCommand(line, opts), length };
  } catch (e) {
    if (e instanceof SmtpCommandError) return { ok: false, error: e, length };
    throw e;
  }
}
