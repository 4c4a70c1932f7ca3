/** Unit tests of the load generator's pieces: bodies, the checker, statistics. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeBody, makeHeaders } from '../src/load/body.js';
import { hashOf, MessageChecker } from '../src/load/checker.js';
import { median, summarize } from '../src/stats.js';
import { rotate } from '../src/runner.js';

describe('makeBody', () => {
  it('has the exact size, CRLF lines of at most 76 characters, and some dot-led lines', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 20_000 }), fc.integer(), (size, seed) => {
        const b = makeBody(size, seed);
        expect(b.length).toBe(size);
        const text = b.toString('latin1');
        expect(text.endsWith('\r\n')).toBe(true);
        const lines = text.slice(0, -2).split('\r\n');
        for (const l of lines) {
          expect(l.length).toBeGreaterThan(0);
          expect(l.length).toBeLessThanOrEqual(76);
          expect(l).not.toMatch(/[\r\n]/);
        }
      }),
    );
    expect(makeBody(200_000, 1).toString('latin1')).toMatch(/\r\n\./);
  });
  it('is deterministic', () => {
    expect(makeBody(5000, 9).equals(makeBody(5000, 9))).toBe(true);
    expect(makeBody(5000, 9).equals(makeBody(5000, 10))).toBe(false);
  });
});

describe('MessageChecker', () => {
  const head = makeHeaders(42, 'run1');
  const body = makeBody(3000, 3);
  const received = Buffer.from('Received: from load.bench (198.18.0.2)\r\n\tby relay.bench with ESMTP id x;\r\n\tThu, 1 Jan 2009 00:00:00 +0000\r\n');
  it('sets aside Received: fields and finds seq and hashes under any chunking', () => {
    const msg = Buffer.concat([received, head, body]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: msg.length - 1 }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const c = new MessageChecker();
        let prev = 0;
        for (const p of [...points, msg.length]) {
          c.push(msg.subarray(prev, p));
          prev = p;
        }
        const r = c.finish();
        expect(r).toEqual({ seq: 42, received: 1, headHash: hashOf(head), bodyHash: hashOf(body), octets: msg.length });
      }),
    );
  });
  it('notices a changed body', () => {
    const bad = Buffer.from(body);
    bad[100] = (bad[100] as number) ^ 1;
    const c = new MessageChecker();
    c.push(Buffer.concat([head, bad]));
    const r = c.finish();
    expect(r.received).toBe(0);
    expect(r.bodyHash).not.toBe(hashOf(body));
  });
  it('reports a message without a header block as malformed', () => {
    const c = new MessageChecker();
    c.push(Buffer.from('no headers at all\r\n'));
    expect(c.finish().seq).toBe(-1);
  });
});

describe('stats', () => {
  it('median, min–max', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(summarize([5, 1, 9])).toEqual({ median: 5, min: 1, max: 9, n: 3 });
    expect(Number.isNaN(median([]))).toBe(true);
  });
  it('rotate gives every configuration every position', () => {
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c']);
  });
});
