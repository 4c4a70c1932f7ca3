/**
 * The character classes of the SMTP grammars that users of the arbitraries
 * may want to build on (RFC 5321 §4.1.2, RFC 6531 §3.3).
 */
export { ATEXT, LDH, LET_DIG, QTEXT_SMTP, ESMTP_VALUE, XCHAR, REPLY_TEXT, UTF8_NON_ASCII, octets, latin1 } from './chars.js';
