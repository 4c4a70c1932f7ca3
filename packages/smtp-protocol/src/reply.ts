/**
 * SMTP replies: the plain {@link SmtpReply} repr, its serializer and an
 * incremental parser over byte chunks (RFC 5321 §4.2).
 *
 * ```
 * Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *              Reply-code [ SP textstring ] CRLF
 * Reply-code = %x32-35 %x30-35 %x30-39
 * ```
 * The parser is liberal in what it accepts from servers, as §4.2 asks of
 * clients: a bare code with or without a trailing space, any second/third digit
 * (clients act on the first digit of unknown codes), and lines up to a
 * configurable limit (≥ 512 octets, §4.5.3.1.5). Every line of a multi-line
 * reply must carry the same code. Only CRLF ends a line (§2.3.8).
 *
 * When every line's text starts with the same RFC 3463 enhanced status code
 * whose class matches the reply class, it is lifted into `enhanced` and removed
 * from the lines, so that `parseReply(serializeReply(r))` gives `r` back.
 *
 * @module
 */
import { SmtpReplySyntaxError } from './errors.js';
import { isEnhancedCode } from './enhanced.js';
import { LineSplitter } from './line.js';
import { asciiBytes, decodeText, toChunks } from './bytes.js';

/** One SMTP reply (possibly multi-line). */
export interface SmtpReply {
  /** Three-digit reply code, e.g. 250. */
  readonly code: number;
  /** RFC 3463 enhanced status code (`5.1.1`) when present. */
  readonly enhanced?: string | undefined;
  /** Text of each line (without code, separator, enhanced code and CRLF). At least one entry. */
  readonly lines: readonly string[];
}

/** True for 2yz replies. */
export function isPositive(reply: SmtpReply): boolean {
  return reply.code >= 200 && reply.code < 300;
}
/** True for 3yz (intermediate) replies such as 354. */
export function isIntermediate(reply: SmtpReply): boolean {
  return reply.code >= 300 && reply.code < 400;
}
/** True for 4yz (transient negative) replies. */
export function isTransient(reply: SmtpReply): boolean {
  return reply.code >= 400 && reply.code < 500;
}
/** True for 5yz (permanent negative) replies. */
export function isPermanent(reply: SmtpReply): boolean {
  return reply.code >= 500 && reply.code < 600;
}

/**
 * Formats a reply as wire text (`250-first\r\n250 last\r\n`). When `enhanced`
 * is set, it prefixes the text of every line (RFC 2034 §4).
 * @throws RangeError when the code is not in 200–599 or a line contains CR/LF.
 */
export function formatReply(reply: SmtpReply): string {
  const { code, enhanced, lines } = reply;
  if (!Number.isInteger(code) || code < 200 || code > 599) throw new RangeError(`bad reply code ${code}`);
  if (enhanced !== undefined && !isEnhancedCode(enhanced)) throw new RangeError(`bad enhanced code ${enhanced}`);
  const ls = lines.length === 0 ? [''] : lines;
  let out = '';
  for (let i = 0; i < ls.length; i++) {
    const text = ls[i] ?? '';
    if (text.includes('\r') || text.includes('\n')) throw new RangeError('reply text must not contain CR or LF');
    const sep = i === ls.length - 1 ? ' ' : '-';
    const body = enhanced !== undefined ? (text === '' ? enhanced : `${enhanced} ${text}`) : text;
    out += body === '' && sep === ' ' ? `${code}\r\n` : `${code}${sep}${body}\r\n`;
  }
  return out;
}

/** Serializes a reply to bytes (UTF-8). See {@link formatReply}. */
export function serializeReply(reply: SmtpReply): Uint8Array {
  return asciiBytes(formatReply(reply));
}

/** Options of {@link ReplyParser}. */
export interface ReplyParserOptions {
  /** Maximum reply line length including CRLF (default 4096; RFC minimum 512). */
  readonly maxLineLength?: number;
  /** Maximum number of lines in one reply (default 1000). */
  readonly maxLines?: number;
}

interface RawLine {
  code: number;
  last: boolean;
  text: string;
}

function parseReplyLine(line: Uint8Array): RawLine {
  // line excludes CRLF
  const n = line.length;
  if (n < 3) throw new SmtpReplySyntaxError('ERR_SMTP_BAD_REPLY', 'reply line shorter than a code');
  const a = line[0]!, b = line[1]!, c = line[2]!;
  if (a < 0x32 || a > 0x35 || b < 0x30 || b > 0x39 || c < 0x30 || c > 0x39) {
    throw new SmtpReplySyntaxError('ERR_SMTP_BAD_REPLY', 'reply does not start with a 2yz-5yz code');
  }
  const code = (a - 0x30) * 100 + (b - 0x30) * 10 + (c - 0x30);
  if (n === 3) return { code, last: true, text: '' };
  const sep = line[3]!;
  if (sep === 0x2d /* - */) return { code, last: false, text: decodeText(line, 4, n) };
  if (sep === 0x20) return { code, last: true, text: decodeText(line, 4, n) };
  throw new SmtpReplySyntaxError('ERR_SMTP_BAD_REPLY', 'reply code not followed by SP or "-"');
}

function liftEnhanced(code: number, texts: string[]): SmtpReply {
  const first = texts[0] ?? '';
  const sp = first.indexOf(' ');
  const cand = sp < 0 ? first : first.slice(0, sp);
  if (cand.length >= 5 && cand.charCodeAt(0) === 0x30 + Math.floor(code / 100) && isEnhancedCode(cand)) {
    const prefix = cand + ' ';
    if (texts.every((t) => t === cand || t.startsWith(prefix))) {
      return { code, enhanced: cand, lines: texts.map((t) => (t === cand ? '' : t.slice(prefix.length))) };
    }
  }
  return { code, lines: texts };
}

/**
 * Incremental reply parser: feed byte chunks, get complete replies.
 *
 * Bounded: a line longer than `maxLineLength` or a reply with more than
 * `maxLines` lines throws {@link SmtpReplySyntaxError}; bytes are never
 * buffered beyond one line.
 */
export class ReplyParser {
  private readonly splitter: LineSplitter;
  private readonly maxLines: number;
  private pendingCode = -1;
  private pendingTexts: string[] = [];

  constructor(opts: ReplyParserOptions = {}) {
    this.splitter = new LineSplitter(opts.maxLineLength ?? 4096);
    this.maxLines = opts.maxLines ?? 1000;
  }

  /** True when part of a reply has been received but not completed. */
  get pending(): boolean {
    return this.pendingCode >= 0 || this.splitter.buffered > 0;
  }

  /**
   * Feeds one chunk (or an iterable of chunks); returns the replies completed (possibly none).
   * @throws SmtpReplySyntaxError on malformed input (the parser is then unusable).
   */
  push(input: Uint8Array | Iterable<Uint8Array>): SmtpReply[] {
    const out: SmtpReply[] = [];
    for (const chunk of toChunks(input)) this.pushOne(chunk, out);
    return out;
  }

  private pushOne(chunk: Uint8Array, out: SmtpReply[]): void {
    let off = 0;
    while (off < chunk.length) {
      const r = this.splitter.feed(chunk, off);
      off = r.next;
      if (r.line === undefined) break;
      if (r.overflow) throw new SmtpReplySyntaxError('ERR_SMTP_LINE_TOO_LONG', 'reply line too long');
      if (r.bare) throw new SmtpReplySyntaxError('ERR_SMTP_BARE_NEWLINE', 'bare CR or LF in reply');
      const raw = parseReplyLine(r.line);
      if (this.pendingCode >= 0 && raw.code !== this.pendingCode) {
        throw new SmtpReplySyntaxError('ERR_SMTP_BAD_REPLY', 'multi-line reply changes code');
      }
      this.pendingCode = raw.code;
      this.pendingTexts.push(raw.text);
      if (this.pendingTexts.length > this.maxLines) {
        throw new SmtpReplySyntaxError('ERR_SMTP_BAD_REPLY', 'too many lines in one reply');
      }
      if (raw.last) {
        out.push(liftEnhanced(raw.code, this.pendingTexts));
        this.pendingCode = -1;
        this.pendingTexts = [];
      }
    }
  }
}

/**
 * Parses exactly one complete reply from bytes or a string.
 * @throws SmtpReplySyntaxError when the input is not exactly one reply.
 */
export function parseReply(input: Uint8Array | string): SmtpReply {
  const bytes = typeof input === 'string' ? asciiBytes(input) : input;
  const p = new ReplyParser({ maxLineLength: Math.max(4096, bytes.length + 2) });
  const rs = p.push(bytes);
  if (rs.length !== 1 || p.pending) throw new SmtpReplySyntaxError('ERR_SMTP_BAD_REPLY', `expected exactly one reply, got ${rs.length}`);
  return rs[0]!;
}
