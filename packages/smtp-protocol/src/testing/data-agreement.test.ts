// The package's streaming DATA scanner and dot-stuffer against the naive
// whole-buffer reference models of the testing subpath, for every chunking:
// the terminator is found exactly where the whole-buffer scan finds it, the
// unstuffed content is the reference's, bare CR/LF content is refused, and
// dotStuff produces the reference's wire form.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataScanner, dotStuff, findEndOfData } from '../index.js';
import {
  chunksArb,
  concatBytes,
  dataSectionArb,
  hasBareLineEnd,
  messageContentArb,
  referenceDotStuff,
  referenceFindDataEnd,
  referenceUnstuff,
  smugglingContentArb,
} from './index.js';

const SLOW = process.env.NETLAYERS_SLOW === '1';
const NUM_RUNS = SLOW ? 3000 : 100;
const NEXT = new TextEncoder().encode('MAIL FROM:<next@example.com>\r\n');

/** Feed chunks to a fresh scanner; returns where it stopped, the content and the error. */
function scanAll(chunks: readonly Uint8Array[], bareNewline: 'reject' | 'allow') {
  const sc = new DataScanner({ bareNewline, maxLineLength: 1000 });
  const out: Uint8Array[] = [];
  let offset = 0;
  let end: number | undefined;
  for (const c of chunks) {
    const r = sc.scan(c, out);
    if (r.done) {
      end = offset + r.consumed;
      break;
    }
    expect(r.consumed).toBe(c.length);
    offset += c.length;
  }
  return { end, content: concatBytes(out), error: sc.error, size: sc.size };
}

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

describe('DataScanner agrees with the whole-buffer reference', () => {
  it('valid content: same terminator offset, same unstuffed bytes, size = content length, in any chunking', () => {
    const arb = dataSectionArb().chain(({ content, wire }) => {
      const input = concatBytes([wire, NEXT]);
      return chunksArb(input, { emptyChunks: true }).map((chunks) => ({ content, wire, input, chunks }));
    });
    fc.assert(
      fc.property(arb, ({ content, wire, input, chunks }) => {
        const ref = referenceFindDataEnd(input);
        expect(ref?.next).toBe(wire.length);
        const got = scanAll(chunks, 'reject');
        expect(got.error).toBeUndefined();
        expect(got.end).toBe(ref?.next);
        expect(latin1(got.content)).toBe(latin1(referenceUnstuff(input.subarray(0, ref?.contentEnd))));
        expect(latin1(got.content)).toBe(latin1(content));
        expect(got.size).toBe(content.length);
        expect(findEndOfData(input)).toBe(ref?.next);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('bare CR/LF content and smuggling sequences: never an early end, and refused', () => {
    const content = fc.oneof(messageContentArb({ bareLineEnds: true }).filter(hasBareLineEnd), smugglingContentArb());
    const arb = content.chain((c) => {
      const input = concatBytes([referenceDotStuff(c), NEXT]);
      return chunksArb(input).map((chunks) => ({ input, chunks }));
    });
    fc.assert(
      fc.property(arb, ({ input, chunks }) => {
        const ref = referenceFindDataEnd(input);
        for (const mode of ['reject', 'allow'] as const) {
          const got = scanAll(chunks, mode);
          expect(got.end, mode).toBe(ref?.next);
          if (mode === 'reject') expect(got.error?.code).toBe('ERR_SMTP_BARE_NEWLINE');
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('dotStuff agrees with the reference', () => {
  it('stuffs exactly the reference’s dots for CRLF content, in any chunking', () => {
    const arb = messageContentArb().chain((c) => chunksArb(c).map((chunks) => ({ c, chunks })));
    fc.assert(
      fc.property(arb, ({ c, chunks }) => {
        const stuffed = concatBytes([...dotStuff(chunks)]);
        // referenceDotStuff also appends ".\r\n" (content ends with CRLF here).
        expect(latin1(concatBytes([stuffed, new TextEncoder().encode('.\r\n')]))).toBe(latin1(referenceDotStuff(c)));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
