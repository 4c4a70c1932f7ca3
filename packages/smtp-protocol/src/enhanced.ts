/**
 * Enhanced mail system status codes (RFC 3463, RFC 2034 ENHANCEDSTATUSCODES).
 *
 * Format `class.subject.detail`: class is 2, 4 or 5; subject and detail are
 * 1–3 digits without leading zeros (RFC 3463 §2); no whitespace.
 *
 * @module
 */

const ENHANCED_RE = /^([245])\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/**
 * True when `s` is a syntactically valid enhanced status code (RFC 3463 §2).
 * @example isEnhancedCode('5.1.1') // true
 */
export function isEnhancedCode(s: string): boolean {
  return ENHANCED_RE.test(s);
}

/**
 * Default map from basic reply code to enhanced status code, used when a reply
 * is produced without an explicit enhanced code. Same values as nodemailer's
 * smtp-server `ENHANCED_STATUS_CODES` (a usable default per the checklist).
 */
export const DEFAULT_ENHANCED_CODES: Readonly<Record<number, string>> = Object.freeze({
  200: '2.0.0',
  211: '2.0.0',
  214: '2.0.0',
  220: '2.0.0',
  221: '2.0.0',
  235: '2.7.0',
  250: '2.0.0',
  251: '2.1.5',
  252: '2.1.5',
  354: '2.0.0',
  421: '4.4.2',
  450: '4.2.1',
  451: '4.3.0',
  452: '4.2.2',
  454: '4.7.0',
  455: '4.5.4',
  500: '5.5.2',
  501: '5.5.4',
  502: '5.5.1',
  503: '5.5.1',
  504: '5.5.4',
  521: '5.3.2',
  530: '5.7.0',
  535: '5.7.8',
  550: '5.1.1',
  551: '5.1.6',
  552: '5.2.2',
  553: '5.1.3',
  554: '5.6.0',
  555: '5.5.4',
});

/**
 * Named enhanced codes used by the server session (RFC 3463 §3).
 */
export const EnhancedCodes = Object.freeze({
  OK: '2.0.0',
  SENDER_OK: '2.1.0',
  RECIPIENT_OK: '2.1.5',
  MESSAGE_ACCEPTED: '2.6.0',
  BAD_MAILBOX: '5.1.1',
  BAD_MAILBOX_SYNTAX: '5.1.3',
  BAD_SENDER_SYNTAX: '5.1.7',
  MESSAGE_TOO_BIG: '5.3.4',
  SYSTEM_FULL: '4.3.1',
  BAD_CONNECTION: '4.4.2',
  INVALID_COMMAND: '5.5.1',
  SYNTAX_ERROR: '5.5.2',
  TOO_MANY_RECIPIENTS: '5.5.3',
  TOO_MANY_RECIPIENTS_TEMP: '4.5.3',
  INVALID_ARGUMENTS: '5.5.4',
  WRONG_PROTOCOL_VERSION: '5.5.5',
  MEDIA_ERROR: '5.6.0',
  NON_ASCII_ADDRESS: '5.6.7',
  LOCAL_ERROR: '4.3.0',
} as const);

/**
 * The enhanced code to use for a reply: `explicit` when given, otherwise the
 * default for `code`, otherwise `class.0.0` derived from the first digit.
 * Returns `undefined` for 1yz/3yz codes other than 354 that have no mapping.
 */
export function enhancedFor(code: number, explicit?: string): string | undefined {
  if (explicit !== undefined) return explicit;
  const d = DEFAULT_ENHANCED_CODES[code];
  if (d !== undefined) return d;
  const cls = Math.floor(code / 100);
  if (cls === 2 || cls === 4 || cls === 5) return `${cls}.0.0`;
  return undefined;
}
