/**
 * Typed errors of the SMTP layer.
 *
 * Every failure the codec or the state machines can report is an {@link SmtpError}
 * with a stable `code` string (undici style), so callers switch on `err.code`
 * rather than on messages. Errors that correspond to an SMTP reply carry it as
 * `reply` (e.g. a dropped connection is reported to clients as `451 4.4.2`,
 * RFC 5321 §3.8).
 *
 * @module
 */
import type { SmtpReply } from './reply.js';

/** Stable error codes of `@netlayers/smtp-protocol`. */
export type SmtpErrorCode =
  /** A command line could not be parsed (syntax of RFC 5321 §4.1). */
  | 'ERR_SMTP_SYNTAX'
  /** A command or reply line exceeded the configured limit (RFC 5321 §4.5.3.1). */
  | 'ERR_SMTP_LINE_TOO_LONG'
  /** A bare CR or bare LF was seen where only CRLF is allowed (RFC 5321 §2.3.8). */
  | 'ERR_SMTP_BARE_NEWLINE'
  /** A reply did not follow RFC 5321 §4.2 syntax. */
  | 'ERR_SMTP_BAD_REPLY'
  /** Message content exceeded the size limit (RFC 1870; 552). */
  | 'ERR_SMTP_SIZE'
  /** A text line in message content exceeded the limit (RFC 5321 §4.5.3.1.6). */
  | 'ERR_SMTP_TEXT_LINE_TOO_LONG'
  /** An API call was made in a state that does not allow it. */
  | 'ERR_SMTP_STATE'
  /** The peer replied negatively; `reply` holds the reply. */
  | 'ERR_SMTP_REJECTED'
  /** A per-command timer of RFC 5321 §4.5.3.2 expired. */
  | 'ERR_SMTP_TIMEOUT'
  /** The connection closed before the conversation ended (treated as 451). */
  | 'ERR_SMTP_CONNECTION_CLOSED'
  /** The session was aborted (e.g. server shutdown, 421). */
  | 'ERR_SMTP_ABORTED'
  /** An invalid argument was passed to an API. */
  | 'ERR_SMTP_INVALID_ARGUMENT'
  /** A NUL octet in 7bit/8bit message content (RFC 5321 §4.5.2, RFC 2045 §2.7–2.8; 554). */
  | 'ERR_SMTP_NUL'
  /** A resource bound of the session was exceeded (reply buffer, buffered input; 421). */
  | 'ERR_SMTP_LIMIT'
  /** STARTTLS failed: cleartext after the 220, or the TLS handshake failed. */
  | 'ERR_SMTP_TLS';

/** Base class of every error thrown or reported by this package. */
export class SmtpError extends Error {
  override name = 'SmtpError';
  /** Stable, machine-readable error code. */
  readonly code: SmtpErrorCode;
  /** The SMTP reply that this error corresponds to, when there is one. */
  readonly reply: SmtpReply | undefined;
  constructor(code: SmtpErrorCode, message: string, reply?: SmtpReply) {
    super(message);
    this.code = code;
    this.reply = reply;
  }
}

/**
 * A command line was rejected by the parser. `replyCode`/`enhanced` say how a
 * server should answer (500, 501, 502, 553, 555 …).
 */
export class SmtpCommandError extends SmtpError {
  override name = 'SmtpCommandError';
  /** Reply code a server should send for this error. */
  readonly replyCode: number;
  /** Enhanced status code (RFC 3463) a server should send. */
  readonly enhanced: string;
  constructor(code: SmtpErrorCode, replyCode: number, enhanced: string, message: string) {
    super(code, message);
    this.replyCode = replyCode;
    this.enhanced = enhanced;
  }
}

/** A reply could not be parsed (client side). */
export class SmtpReplySyntaxError extends SmtpError {
  override name = 'SmtpReplySyntaxError';
  constructor(code: 'ERR_SMTP_BAD_REPLY' | 'ERR_SMTP_LINE_TOO_LONG' | 'ERR_SMTP_BARE_NEWLINE', message: string) {
    super(code, message);
  }
}

/** The peer answered a command negatively (4yz/5yz) — client side. */
export class SmtpReplyError extends SmtpError {
  override name = 'SmtpReplyError';
  /** The command that was rejected (verb plus argument, e.g. `RCPT TO:<a@b>`). */
  readonly command: string;
  constructor(command: string, reply: SmtpReply) {
    super('ERR_SMTP_REJECTED', `${command}: ${reply.code} ${reply.lines.join(' / ')}`, reply);
    this.command = command;
  }
}

/** Message content violated a DATA/BDAT policy (size, line length, bare newline). */
export class SmtpDataError extends SmtpError {
  override name = 'SmtpDataError';
  constructor(
    code: 'ERR_SMTP_SIZE' | 'ERR_SMTP_TEXT_LINE_TOO_LONG' | 'ERR_SMTP_BARE_NEWLINE' | 'ERR_SMTP_NUL',
    message: string,
    reply?: SmtpReply,
  ) {
    super(code, message, reply);
  }
}
