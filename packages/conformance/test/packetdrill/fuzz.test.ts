// Whatever the text, the runner answers PASS, FAIL or SKIP and never throws:
// scripts mutated at random positions (characters dropped, duplicated, replaced
// by grammar-relevant characters) and spliced lines of different scripts.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runScriptText } from '../../src/index.js';

const ROOT = resolve(__dirname, '../..', process.env.PACKETDRILL_SCRIPTS ?? '../../../shared/conformance/packetdrill');
const SEED_SCRIPTS = ['google/tcp/fast_retransmit/fr-4pkt-sack.pkt', 'linux/tcp_dsack_mult.pkt', 'google/tcp/blocking/blocking-connect.pkt', 'google/tcp/close/close-on-syn-sent.pkt'];
const INLINE = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+.1 < S. 0:0(0) ack 1 win 32000 <mss 1460,nop,wscale 7,sackOK,TS val 1 ecr 0,nop,nop>
+0 > . 1:1(0) ack 1
+0...0.2 read(3, ..., 100) = 100
+.1 < P. 1:101(100) ack 1 win 257
+0 %{ assert tcpi_state == 1 }%
`;
const texts = [INLINE, ...SEED_SCRIPTS.map((p) => resolve(ROOT, p)).filter(existsSync).map((p) => readFileSync(p, 'utf8'))];
const pieces = [' ', '\n', '.', ':', '(', ')', '<', '>', ',', '+', '*', '~', '...', '`', '%{', '}%', '0', '9', '4294967295', '-1', 'S', 'F', 'nop', 'sack', '[', ']', '{', '}', '=', '"', '/*', '//'];

describe('runner robustness', () => {
  it('never throws on mutated scripts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: texts.length - 1 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(...pieces)), { minLength: 1, maxLength: 6 }),
        (which, edits) => {
          let t = texts[which]!;
          for (const [pos, kind, piece] of edits) {
            const i = Math.floor(pos * t.length);
            if (kind === 0) t = t.slice(0, i) + t.slice(i + 1);
            else if (kind === 1) t = t.slice(0, i) + piece + t.slice(i);
            else if (kind === 2) t = t.slice(0, i) + piece + t.slice(i + 1);
            else {
              const lines = t.split('\n');
              const j = Math.floor(pos * lines.length);
              lines.splice(j, 0, lines[(j * 7) % lines.length]!);
              t = lines.join('\n');
            }
          }
          const r = runScriptText(t, 'mutated.pkt');
          expect(['PASS', 'FAIL', 'SKIP']).toContain(r.status);
          expect(r.reason).not.toMatch(/^runner error/);
        },
      ),
      { numRuns: 300, seed: 10 },
    );
  });

  it.each([
    ['+0 < P. 1:65501(65500) ack 1 win 257', /^line 4: unsupported inbound packet larger than an IPv4 datagram/],
    ['+0 < S 0:0(0) win 70000', /^line 4: unparsed win: win value 70000 does not fit/],
    ['+0 < S 0:0(0) win 1 <sack 1:2 3:4 5:6 7:8 9:10>', /^line 4: unsupported TCP options longer than 40 bytes/],
    ['+0 read(3, ..., -1) = 0', /^line 4: unsupported buffer length -1/],
    ['+0 write(3, ..., 99999999999) = 0', /^line 4: unsupported buffer length 99999999999/],
  ])('answers out-of-range values with a typed SKIP: %s', (line, reason) => {
    const r = runScriptText(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n${line}\n`, 'range.pkt');
    expect(r.status).toBe('SKIP');
    expect(r.reason).toMatch(reason);
  });
});
