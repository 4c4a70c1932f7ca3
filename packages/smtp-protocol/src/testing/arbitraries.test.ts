// Properties of the `@netlayers/smtp-protocol/testing` arbitraries: what they
// generate is checked against independent regexes of the RFC grammars, the
// length limits are hit, and the reference DATA model roundtrips.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_COMMAND_LINE_OCTETS,
  chunkedArb,
  chunksArb,
  commandArb,
  commandLineArb,
  concatBytes,
  conversationArb,
  conversationBytes,
  dataSectionArb,
  enhancedCodeArb,
  formatCommand,
  formatReply,
  hasBareLineEnd,
  invalidCommandLineArb,
  invalidPathArb,
  mailboxPartsArb,
  messageContentArb,
  octets,
  pipelineGroups,
  referenceDotStuff,
  referenceFindDataEnd,
  referenceUnstuff,
  replyArb,
  smtpNoiseArb,
  smugglingContentArb,
  splitAt,
} from './index.js';

const NUM_RUNS = 200;
const ATEXT_RE = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u0080-\\u{10FFFF}]";
const DOT_STRING = new RegExp(`^${ATEXT_RE}+(\\.${ATEXT_RE}+)*$`, 'u');
const QUOTED = /^"([\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]|\\[\x20-\x7e])*"$/u;
const LABEL = /^([A-Za-z0-9\u0080-\u{10FFFF}]([A-Za-z0-9\-\u0080-\u{10FFFF}]*[A-Za-z0-9])?)$/u;
const LITERAL = /^\[((\d{1,3}\.){3}\d{1,3}|IPv6:[0-9a-fA-F:.]+|[A-Za-z0-9-]*[A-Za-z0-9]:[\x21-\x5a\x5e-\x7e]+)\]$/;

function isDomain(d: string): boolean {
  if (d.startsWith('[')) return LITERAL.test(d);
  return octets(d) <= 255 && d.split('.').every((l) => octets(l) <= 63 && LABEL.test(l));
}

describe('address arbitraries', () => {
  it('generate RFC 5321 mailboxes within the §4.5.3.1 limits (ASCII and SMTPUTF8)', () => {
    for (const utf8 of [false, true]) {
      fc.assert(
        fc.property(mailboxPartsArb({ utf8 }), ({ localPart, domain }) => {
          expect(octets(localPart)).toBeLessThanOrEqual(64);
          expect(DOT_STRING.test(localPart) || QUOTED.test(localPart)).toBe(true);
          expect(isDomain(domain)).toBe(true);
          expect(octets(`<${localPart}@${domain}>`)).toBeLessThanOrEqual(256);
        }),
        { numRuns: NUM_RUNS },
      );
    }
  });

  it('hit the edges: 64-octet local parts, 256-octet paths, quoted and non-ASCII parts', () => {
    const samples = fc.sample(mailboxPartsArb({ utf8: true }), { numRuns: 600, seed: 42 });
    const paths = samples.map((m) => octets(`<${m.localPart}@${m.domain}>`));
    expect(samples.some((m) => octets(m.localPart) === 64)).toBe(true);
    expect(paths.some((n) => n === 256)).toBe(true);
    expect(samples.some((m) => m.localPart.startsWith('"'))).toBe(true);
    expect(samples.some((m) => /[^\x00-\x7f]/.test(m.localPart + m.domain))).toBe(true);
    expect(samples.some((m) => m.domain.startsWith('['))).toBe(true);
  });

  it('invalidPathArb never produces a valid path', () => {
    fc.assert(
      fc.property(invalidPathArb(), ({ path }) => {
        const m = /^<([^@]*)@(.*)>$/u.exec(path);
        const valid =
          m !== null &&
          octets(path) <= 256 &&
          octets(m[1] ?? '') <= 64 &&
          DOT_STRING.test(m[1] ?? '') &&
          (m[2] ?? '').length > 0 &&
          isDomain(m[2] ?? '');
        expect(valid).toBe(false);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('command arbitraries', () => {
  it('lines fit in 512 octets (+26 with SIZE) and carry a known verb in any case', () => {
    fc.assert(
      fc.property(commandArb({ verbs: ['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'QUIT', 'NOOP', 'HELP', 'VRFY', 'EXPN', 'BDAT'] }), (c) => {
        const line = formatCommand(c);
        expect(octets(line) + 2).toBeLessThanOrEqual(MAX_COMMAND_LINE_OCTETS + 26);
        expect(line.slice(0, 4).toUpperCase()).toBe(c.verb.slice(0, 4));
        expect(line).not.toMatch(/[\r\n]/);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('commandLineArb ends every line with CRLF', () => {
    fc.assert(fc.property(commandLineArb(), (l) => {
      expect(l.endsWith('\r\n') && l.indexOf('\n') === l.length - 1).toBe(true);
    }), {
      numRuns: 100,
    });
  });

  it('invalidCommandLineArb labels each line with 5yz codes only', () => {
    fc.assert(
      fc.property(invalidCommandLineArb(), (c) => {
        expect(c.line.endsWith('\r\n')).toBe(true);
        expect(c.expected.every((x) => x >= 500 && x <= 555)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});

describe('reply arbitraries', () => {
  const LINE = /^([2-5][0-5][0-9])([ -]([\t\x20-\x7e]*))?$/;
  it('format as RFC 5321 §4.2 replies: same code on every line, "-" then " ", ≤ 512 octets', () => {
    fc.assert(
      fc.property(replyArb(), (r) => {
        const text = formatReply(r);
        expect(text.endsWith('\r\n')).toBe(true);
        const lines = text.slice(0, -2).split('\r\n');
        expect(lines.length).toBe(r.lines.length);
        lines.forEach((l, i) => {
          expect(l.length + 2).toBeLessThanOrEqual(512);
          const m = LINE.exec(l);
          expect(m).not.toBeNull();
          expect(Number(m?.[1])).toBe(r.code);
          if (i < lines.length - 1) expect(l[3]).toBe('-');
          else expect(l[3] === ' ' || l.length === 3).toBe(true);
          if (r.enhanced !== undefined) expect(m?.[3]?.startsWith(`${r.enhanced} `)).toBe(true);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('enhanced codes follow RFC 3463 (class 2/4/5, 1–3 digits, no leading zero)', () => {
    fc.assert(
      fc.property(enhancedCodeArb(), (e) => {
        expect(e).toMatch(/^[245]\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('body arbitraries and the reference DATA model', () => {
  it('stuff -> find end -> unstuff roundtrips for valid content', () => {
    fc.assert(
      fc.property(dataSectionArb(), ({ content, wire }) => {
        expect(hasBareLineEnd(content)).toBe(false);
        const end = referenceFindDataEnd(wire);
        expect(end).toBeDefined();
        expect(end?.next).toBe(wire.length);
        const unstuffed = referenceUnstuff(wire.subarray(0, end?.contentEnd));
        expect(Buffer.from(unstuffed).equals(Buffer.from(content))).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('generates the dot-stuffing edge cases often', () => {
    const samples = fc.sample(messageContentArb(), { numRuns: 300, seed: 7 }).map((b) => Buffer.from(b).toString('latin1'));
    expect(samples.some((s) => s.includes('\r\n.\r\n') || s.startsWith('.\r\n'))).toBe(true);
    expect(samples.some((s) => /(^|\r\n)\.[^\r]/.test(s))).toBe(true);
    expect(samples.some((s) => s.split('\r\n').some((l) => l.length >= 996))).toBe(true);
  });

  it('content with bare line ends never makes a LF-only terminator', () => {
    fc.assert(
      fc.property(messageContentArb({ bareLineEnds: true }), (content) => {
        const wire = referenceDotStuff(content);
        expect(referenceFindDataEnd(wire)?.next).toBe(wire.length);
      }),
      { numRuns: NUM_RUNS },
    );
    const samples = fc.sample(smugglingContentArb(), { numRuns: 20, seed: 1 });
    expect(samples.every((s) => hasBareLineEnd(s))).toBe(true);
  });

  it('an empty message is ".CRLF" right after 354', () => {
    expect(Buffer.from(referenceDotStuff(new Uint8Array(0))).toString()).toBe('.\r\n');
    expect(referenceFindDataEnd(Buffer.from('.\r\n'))).toEqual({ contentEnd: 0, next: 3 });
    expect(referenceFindDataEnd(Buffer.from('a\n.\n'))).toBeUndefined();
  });
});

describe('chunking arbitraries', () => {
  it('every chunking concatenates back to the input and uses views', () => {
    fc.assert(
      fc.property(chunkedArb(smtpNoiseArb(), { emptyChunks: true }), ({ bytes, chunks }) => {
        expect(Buffer.from(concatBytes(chunks)).equals(Buffer.from(bytes))).toBe(true);
        for (const c of chunks) if (c.length > 0) expect(c.buffer).toBe(bytes.buffer);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('includes byte-at-a-time splitting', () => {
    const data = Buffer.from('MAIL FROM:<a@b>\r\n');
    const all = fc.sample(chunksArb(data), { numRuns: 100, seed: 3 });
    expect(all.some((c) => c.length === data.length)).toBe(true);
    expect(splitAt(data, [5, 5, 0, 99]).map((c) => c.length)).toEqual([5, data.length - 5]);
  });
});

describe('conversation arbitraries', () => {
  it('open with EHLO, close with QUIT, and send data only after a DATA expecting 354', () => {
    fc.assert(
      fc.property(conversationArb({ chunking: true }), (conv) => {
        const first = conv.steps[0];
        const last = conv.steps[conv.steps.length - 1];
        expect(first?.kind === 'command' && first.line.startsWith('EHLO')).toBe(true);
        expect(last?.kind === 'command' && last.line === 'QUIT\r\n' && last.expect[0] === 221).toBe(true);
        conv.steps.forEach((s, i) => {
          if (s.kind === 'data') {
            const prev = conv.steps[i - 1];
            expect(prev?.kind === 'command' && prev.line === 'DATA\r\n' && prev.expect.join() === '354').toBe(true);
          }
        });
        const accepted = conv.steps.filter((s) => (s.kind === 'data' || (s.kind === 'bdat' && s.last)) && s.expect.join() === '250');
        expect(accepted.length).toBe(conv.deliveries.length);
        const groups = pipelineGroups(conv.steps);
        expect(groups.flat().length).toBe(conv.steps.length);
        expect(conversationBytes(conv).length).toBeGreaterThan(0);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
