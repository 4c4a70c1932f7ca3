import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDsn, type BuildDsnOptions } from './dsn.js';
import { param, parsePart, splitMultipart, statusGroups } from './testing/mime.js';
import type { QueuedMessage } from './types.js';

const enc = new TextEncoder();
const original: QueuedMessage = {
  id: '0192F3A4B5C60000AB12',
  from: 'alice@example.org',
  recipients: [],
  size: 100,
  arrival: Date.UTC(2026, 11, 2, 12, 0, 0),
  attempts: 1,
  nextAttempt: 0,
  envid: 'QQ+2B1',
};
const headers = enc.encode('Received: from client\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\n');

function opts(over: Partial<BuildDsnOptions> = {}): BuildDsnOptions {
  return {
    reportingMta: 'relay.example.com',
    original,
    originalHeaders: headers,
    originalBody: enc.encode('line one\r\nline two\r\n'),
    recipients: [
      { address: 'bob@example.net', orcpt: 'rfc822;bob+2Bx@example.net', action: 'failed', status: '5.1.1', diagnostic: '550 5.1.1 no such user', remoteMta: 'mx.example.net' },
      { address: 'carol@example.net', action: 'failed', status: '4.4.7' },
    ],
    arrival: original.arrival,
    now: Date.UTC(2026, 11, 2, 12, 5, 0),
    ...over,
  };
}

function parseDsn(bytes: Uint8Array) {
  const text = Buffer.from(bytes).toString('latin1');
  const top = parsePart(text);
  const ct = top.headers.get('content-type')!;
  expect(ct).toMatch(/^multipart\/report;/);
  expect(param(ct, 'report-type')).toBe('delivery-status');
  const parts = splitMultipart(top.body, param(ct, 'boundary')!);
  return { text, top, parts };
}

describe('buildDsn', () => {
  it('is an RFC 3464 multipart/report with per-message and per-recipient fields', () => {
    const { text, top, parts } = parseDsn(buildDsn(opts()));
    expect(text).not.toMatch(/[^\r]\n/); // CRLF only
    expect(top.headers.get('from')).toBe('Mail Delivery System <MAILER-DAEMON@relay.example.com>');
    expect(top.headers.get('to')).toBe('<alice@example.org>');
    expect(top.headers.get('auto-submitted')).toBe('auto-replied');
    expect(top.headers.get('date')).toBe('Wed, 02 Dec 2026 12:05:00 +0000');
    expect(parts.map((p) => p.headers.get('content-type'))).toEqual([
      'text/plain; charset=us-ascii',
      'message/delivery-status',
      'text/rfc822-headers',
    ]);
    expect(parts[0]!.body).toContain('<bob@example.net>: 550 5.1.1 no such user');
    const [perMsg, bob, carol, ...more] = statusGroups(parts[1]!.body);
    expect(more).toEqual([]);
    expect(perMsg!.get('reporting-mta')).toBe('dns; relay.example.com');
    expect(perMsg!.get('original-envelope-id')).toBe('QQ+1'); // xtext-decoded
    expect(perMsg!.get('arrival-date')).toBe('Wed, 02 Dec 2026 12:00:00 +0000');
    expect(Object.fromEntries(bob!)).toEqual({
      'original-recipient': 'rfc822;bob+x@example.net',
      'final-recipient': 'rfc822; bob@example.net',
      action: 'failed',
      status: '5.1.1',
      'remote-mta': 'dns; mx.example.net',
      'diagnostic-code': 'smtp; 550 5.1.1 no such user',
      'last-attempt-date': 'Wed, 02 Dec 2026 12:05:00 +0000',
    });
    expect(carol!.get('status')).toBe('4.4.7');
    expect(carol!.has('diagnostic-code')).toBe(false);
    // RET absent: headers only, never the body.
    expect(parts[2]!.body).toBe('Received: from client\r\nSubject: hello\r\nMessage-ID: <m1@example.org>\r\n');
    expect(text).not.toContain('line one');
  });

  it('returns the whole message as message/rfc822 for RET=FULL, 8bit when needed', () => {
    const body = Uint8Array.from([...enc.encode('caf'), 0xe9, 13, 10]);
    const { parts } = parseDsn(buildDsn(opts({ original: { ...original, ret: 'FULL' }, originalBody: body })));
    expect(parts[2]!.headers.get('content-type')).toBe('message/rfc822');
    expect(parts[2]!.headers.get('content-transfer-encoding')).toBe('8bit');
    const inner = parsePart(parts[2]!.body);
    expect(inner.headers.get('subject')).toBe('hello');
    expect(inner.body).toBe('caf\xe9\r\n');
  });

  it('says "delayed" for delay reports and folds multi-line replies into one field', () => {
    const { top, parts } = parseDsn(
      buildDsn(opts({ recipients: [{ address: 'd@x', action: 'delayed', status: '4.0.0', diagnostic: '451-busy\r\n451 try later' }] })),
    );
    expect(top.headers.get('subject')).toBe('Delivery delay report');
    const [, d] = statusGroups(parts[1]!.body);
    expect(d!.get('action')).toBe('delayed');
    expect(d!.get('diagnostic-code')).toBe('smtp; 451-busy 451 try later');
  });

  it('picks a boundary that never occurs in the returned content', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.nat(3), (junk, copies) => {
        const now = 1_800_000_000_000;
        const evil = `--${original.id}.${now}/relay.example.com`;
        const hdr = enc.encode(`X-Junk: ${junk.replace(/[\r\n]/g, '')}${evil.repeat(copies)}\r\n\r\n`);
        const { parts } = parseDsn(buildDsn(opts({ originalHeaders: hdr, now })));
        expect(parts).toHaveLength(3);
        expect(parts[2]!.body).toBe(Buffer.from(hdr.subarray(0, hdr.length - 2)).toString('latin1'));
      }),
    );
  });
});
