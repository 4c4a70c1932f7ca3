/**
 * Delivery status notifications (RFC 3464) in a multipart/report
 * (RFC 6522): the message the relay sends from `<>` to the reverse-path when
 * recipients failed (5xx, or the queue lifetime ended) or are delayed.
 *
 * ```
 * multipart/report; report-type=delivery-status
 * ├── text/plain                 what happened, for a human
 * ├── message/delivery-status    per-message and per-recipient fields
 * └── text/rfc822-headers        the original header section (RET=HDRS, the default)
 *     or message/rfc822          the whole original message (RET=FULL)
 * ```
 *
 * Not supported: RFC 6533 internationalized DSNs (message/global-delivery-status);
 * UTF-8 addresses are written as they are.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { rfc5322Date } from './mail-date.js';
import { decodeXtext, oneLine } from './reply.js';
import type { QueuedMessage } from './types.js';

/** One recipient's entry in a DSN. */
export interface DsnRecipient {
  /** The forward-path (Final-Recipient). */
  address: string;
  /** RFC 3461 ORCPT as received (`addr-type;xtext`), for Original-Recipient. */
  orcpt?: string;
  action: 'failed' | 'delayed';
  /** RFC 3463 status, e.g. `5.1.1` or `4.4.7`. */
  status: string;
  /** The next hop's reply, e.g. `550 5.1.1 no such user` (Diagnostic-Code: smtp; …). */
  diagnostic?: string;
  /** The next hop's name (Remote-MTA: dns; …). */
  remoteMta?: string;
}

export interface BuildDsnOptions {
  /** The relay's host name (Reporting-MTA, From: MAILER-DAEMON@…). */
  reportingMta: string;
  /** The message being reported on (reverse-path, ENVID, RET, queue id). */
  original: QueuedMessage;
  /** Its header section (the empty line that ends it is optional). */
  originalHeaders: Uint8Array;
  /** Its body (after the empty line); included only when `original.ret === 'FULL'`. */
  originalBody?: Uint8Array;
  recipients: DsnRecipient[];
  /** Wall-clock ms of the original's arrival (Arrival-Date). */
  arrival: number;
  /** Wall-clock ms now (Date, Last-Attempt-Date). */
  now: number;
  /** Message-ID to use (without brackets); default `<queue id>.<random>@reportingMta`. */
  messageId?: string;
}

const CRLF = '\r\n';
const enc = new TextEncoder();

/** Strips the trailing empty line (CRLF CRLF or LF LF) of a header section, keeping one line end. */
function headerSection(h: Uint8Array): Uint8Array {
  let end = h.length;
  if (end >= 4 && h[end - 4] === 13 && h[end - 3] === 10 && h[end - 2] === 13 && h[end - 1] === 10) end -= 2;
  else if (end >= 2 && h[end - 2] === 10 && h[end - 1] === 10) end -= 1;
  return h.subarray(0, end);
}

const has8bit = (b: Uint8Array): boolean => b.some((c) => c >= 0x80);

function contains(hay: Uint8Array, needle: string): boolean {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).includes(needle);
}

/** `type;address` of an ORCPT value, xtext-decoded (RFC 3461 §4.2). */
function originalRecipient(orcpt: string): string {
  const semi = orcpt.indexOf(';');
  return semi < 0 ? `rfc822;${decodeXtext(orcpt)}` : `${orcpt.slice(0, semi)};${decodeXtext(orcpt.slice(semi + 1))}`;
}

function humanText(o: BuildDsnOptions): string {
  const failed = o.recipients.filter((r) => r.action === 'failed');
  const delayed = o.recipients.filter((r) => r.action === 'delayed');
  const lines = [`This is the mail relay at ${o.reportingMta}.`, ''];
  if (failed.length > 0) {
    lines.push('Your message could not be delivered to the recipients below; the relay', 'has given up on them.', '');
    for (const r of failed) lines.push(`  <${r.address}>: ${r.diagnostic !== undefined ? oneLine(r.diagnostic, 200) : r.status}`);
    lines.push('');
  }
  if (delayed.length > 0) {
    lines.push('Delivery to the recipients below is delayed; the relay keeps trying and', 'needs no action from you.', '');
    for (const r of delayed) lines.push(`  <${r.address}>: ${r.diagnostic !== undefined ? oneLine(r.diagnostic, 200) : r.status}`);
    lines.push('');
  }
  lines.push(`Queue id ${o.original.id}. The delivery report and the original message's`, 'headers are attached.');
  return lines.join(CRLF) + CRLF;
}

function deliveryStatus(o: BuildDsnOptions): string {
  const f: string[] = [`Reporting-MTA: dns; ${o.reportingMta}`];
  if (o.original.envid !== undefined) f.push(`Original-Envelope-Id: ${oneLine(decodeXtext(o.original.envid), 200)}`);
  f.push(`Arrival-Date: ${rfc5322Date(o.arrival)}`);
  let s = f.join(CRLF) + CRLF;
  for (const r of o.recipients) {
    const g: string[] = [''];
    if (r.orcpt !== undefined) g.push(`Original-Recipient: ${oneLine(originalRecipient(r.orcpt), 500)}`);
    g.push(`Final-Recipient: rfc822; ${r.address}`, `Action: ${r.action}`, `Status: ${r.status}`);
    if (r.remoteMta !== undefined) g.push(`Remote-MTA: dns; ${oneLine(r.remoteMta, 200)}`);
    if (r.diagnostic !== undefined) g.push(`Diagnostic-Code: smtp; ${oneLine(r.diagnostic)}`);
    g.push(`Last-Attempt-Date: ${rfc5322Date(o.now)}`);
    s += g.join(CRLF) + CRLF;
  }
  return s;
}

/**
 * Builds a complete DSN message (RFC 5322 header + MIME body, CRLF line ends).
 * The caller sends it with the null reverse-path to `original.from`.
 */
export function buildDsn(o: BuildDsnOptions): Uint8Array {
  const headers = headerSection(o.originalHeaders);
  const full = o.original.ret === 'FULL' && o.originalBody !== undefined;
  const returned = full ? [headers, enc.encode(CRLF), o.originalBody!] : [headers];
  const eightBit = returned.some(has8bit);
  let boundary = `${o.original.id}.${o.now}/${o.reportingMta}`;
  while (returned.some((b) => contains(b, boundary))) boundary = `${boundary}.${randomBytes(6).toString('hex')}`;
  const messageId = o.messageId ?? `${o.original.id}.${randomBytes(6).toString('hex')}@${o.reportingMta}`;
  const anyFailed = o.recipients.some((r) => r.action === 'failed');

  const head = [
    `From: Mail Delivery System <MAILER-DAEMON@${o.reportingMta}>`,
    `To: <${o.original.from}>`,
    `Subject: ${anyFailed ? 'Delivery failure report' : 'Delivery delay report'}`,
    `Date: ${rfc5322Date(o.now)}`,
    `Message-ID: <${messageId}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;${CRLF}\tboundary="${boundary}"`,
    'Content-Transfer-Encoding: 7bit',
    '',
    'This is a MIME-encapsulated delivery status notification.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Description: Notification',
    '',
    humanText(o),
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    'Content-Description: Delivery report',
    '',
    deliveryStatus(o),
    `--${boundary}`,
    full ? 'Content-Type: message/rfc822' : 'Content-Type: text/rfc822-headers',
    full ? 'Content-Description: Returned message' : 'Content-Description: Returned message headers',
    ...(eightBit ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    '',
  ].join(CRLF);
  const tail = `${CRLF}--${boundary}--${CRLF}`;
  const parts = [enc.encode(head), ...returned, enc.encode(tail)];
  return Buffer.concat(parts);
}
