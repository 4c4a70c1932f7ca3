import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DataScanner, dotStuff, dotUnstuff, encodeData, findEndOfData, normalizeLineEndings, type DataScannerOptions } from './data.js';
import { concatBytes } from './bytes.js';
import { b, s } from './test-harness.js';

/** Scans `input` split at `cuts`; returns content, consumed offset (absolute), error code. */
function scanSplit(input: Uint8Array, cuts: number[], opts: DataScannerOptions = {}) {
  const sc = new DataScanner(opts);
  const out: Uint8Array[] = [];
  const pts = [...new Set(cuts.map((c) => Math.min(c, input.length)))].sort((x, y) => x - y);
  let prev = 0;
  let end = -1;
  for (const c of [...pts, input.length]) {
    if (end >= 0) break;
    const chunk = input.subarray(prev, c);
    const r = sc.scan(chunk, out);
    if (r.done) end = prev + r.consumed;
    prev = c;
  }
  return { content: concatBytes(out), end, error: sc.error?.code, size: sc.size, views: out };
}

describe('§4.1.1.4 end of data', () => {
  it('§4.1.1.4 end of data is <CRLF>.<CRLF>; the content keeps its final CRLF', () => {
    const r = scanSplit(b('Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n'), []);
    expect(s(r.content)).toBe('Subject: x\r\n\r\nhello\r\n');
    expect(r.end).toBe('Subject: x\r\n\r\nhello\r\n.\r\n'.length);
  });

  it('§4.1.1.4 an empty message is just ".CRLF"', () => {
    expect(scanSplit(b('.\r\n'), [])).toMatchObject({ end: 3, size: 0 });
  });

  it('§4.1.1.4 <LF>.<LF> is not end of data; the server refuses LF-only lines (smuggling)', () => {
    for (const smuggle of ['a\n.\nMAIL FROM:<x@y>\n', 'a\r\n.\nMAIL', 'a\n.\r\nMAIL', 'a\r.\rMAIL', 'a\r.\r\nMAIL', 'a\r\n.\rMAIL']) {
      const r = scanSplit(b(`${smuggle}\r\nmore\r\n.\r\n`), []);
      expect(r.end, JSON.stringify(smuggle)).toBe(b(`${smuggle}\r\nmore\r\n.\r\n`).length);
      expect(r.error, JSON.stringify(smuggle)).toBe('ERR_SMTP_BARE_NEWLINE');
    }
  });

  it("§4.1.1.4 with bareNewline 'allow' bare LF/CR are content, still never a terminator", () => {
    const r = scanSplit(b('a\n.\nb\r\n.\r\n'), [], { bareNewline: 'allow' });
    expect(r.error).toBeUndefined();
    expect(s(r.content)).toBe('a\n.\nb\r\n');
  });
});

describe('§4.5.2 transparency', () => {
  it('§4.5.2 the server removes the first character of a line starting with "."', () => {
    const r = scanSplit(b('..leading\r\n...\r\nmid.dle\r\n..\r\n.\r\n'), []);
    expect(s(r.content)).toBe('.leading\r\n..\r\nmid.dle\r\n.\r\n');
  });

  it('§4.5.2 the client doubles a leading "." on every line (dotStuff), zero-copy', () => {
    const input = b('.a\r\nb\r\n.\r\n..c\r\n');
    const parts = [...dotStuff(input)];
    expect(s(concatBytes(parts))).toBe('..a\r\nb\r\n..\r\n...c\r\n');
    // every non-constant part is a view on the input's memory
    for (const p of parts) if (p.length > 1) expect(p.buffer).toBe(input.buffer);
  });

  it('§4.5.2 encodeData appends CRLF if missing and the terminator', () => {
    expect(s(concatBytes([...encodeData(b('x'))]))).toBe('x\r\n.\r\n');
    expect(s(concatBytes([...encodeData(b('x\r\n'))]))).toBe('x\r\n.\r\n');
    expect(s(concatBytes([...encodeData(b(''))]))).toBe('.\r\n');
  });

  it('§2.3.8 clients MUST NOT send bare CR or LF: normalizeLineEndings converts them', () => {
    expect(s(concatBytes([...normalizeLineEndings([b('a\nb\rc\r'), b('\nd\r')])]))).toBe('a\r\nb\r\nc\r\nd\r\n');
  });
});

describe('§4.5.3.1.6 text line limit and RFC 1870 size', () => {
  it('§4.5.3.1.6 a text line of 1000 octets incl. CRLF is accepted, 1001 rejected', () => {
    const ok = 'x'.repeat(998) + '\r\n';
    expect(scanSplit(b(ok + '.\r\n'), [500]).error).toBeUndefined();
    expect(scanSplit(b('x' + ok + '.\r\n'), [500]).error).toBe('ERR_SMTP_TEXT_LINE_TOO_LONG');
  });

  it('§4.5.3.1.6 the doubled dot is not counted', () => {
    const line = '.' + 'x'.repeat(997) + '\r\n'; // 1000 octets after unstuffing
    expect(scanSplit(b('.' + line + '.\r\n'), []).error).toBeUndefined();
  });

  it('RFC 1870 size = octets after 354 incl. CRLFs, excluding the final dot and doubled dots', () => {
    const r = scanSplit(b('ab\r\n..c\r\n.\r\n'), [3, 5]);
    expect(r.size).toBe('ab\r\n.c\r\n'.length);
  });

  it('RFC 1870 the size is enforced while streaming: content stops at the limit, reading continues to the end', () => {
    const body = 'x'.repeat(100) + '\r\n';
    const r = scanSplit(b(body + body + '.\r\nNOOP\r\n'), [50, 150], { maxSize: 150 });
    expect(r.error).toBe('ERR_SMTP_SIZE');
    expect(r.end).toBe(b(body + body + '.\r\n').length);
    expect(r.content.length).toBeLessThanOrEqual(150);
    expect(scanSplit(b(body + '.\r\n'), [], { maxSize: 102 }).error).toBeUndefined();
    expect(scanSplit(b(body + '.\r\n'), [], { maxSize: 101 }).error).toBe('ERR_SMTP_SIZE');
  });

  it('content ≥ 64 KB passes in many chunks, as views into the input', () => {
    const line = 'y'.repeat(76) + '\r\n';
    const text = line.repeat(2000);
    const input = b(text + '.\r\n');
    const cuts = Array.from({ length: 100 }, (_, i) => i * 1601);
    const r = scanSplit(input, cuts);
    expect(r.end).toBe(input.length);
    expect(r.size).toBe(text.length);
    for (const v of r.views) expect(v.buffer).toBe(input.buffer);
  });
});

// Content generator biased to the interesting bytes.
const lineBytes = fc.array(fc.constantFrom(0x2e, 0x0d, 0x0a, 0x41, 0x42, 0x20), { maxLength: 40 });
const crlfBody = fc
  .array(fc.array(fc.constantFrom(0x2e, 0x41, 0x20, 0x42), { maxLength: 12 }), { maxLength: 12 })
  .map((lines) => b(lines.map((l) => String.fromCharCode(...l) + '\r\n').join('')));

describe('fast-check: DATA scanner', () => {
  it('the terminator is found exactly where a whole-buffer scan finds it, for every split', () => {
    fc.assert(
      fc.property(lineBytes, (arr) => {
        const input = new Uint8Array(arr);
        const whole = scanSplit(input, [], { bareNewline: 'allow', maxLineLength: Infinity });
        expect(whole.end).toBe(findEndOfData(input));
        const strict = scanSplit(input, []);
        for (let i = 0; i <= input.length; i++) {
          const r = scanSplit(input, [i], { bareNewline: 'allow', maxLineLength: Infinity });
          expect(r.end).toBe(whole.end);
          expect([...r.content]).toEqual([...whole.content]);
          const rs = scanSplit(input, [i]);
          expect(rs.end).toBe(strict.end);
          expect(rs.error).toBe(strict.error);
          // after a policy error the message is refused; content up to the error may differ by split
          if (strict.error === undefined) expect([...rs.content]).toEqual([...strict.content]);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('any multi-way chunking gives the same result as one chunk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 20 }), (input, cuts) => {
        const whole = scanSplit(input, [], { maxLineLength: 50 });
        const r = scanSplit(input, cuts.map((c) => c % (input.length + 1)), { maxLineLength: 50 });
        expect(r.end).toBe(whole.end);
        expect(r.error).toBe(whole.error);
        if (whole.error === undefined) expect([...r.content]).toEqual([...whole.content]);
      }),
      { numRuns: 400 },
    );
  });

  it('encodeData then DataScanner gives back the content (dot-stuffing roundtrip), any chunking', () => {
    fc.assert(
      fc.property(crlfBody, fc.array(fc.nat(), { maxLength: 10 }), (body, cuts) => {
        const wire = concatBytes([...encodeData(body)]);
        const r = scanSplit(wire, cuts.map((c) => c % (wire.length + 1)));
        expect(r.error).toBeUndefined();
        expect(r.end).toBe(wire.length);
        expect([...r.content]).toEqual([...body]);
      }),
      { numRuns: 400 },
    );
  });

  it('§4.5.2 dotUnstuff(dotStuff(x)) == x for any chunking of the stuffed stream, zero-copy', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }).map((u) => u.map((x) => [0x2e, 0x0a, 0x0d, 0x41][x % 4]!)), fc.array(fc.nat(), { maxLength: 6 }), (x, cuts) => {
        const stuffed = concatBytes([...dotStuff(x)]);
        const pts = [...new Set(cuts.map((c) => c % (stuffed.length + 1)))].sort((a, b2) => a - b2);
        const pieces: Uint8Array[] = [];
        let prev = 0;
        for (const c of [...pts, stuffed.length]) {
          pieces.push(stuffed.subarray(prev, c));
          prev = c;
        }
        const out = [...dotUnstuff(pieces)];
        expect([...concatBytes(out)]).toEqual([...x]);
        for (const o of out) expect(o.buffer).toBe(stuffed.buffer);
      }),
      { numRuns: 300 },
    );
  });

  it('normalizeLineEndings output never contains a bare CR or LF', () => {
    fc.assert(
      fc.property(fc.array(lineBytes.map((a) => new Uint8Array(a)), { maxLength: 5 }), (chunks) => {
        const out = concatBytes([...normalizeLineEndings(chunks)]);
        for (let i = 0; i < out.length; i++) {
          if (out[i] === 0x0a) expect(out[i - 1]).toBe(0x0d);
          if (out[i] === 0x0d) expect(out[i + 1]).toBe(0x0a);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('SIMD LF-list path vs native indexOf path', () => {
  const token = fc.constantFrom('abc', 'x'.repeat(70), '\r\n', '\r\n', '\r\n', '.', '..', '\n', '\r', ' ', 'y'.repeat(300));
  const longInput = fc.array(token, { minLength: 20, maxLength: 120 }).map((ts) => b(ts.join('')));

  it('fast-check: one big chunk (SIMD, ≥ 512 octets) and 97-octet chunks (indexOf) agree', () => {
    fc.assert(
      fc.property(longInput, fc.boolean(), (input, strict) => {
        const opts: DataScannerOptions = strict ? { maxLineLength: 200 } : { bareNewline: 'allow', maxLineLength: Infinity };
        const whole = scanSplit(input, [], opts);
        const cuts = Array.from({ length: Math.floor(input.length / 97) }, (_, i) => (i + 1) * 97);
        const small = scanSplit(input, cuts, opts);
        expect(small.end).toBe(whole.end);
        expect(small.error).toBe(whole.error);
        if (whole.error === undefined) expect([...small.content]).toEqual([...whole.content]);
        if (!strict) expect(whole.end).toBe(findEndOfData(input));
      }),
      { numRuns: 300 },
    );
  });

  it('fast-check: multi-window inputs (~150 KB) scan the same in one chunk as in 97-octet chunks', () => {
    const line = fc.constantFrom('x'.repeat(70) + '\r\n', '.' + 'y'.repeat(40) + '\r\n', 'abc\r\n', '\r\n', '..\r\n');
    const rare = fc.constantFrom('\n', '\r', '.\r\n', 'z'.repeat(1200), '\r\n.', '.');
    fc.assert(
      fc.property(fc.array(line, { minLength: 5, maxLength: 40 }), fc.array(fc.tuple(fc.nat(3000), rare), { maxLength: 3 }), fc.boolean(), (ls, inserts, strict) => {
        const parts = Array.from({ length: 3000 }, (_, i) => ls[i % ls.length]!);
        for (const [at, r] of inserts) parts[at] = r;
        const input = b(parts.join('') + '\r\n.\r\n');
        const opts: DataScannerOptions = strict ? { maxLineLength: 1000 } : { bareNewline: 'allow', maxLineLength: Infinity };
        const whole = scanSplit(input, [], opts);
        const cuts = Array.from({ length: Math.floor(input.length / 97) }, (_, i) => (i + 1) * 97);
        const small = scanSplit(input, cuts, opts);
        expect([whole.end, whole.error, whole.size]).toEqual([small.end, small.error, small.size]);
        if (whole.error === undefined) expect(Buffer.compare(whole.content, small.content)).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('events exactly at the 64 KiB window boundaries are handled', () => {
    const W = 65536;
    const cases: Array<[string, number]> = [
      ['\r\n', W - 1], // CR last octet of window 1, LF first of window 2
      ['\r\n.\r\n', W - 2], // terminator across the boundary
      ['\r\n..x\r\n', W - 2], // stuffed dot at the start of window 2
      ['a\nb', W - 1], // bare LF at the boundary
      ['a\rb', W - 1], // bare CR at the boundary
    ];
    for (const [ev, at] of cases) {
      const text = new Uint8Array(3 * W).fill(0x61);
      for (let i = 70; i < text.length; i += 72) {
        text[i] = 13;
        text[i + 1] = 10;
      }
      text.set(b(ev), at);
      const tail = b('\r\n.\r\n');
      const input = new Uint8Array(text.length + tail.length);
      input.set(text);
      input.set(tail, text.length);
      const whole = scanSplit(input, [], { maxLineLength: Infinity });
      const cuts = Array.from({ length: Math.floor(input.length / 500) }, (_, i) => (i + 1) * 500);
      const small = scanSplit(input, cuts, { maxLineLength: Infinity });
      expect([whole.end, whole.error], JSON.stringify(ev)).toEqual([small.end, small.error]);
      if (whole.error === undefined) expect(whole.content.length).toBe(small.content.length);
    }
  });
});
