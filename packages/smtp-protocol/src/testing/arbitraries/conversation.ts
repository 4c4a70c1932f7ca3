/**
 * Whole client conversations with the replies an RFC 5321 server that
 * accepts every address must give — a small model of the server state
 * machine (RFC 5321 §4.1.4, §3.3; RFC 3030 §2 for BDAT):
 *
 * ```
 *   ready --MAIL 250--> mail --RCPT 250--> rcpt --DATA 354, content 250--> ready
 *                                              \--BDAT 250--> bdat --BDAT LAST 250--> ready
 *   RSET / EHLO / HELO: any state -> ready (250)
 *   NOOP / HELP / VRFY: no state change, never 503
 *   out of order: 503 (DATA with no recipient: 503 or 554)
 *   unknown verb: 500, DATA/RSET with arguments: 501, unknown parameter: 555
 *   after HELO (plain SMTP): no BDAT is sent; parameters may get 501 or 555
 * ```
 *
 * A conversation always opens with EHLO and ends with QUIT (221). Each step
 * lists the reply codes a conforming server may send; data steps are only
 * generated after a step that must yield 354. {@link Conversation.deliveries}
 * lists the messages a conforming accept-all server ends up with.
 */
import fc from 'fast-check';
import { utf8 } from './chars.js';
import { simpleMailboxArb } from './address.js';
import { dataSectionArb } from './body.js';
import type { ContentArbitraryOptions } from './body.js';
import { concatBytes } from './chunking.js';

/** One client step and the reply codes a conforming accept-all server may give. */
export type ConversationStep =
  | { readonly kind: 'command'; readonly line: string; readonly expect: readonly number[] }
  | { readonly kind: 'data'; readonly content: Uint8Array; readonly wire: Uint8Array; readonly expect: readonly number[] }
  | {
      readonly kind: 'bdat';
      readonly line: string;
      readonly chunk: Uint8Array;
      readonly last: boolean;
      readonly expect: readonly number[];
    };

/** A message an accept-all server must have accepted by the end. */
export interface ExpectedDelivery {
  /** Reverse-path mailbox (without brackets; '' for the null path). */
  readonly from: string;
  /** Forward-path mailboxes, in RCPT order. */
  readonly to: readonly string[];
  /** Message content, unstuffed (DATA) or concatenated chunks (BDAT). */
  readonly content: Uint8Array;
}

/** A generated conversation. */
export interface Conversation {
  /** Client steps in order, starting with EHLO and ending with QUIT. */
  readonly steps: readonly ConversationStep[];
  /** Messages the server must have accepted. */
  readonly deliveries: readonly ExpectedDelivery[];
}

/** Options for {@link conversationArb}. */
export interface ConversationArbitraryOptions {
  /** Maximum number of actions between EHLO and QUIT (default 16). */
  readonly maxActions?: number;
  /** Include wrong commands (unknown verbs, bad syntax, bad sequence). Default true. */
  readonly errors?: boolean;
  /** Include BDAT (server must advertise CHUNKING). Default false. */
  readonly chunking?: boolean;
  /** Content options for DATA bodies. */
  readonly content?: ContentArbitraryOptions;
}

type Action =
  | { readonly a: 'ehlo' | 'helo' | 'rset' | 'noop' | 'help' | 'vrfy' | 'unknown' | 'data-args' | 'rset-args' | 'bad-mail' }
  | { readonly a: 'mail'; readonly from: string }
  | { readonly a: 'mail-unknown-param'; readonly from: string }
  | { readonly a: 'rcpt'; readonly to: string }
  | { readonly a: 'rcpt-unknown-param'; readonly to: string }
  | { readonly a: 'data'; readonly content: Uint8Array; readonly wire: Uint8Array }
  | { readonly a: 'bdat'; readonly chunk: Uint8Array; readonly last: boolean };

function actionArb(opts: ConversationArbitraryOptions): fc.Arbitrary<Action> {
  const errors = opts.errors !== false;
  const from = fc.oneof({ weight: 5, arbitrary: simpleMailboxArb() }, { weight: 1, arbitrary: fc.constant('') });
  const simple = (a: 'ehlo' | 'helo' | 'rset' | 'noop' | 'help' | 'vrfy' | 'unknown' | 'data-args' | 'rset-args' | 'bad-mail') =>
    fc.constant<Action>({ a });
  const list: { weight: number; arbitrary: fc.Arbitrary<Action> }[] = [
    { weight: 5, arbitrary: from.map((f): Action => ({ a: 'mail', from: f })) },
    { weight: 8, arbitrary: simpleMailboxArb().map((t): Action => ({ a: 'rcpt', to: t })) },
    { weight: 4, arbitrary: dataSectionArb({ maxLines: 8, ...opts.content }).map((d): Action => ({ a: 'data', ...d })) },
    { weight: 1, arbitrary: simple('rset') },
    { weight: 1, arbitrary: simple('noop') },
    { weight: 1, arbitrary: simple('ehlo') },
    { weight: 1, arbitrary: simple('helo') },
    { weight: 1, arbitrary: simple('help') },
    { weight: 1, arbitrary: simple('vrfy') },
  ];
  if (errors) {
    list.push(
      { weight: 1, arbitrary: simple('unknown') },
      { weight: 1, arbitrary: simple('data-args') },
      { weight: 1, arbitrary: simple('rset-args') },
      { weight: 1, arbitrary: simple('bad-mail') },
      { weight: 1, arbitrary: from.map((f): Action => ({ a: 'mail-unknown-param', from: f })) },
      { weight: 1, arbitrary: simpleMailboxArb().map((t): Action => ({ a: 'rcpt-unknown-param', to: t })) },
    );
  }
  if (opts.chunking) {
    list.push({
      weight: 3,
      arbitrary: fc
        .tuple(fc.uint8Array({ maxLength: 64 }), fc.boolean())
        .map(([chunk, last]): Action => ({ a: 'bdat', chunk, last })),
    });
  }
  return fc.oneof(...list);
}

/**
 * A conversation (see the module comment for the model). Feed
 * {@link conversationBytes} to a server — in any chunking — and compare its
 * replies, one per step, with each step's `expect`.
 */
export function conversationArb(opts: ConversationArbitraryOptions = {}): fc.Arbitrary<Conversation> {
  return fc
    .tuple(fc.array(actionArb(opts), { maxLength: opts.maxActions ?? 16 }), fc.constantFrom('client.example', '[127.0.0.1]'))
    .map(([actions, helo]) => foldConversation(actions, helo));
}

function foldConversation(actions: readonly Action[], helo: string): Conversation {
  type State = 'ready' | 'mail' | 'rcpt' | 'bdat';
  const steps: ConversationStep[] = [];
  const deliveries: ExpectedDelivery[] = [];
  let state: State = 'ready';
  let from = '';
  let to: string[] = [];
  let chunks: Uint8Array[] = [];
  // After HELO (not EHLO) the session is plain SMTP: no BDAT, no parameters (RFC 5321 §4.1.1.1).
  let esmtp = true;
  const cmd = (line: string, expect: readonly number[]) => steps.push({ kind: 'command', line: `${line}\r\n`, expect });
  const reset = () => {
    state = 'ready';
    from = '';
    to = [];
    chunks = [];
  };
  cmd(`EHLO ${helo}`, [250]);
  for (const act of actions) {
    switch (act.a) {
      case 'ehlo':
        // Between BDAT chunks servers differ (reset or 503); the model does not go there.
        if (state === 'bdat') break;
        cmd(`EHLO ${helo}`, [250]);
        reset();
        esmtp = true;
        break;
      case 'helo':
        if (state === 'bdat') break;
        cmd(`HELO ${helo}`, [250]);
        reset();
        esmtp = false;
        break;
      case 'rset':
        cmd('RSET', [250]);
        reset();
        break;
      case 'noop':
        cmd('NOOP', [250]);
        break;
      case 'help':
        cmd('HELP', [211, 214, 502]);
        break;
      case 'vrfy':
        cmd('VRFY postmaster', [250, 251, 252, 502, 550, 551, 553]);
        break;
      case 'unknown':
        cmd('XNLUNKNOWN arg', [500]);
        break;
      case 'data-args':
        cmd('DATA now', state === 'rcpt' ? [501] : [501, 503]);
        break;
      case 'rset-args':
        cmd('RSET now', [501]);
        break;
      case 'bad-mail':
        cmd('MAIL FROM:<broken@', state === 'ready' ? [501, 553] : [501, 503, 553]);
        break;
      case 'mail':
        if (state === 'ready') {
          cmd(`MAIL FROM:<${act.from}>`, [250]);
          state = 'mail';
          from = act.from;
        } else {
          cmd(`MAIL FROM:<${act.from}>`, [503]);
        }
        break;
      case 'mail-unknown-param':
        cmd(`MAIL FROM:<${act.from}> X-NL-UNKNOWN=1`, state !== 'ready' ? [503, 555] : esmtp ? [555] : [501, 555]);
        break;
      case 'rcpt':
        if ((state === 'mail' || state === 'rcpt') && to.length < 100) {
          cmd(`RCPT TO:<${act.to}>`, [250]);
          state = 'rcpt';
          to.push(act.to);
        } else if (state === 'ready') {
          cmd(`RCPT TO:<${act.to}>`, [503]);
        }
        // In 'bdat' RCPT is out of sequence; the model skips it (RFC 3030 leaves it open).
        break;
      case 'rcpt-unknown-param':
        if (state === 'mail' || state === 'rcpt') cmd(`RCPT TO:<${act.to}> X-NL-UNKNOWN=1`, esmtp ? [555] : [501, 555]);
        else if (state === 'ready') cmd(`RCPT TO:<${act.to}> X-NL-UNKNOWN=1`, [503, 555]);
        break;
      case 'data':
        if (state === 'rcpt') {
          cmd('DATA', [354]);
          steps.push({ kind: 'data', content: act.content, wire: act.wire, expect: [250] });
          deliveries.push({ from, to: [...to], content: act.content });
          reset();
        } else if (state === 'mail') {
          cmd('DATA', [503, 554]);
        } else {
          cmd('DATA', [503]);
        }
        break;
      case 'bdat': {
        // Only offered after EHLO; a client never sends BDAT to a plain-SMTP session.
        if (!esmtp) break;
        const line = `BDAT ${act.chunk.length}${act.last ? ' LAST' : ''}\r\n`;
        if (state === 'rcpt' || state === 'bdat') {
          steps.push({ kind: 'bdat', line, chunk: act.chunk, last: act.last, expect: [250] });
          chunks.push(act.chunk);
          if (act.last) {
            deliveries.push({ from, to: [...to], content: concatBytes(chunks) });
            reset();
          } else {
            state = 'bdat';
          }
        } else {
          // RFC 3030 §2: the chunk is still sent and must be read and discarded.
          steps.push({ kind: 'bdat', line, chunk: act.chunk, last: act.last, expect: state === 'mail' ? [503, 554] : [503] });
        }
        break;
      }
    }
  }
  if (state === 'bdat') {
    steps.push({ kind: 'bdat', line: 'BDAT 0 LAST\r\n', chunk: new Uint8Array(0), last: true, expect: [250] });
    deliveries.push({ from, to: [...to], content: concatBytes(chunks) });
  }
  cmd('QUIT', [221]);
  return { steps, deliveries };
}

/** The bytes one step puts on the wire. */
export function stepBytes(step: ConversationStep): Uint8Array {
  switch (step.kind) {
    case 'command':
      return utf8.encode(step.line);
    case 'data':
      return step.wire;
    case 'bdat':
      return concatBytes([utf8.encode(step.line), step.chunk]);
  }
}

/** Everything the client sends in a conversation, as one buffer. */
export function conversationBytes(c: Conversation): Uint8Array {
  return concatBytes(c.steps.map(stepBytes));
}

/**
 * Split the steps into RFC 2920 §3.1 command groups: EHLO, HELO, DATA,
 * VRFY, EXPN, TURN, QUIT and NOOP may only end a group; a data step is a group
 * of its own (it is only sent after 354); BDAT may be pipelined.
 */
export function pipelineGroups(steps: readonly ConversationStep[]): ConversationStep[][] {
  const groups: ConversationStep[][] = [];
  let cur: ConversationStep[] = [];
  const flush = () => {
    if (cur.length > 0) groups.push(cur);
    cur = [];
  };
  for (const s of steps) {
    if (s.kind === 'data') {
      flush();
      groups.push([s]);
      continue;
    }
    cur.push(s);
    if (s.kind === 'command') {
      const verb = s.line.slice(0, 4).toUpperCase();
      if (['EHLO', 'HELO', 'DATA', 'VRFY', 'EXPN', 'TURN', 'QUIT', 'NOOP', 'HELP'].includes(verb)) flush();
    }
  }
  flush();
  return groups;
}
