import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReplyParser, formatReply, parseReply, serializeReply, type SmtpReply } from './reply.js';
import { SmtpReplySyntaxError } from './errors.js';
import { DEFAULT_ENHANCED_CODES, enhancedFor, isEnhancedCode } from './enhanced.js';
import { b } from './test-harness.js';

describe('§4.2 reply syntax', () => {
  it('§4.2 single-line reply with text', () => {
    expect(parseReply('250 OK\r\n')).toEqual({ code: 250, lines: ['OK'] });
  });

  it('§4.2 multi-line reply: code-text … code SP text, same code on every line', () => {
    const r = parseReply('250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n');
    expect(r).toEqual({ code: 250, lines: ['mx.example', 'PIPELINING', 'SIZE 100'] });
  });

  it('§4.2 a multi-line reply whose code changes is rejected', () => {
    expect(() => parseReply('250-a\r\n251 b\r\n')).toThrow(SmtpReplySyntaxError);
  });

  it('§4.2 clients accept a bare code, with or without a space', () => {
    expect(parseReply('250\r\n')).toEqual({ code: 250, lines: [''] });
    expect(parseReply('250 \r\n')).toEqual({ code: 250, lines: [''] });
  });

  it('§4.2 reply code %x32-35 %x30-35 %x30-39; unknown codes parsed (acted on by first digit)', () => {
    expect(parseReply('299 odd\r\n').code).toBe(299);
    expect(parseReply('459 odd\r\n').code).toBe(459);
    for (const bad of ['199 x\r\n', '600 x\r\n', '2x0 x\r\n', '25 x\r\n', '250x\r\n', '\r\n']) {
      expect(() => parseReply(bad), bad).toThrow(SmtpReplySyntaxError);
    }
  });

  it('§4.2 greeting "220 domain …" is parsed with its text', () => {
    expect(parseReply('220 mx.example ESMTP ready\r\n').lines[0]).toBe('mx.example ESMTP ready');
  });

  it('§2.3.8 only CRLF ends a reply line: bare LF is an error', () => {
    const p = new ReplyParser();
    expect(() => p.push(b('250 a\n250 b\r\n'))).toThrow(SmtpReplySyntaxError);
  });

  it('§4.5.3.1.5 reply lines of 512 octets are accepted; lines above the limit rejected', () => {
    const text = 'x'.repeat(512 - 6);
    expect(parseReply(`250 ${text}\r\n`).lines[0]).toBe(text);
    const p = new ReplyParser({ maxLineLength: 512 });
    expect(() => p.push(b(`250 ${text}x\r\n`))).toThrow(SmtpReplySyntaxError);
  });

  it('parses replies split at every byte boundary', () => {
    const wire = '250-mx\r\n250-8BITMIME\r\n250 OK\r\n354 go\r\n';
    const bytes = b(wire);
    for (let i = 0; i <= bytes.length; i++) {
      const p = new ReplyParser();
      const out = [...p.push(bytes.subarray(0, i)), ...p.push(bytes.subarray(i))];
      expect(out.map((r) => r.code)).toEqual([250, 354]);
    }
  });
});

describe('RFC 3463 enhanced status codes', () => {
  it('RFC 3463 format class.subject.detail: class 2/4/5, 1–3 digits, no leading zeros, no whitespace', () => {
    for (const ok of ['2.0.0', '5.1.1', '4.4.2', '5.7.100', '2.999.999']) expect(isEnhancedCode(ok), ok).toBe(true);
    for (const bad of ['3.0.0', '5.01.1', '5.1.1000', '5. 1.1', '5.1', '5.1.1 ', 'x.1.1', '5.1.01']) {
      expect(isEnhancedCode(bad), bad).toBe(false);
    }
  });

  it('RFC 3463 common codes in the default map (smtp-server ENHANCED_STATUS_CODES)', () => {
    expect(DEFAULT_ENHANCED_CODES[500]).toBe('5.5.2');
    expect(DEFAULT_ENHANCED_CODES[501]).toBe('5.5.4');
    expect(DEFAULT_ENHANCED_CODES[502]).toBe('5.5.1');
    expect(DEFAULT_ENHANCED_CODES[503]).toBe('5.5.1');
    expect(DEFAULT_ENHANCED_CODES[550]).toBe('5.1.1');
    expect(DEFAULT_ENHANCED_CODES[553]).toBe('5.1.3');
    expect(DEFAULT_ENHANCED_CODES[421]).toBe('4.4.2');
    expect(enhancedFor(552, '5.3.4')).toBe('5.3.4');
    expect(enhancedFor(599)).toBe('5.0.0');
    for (const [code, enh] of Object.entries(DEFAULT_ENHANCED_CODES)) {
      expect(isEnhancedCode(enh)).toBe(true);
      if (Number(code) >= 400) expect(enh[0]).toBe(String(code)[0]);
    }
  });

  it('RFC 2034 enhanced code is prefixed on every line and lifted back by the parser', () => {
    const r: SmtpReply = { code: 550, enhanced: '5.1.1', lines: ['No such user', 'here'] };
    expect(formatReply(r)).toBe('550-5.1.1 No such user\r\n550 5.1.1 here\r\n');
    expect(parseReply(formatReply(r))).toEqual(r);
  });

  it('an enhanced code whose class differs from the reply class is left in the text', () => {
    expect(parseReply('250 5.1.1 odd\r\n')).toEqual({ code: 250, lines: ['5.1.1 odd'] });
  });
});

const textArb = fc
  .stringMatching(/^[\x20-\x7e]{0,60}$/)
  .filter((t) => !/^[0-9]/.test(t) && !t.startsWith(' '));

const replyArb: fc.Arbitrary<SmtpReply> = fc
  .record({
    code: fc.integer({ min: 200, max: 599 }),
    lines: fc.array(textArb, { minLength: 1, maxLength: 5 }),
    withEnh: fc.boolean(),
    subject: fc.integer({ min: 0, max: 999 }),
    detail: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ code, lines, withEnh, subject, detail }) => {
    const cls = Math.floor(code / 100);
    // a trailing-space-free text keeps "250 " vs "250" unambiguous
    const ls = lines.map((l) => l.replace(/ +$/, ''));
    if (withEnh && cls !== 3) return { code, enhanced: `${cls}.${subject}.${detail}`, lines: ls };
    return { code, lines: ls };
  });

describe('fast-check: reply roundtrip', () => {
  it('parseReply(serializeReply(r)) == r, and any chunking of a reply stream parses the same', () => {
    fc.assert(
      fc.property(fc.array(replyArb, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), (replies, cuts) => {
        for (const r of replies) expect(parseReply(serializeReply(r))).toEqual(r);
        const wire = b(replies.map(formatReply).join(''));
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((x, y) => x - y);
        const p = new ReplyParser();
        const got: SmtpReply[] = [];
        let prev = 0;
        for (const c of [...points, wire.length]) {
          got.push(...p.push(wire.subarray(prev, c)));
          prev = c;
        }
        expect(got).toEqual(replies);
      }),
      { numRuns: 300 },
    );
  });
});
