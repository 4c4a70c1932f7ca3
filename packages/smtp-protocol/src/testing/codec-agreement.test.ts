// The testing arbitraries against the package's own codec and ServerSession:
// generated commands parse to the generated data, generated replies roundtrip
// in any chunking, and whole generated conversations — fed in any chunking —
// get from ServerSession exactly one reply per step, with a code the
// independent model in conversation.ts allows.
import fc from 'fast-check';
import { VirtualClock } from '@netlayers/clock';
import { describe, expect, it } from 'vitest';
import { ReplyParser, ServerSession, SmtpCommandError, formatReply as coreFormatReply, parseCommand, parseReply } from '../index.js';
import type { SmtpReply } from '../index.js';
import {
  chunkedArb,
  chunksArb,
  commandArb,
  conversationArb,
  conversationBytes,
  formatCommand,
  formatReply,
  invalidCommandLineArb,
  invalidPathArb,
  replyArb,
  replyBytes,
  toSmtpCommand,
} from './index.js';
import type { Conversation } from './index.js';

/** NETLAYERS_SLOW=1 runs the long soak variant. */
const SLOW = process.env.NETLAYERS_SLOW === '1';
const NUM_RUNS = SLOW ? 3000 : 200;

describe('generated commands and the codec', () => {
  it('parseCommand(formatCommand(c)) is the generated command (ASCII and SMTPUTF8)', () => {
    for (const utf8 of [false, true]) {
      fc.assert(
        fc.property(commandArb({ utf8, verbs: ['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'RSET', 'QUIT', 'NOOP', 'HELP', 'VRFY', 'EXPN', 'BDAT'] }), (c) => {
          expect(parseCommand(formatCommand(c))).toEqual(toSmtpCommand(c));
        }),
        { numRuns: NUM_RUNS },
      );
    }
  });

  it('invalid paths are rejected with 501/553', () => {
    fc.assert(
      fc.property(invalidPathArb(), fc.constantFrom('MAIL FROM:', 'RCPT TO:'), ({ path }, kw) => {
        let err: unknown;
        try {
          parseCommand(`${kw}${path}`);
        } catch (e) {
          err = e;
        }
        expect(err, `${kw}${path}`).toBeInstanceOf(SmtpCommandError);
        expect([501, 553]).toContain((err as SmtpCommandError).replyCode);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('generated replies and the codec', () => {
  it('parse(format(r)) keeps the code, every line and the enhanced code, in any chunking', () => {
    fc.assert(
      fc.property(replyArb().chain((r) => chunksArb(replyBytes(r)).map((chunks) => ({ r, chunks }))), ({ r, chunks }) => {
        const p = new ReplyParser();
        const got: SmtpReply[] = [];
        for (const c of chunks) got.push(...p.push(c));
        expect(got).toHaveLength(1);
        const one = got[0] as SmtpReply;
        expect(one.code).toBe(r.code);
        expect(one.lines).toHaveLength(r.lines.length);
        if (r.enhanced !== undefined) {
          expect(one.enhanced).toBe(r.enhanced);
          expect(one.lines).toEqual(r.lines);
        } else {
          // Without a declared enhanced code the text is kept (or an accidental one lifted).
          expect(one.lines.map((l, i) => (one.enhanced === undefined ? l : r.lines[i]))).toEqual(r.lines);
        }
        // The codec's serializer gives bytes that parse back to the same reply.
        expect(parseReply(coreFormatReply(one))).toEqual(one);
        expect(formatReply(r).length).toBeGreaterThan(3);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

interface Delivered {
  readonly from: string;
  readonly to: readonly string[];
  readonly content: Uint8Array;
}

/** Drive a ServerSession with `chunks`, let its async hooks settle, return replies and deliveries. */
async function play(chunks: readonly Uint8Array[], expected: number): Promise<SmtpReply[] & { delivered: Delivered[] }> {
  const out = [] as unknown as SmtpReply[] & { delivered: Delivered[] };
  out.delivered = [];
  const parser = new ReplyParser();
  const s = new ServerSession({
    transport: {
      write: (d) => {
        out.push(...parser.push(d));
      },
      close: () => undefined,
    },
    timers: new VirtualClock(),
    hostname: 'model.test',
    hooks: {
      onData: async (m) => {
        const content = await m.bytes();
        out.delivered.push({ from: m.envelope.from, to: m.envelope.to.map((r) => r.address), content });
      },
    },
  });
  s.start();
  for (const c of chunks) s.receive(c);
  for (let i = 0; i < 500 && out.length < expected; i++) await new Promise<void>((r) => setImmediate(r));
  // Anything extra would show up now.
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
  return out;
}

function check(conv: Conversation, replies: readonly SmtpReply[]): void {
  const expected = conv.steps.length + 1;
  expect(replies.map((r) => r.code)[0]).toBe(220);
  expect(replies.length, `replies ${replies.map((r) => r.code).join(',')}`).toBe(expected);
  conv.steps.forEach((st, i) => {
    const r = replies[i + 1] as SmtpReply;
    const what = st.kind === 'data' ? '(data)' : st.line.trim();
    expect(st.expect, `step ${i} ${what} -> ${r.code} ${r.lines.join(' ')}`).toContain(r.code);
  });
}

describe('generated conversations and ServerSession', () => {
  it('one reply per step, codes allowed by the model, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(chunkedArb(conversationArb({ chunking: true }).map(conversationBytesWith)), async ({ bytes, chunks }) => {
        const conv = CONVERSATIONS.get(bytes) as Conversation;
        const replies = await play(chunks, conv.steps.length + 1);
        check(conv, replies);
        // The server got exactly the messages the model says, content unstuffed byte for byte.
        expect(replies.delivered.map((d) => ({ ...d, content: Buffer.from(d.content).toString('latin1') }))).toEqual(
          conv.deliveries.map((d) => ({ from: d.from, to: [...d.to], content: Buffer.from(d.content).toString('latin1') })),
        );
      }),
      { numRuns: SLOW ? 2000 : 120 },
    );
  });

  it('invalid command lines get one 5yz reply each and never close the session', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(invalidCommandLineArb(), { minLength: 1, maxLength: 8 }), async (bad) => {
        const text = `EHLO x\r\n${bad.map((b) => b.line).join('')}NOOP\r\n`;
        const replies = await play([Buffer.from(text, 'latin1')], bad.length + 3);
        expect(replies.length).toBe(bad.length + 3);
        bad.forEach((b, i) => expect(b.expected, `${JSON.stringify(b.line)} -> ${replies[i + 2]?.code}`).toContain(replies[i + 2]?.code));
        expect(replies[replies.length - 1]?.code).toBe(250);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

/** Conversation bytes, remembering which conversation they came from. */
const CONVERSATIONS = new WeakMap<Uint8Array, Conversation>();
function conversationBytesWith(c: Conversation): Uint8Array {
  const b = conversationBytes(c);
  CONVERSATIONS.set(b, c);
  return b;
}
