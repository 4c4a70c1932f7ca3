/**
 * One measured run of the load generator: `concurrency` closed-loop senders,
 * each sending one e-mail per SMTP session (connect, EHLO, MAIL, RCPT, DATA,
 * QUIT — the thesis's sender) and waiting until the receiver has that e-mail
 * before sending its next, so every session has exactly one e-mail in flight
 * end to end. A run stops after `count` e-mails (latency) or when its window
 * ends (throughput: e-mails *completely relayed* inside the window), then
 * waits for every e-mail still in flight and checks all of them.
 * @module
 */
import { realClock } from '@netlayers/clock';
import { attachClientSession } from '@netlayers/smtp-protocol';
import { hashOf, type CheckedMessage } from './checker.js';
import { makeBody, makeHeaders } from './body.js';
import { delaySocket } from './delay.js';
import type { LoadSocket, NetLike } from './net-like.js';
import type { Sink } from './sink.js';

/** Distinct bodies per size (message i carries body i mod VARIANTS). */
export const VARIANTS = 4;

/** What to run. */
export interface RunSpec {
  /** E-mail size in octets (header block included). */
  size: number;
  /** `count`: send `count` e-mails; `window`: send until `windowMs` has passed. */
  mode: 'count' | 'window';
  count: number;
  windowMs: number;
  /** Concurrent sessions. */
  concurrency: number;
  /** Where the sender connects (the relay, or the sink itself for the no-relay ceiling). */
  target: { host: string; port: number };
  /** `Received:` fields each e-mail must arrive with (1 through a relay, 0 direct). */
  expectReceived: number;
  /** Emulated one-way delay in the load generator (kernel sweep), 0 for none. */
  delayMs: number;
  /** Unique id of this run (in every Message-ID). */
  runId: string;
  /** Give up waiting for in-flight e-mails after this long. */
  drainTimeoutMs: number;
}

/** What a run measured. */
export interface RunResult {
  spec: RunSpec;
  /** E-mails the senders started. */
  issued: number;
  /** E-mails the receiver got (all of them, after the drain). */
  delivered: number;
  /** Window mode: e-mails completely relayed inside the window. */
  inWindow: number;
  /** Count mode: first connect to last arrival; window mode: the window. */
  elapsedMs: number;
  /** Count mode: arrival times (ms since the start), in order. */
  arrivalsMs: number[];
  /** Every e-mail arrived once, with the sender's header block and body (trace fields excepted). */
  verified: boolean;
  /** The first problems found (at most 10). */
  errors: string[];
}

interface BodySet {
  bodies: Buffer[];
  hashes: string[];
  headLen: number;
}
const bodyCache = new Map<number, BodySet>();

/** The shared bodies of one size (generated once per process). */
export function bodiesFor(size: number): BodySet {
  let b = bodyCache.get(size);
  if (b === undefined) {
    const headLen = makeHeaders(0, 'x').length + 16; // room for longer seq/run ids
    const bodies = Array.from({ length: VARIANTS }, (_, v) => makeBody(Math.max(3, size - headLen), 0x5eed + size * 7 + v));
    b = { bodies, hashes: bodies.map((x) => hashOf(x)), headLen };
    bodyCache.set(size, b);
  }
  return b;
}

function connectSock(net: NetLike, target: { host: string; port: number }): Promise<LoadSocket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(target);
    const onErr = (e: Error): void => reject(e);
    s.once('error', onErr);
    s.once('connect', () => {
      s.removeListener('error', onErr as never);
      s.setNoDelay?.(true);
      resolve(s);
    });
  });
}

/**
 * runLoad - runs `spec` with senders on `net` against the receiver `sink`.
 * The sink's `onMessage` is taken over for the duration of the run.
 */
export async function runLoad(net: NetLike, sink: Sink, spec: RunSpec): Promise<RunResult> {
  const set = bodiesFor(spec.size);
  const errors: string[] = [];
  const fail = (m: string): void => {
    if (errors.length < 10) errors.push(m);
  };
  const expectedHead = new Map<number, string>();
  const waiters = new Map<number, () => void>();
  const seen = new Set<number>();
  const arrivals: number[] = [];
  let delivered = 0;
  let inWindow = 0;
  let t0 = 0;
  let windowEnd = Number.POSITIVE_INFINITY;
  sink.delayMs = spec.delayMs;
  sink.onMessage = (m: CheckedMessage, at: number) => {
    delivered++;
    if (at <= windowEnd) inWindow++;
    arrivals.push(at - t0);
    if (m.seq < 0) return fail('a message without X-Bench-Seq or with a malformed head');
    if (seen.has(m.seq)) return fail(`message ${m.seq} arrived twice`);
    seen.add(m.seq);
    if (m.received !== spec.expectReceived) fail(`message ${m.seq}: ${m.received} Received: fields, expected ${spec.expectReceived}`);
    const head = expectedHead.get(m.seq);
    if (head === undefined) fail(`message ${m.seq} was never sent`);
    else if (head !== m.headHash) fail(`message ${m.seq}: header block differs`);
    if (m.bodyHash !== set.hashes[m.seq % VARIANTS]) fail(`message ${m.seq}: body differs (${m.octets} octets)`);
    const w = waiters.get(m.seq);
    if (w !== undefined) {
      waiters.delete(m.seq);
      w();
    }
  };

  let next = 0;
  const take = (): number => {
    if (spec.mode === 'count') return next < spec.count ? next++ : -1;
    return performance.now() < windowEnd ? next++ : -1;
  };
  const sendOne = async (seq: number): Promise<void> => {
    const headers = makeHeaders(seq, spec.runId);
    expectedHead.set(seq, hashOf(headers));
    const arrived = new Promise<void>((r) => waiters.set(seq, r));
    const raw = await connectSock(net, spec.target);
    const s = spec.delayMs > 0 ? delaySocket(raw, spec.delayMs) : raw;
    const session = attachClientSession(s, { timers: realClock, clientName: 'load.bench', preferChunking: false });
    try {
      await session.greet();
      await session.send({ from: 'sender@load.bench', to: ['rcpt@sink.bench'] }, [headers, set.bodies[seq % VARIANTS] as Buffer]);
      await session.quit();
    } catch (e) {
      waiters.delete(seq);
      raw.destroy();
      throw e;
    }
    await arrived;
  };
  const loop = async (): Promise<void> => {
    for (let seq = take(); seq >= 0; seq = take()) {
      try {
        await sendOne(seq);
      } catch (e) {
        fail(`message ${seq}: ${(e as Error).message}`);
        return;
      }
    }
  };

  t0 = performance.now();
  if (spec.mode === 'window') windowEnd = t0 + spec.windowMs;
  const loops = Array.from({ length: spec.concurrency }, () => loop());
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), (spec.mode === 'window' ? spec.windowMs : 0) + spec.drainTimeoutMs);
  });
  const outcome = await Promise.race([Promise.all(loops).then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  const tEnd = performance.now();
  if (outcome === 'timeout') fail(`timed out with ${waiters.size} e-mails in flight (${delivered} of ${next} delivered)`);
  sink.onMessage = () => fail('a message arrived after the run ended');
  const issued = next;
  if (outcome === 'done' && delivered !== issued && errors.length === 0) fail(`${issued} sent, ${delivered} received`);
  return {
    spec,
    issued,
    delivered,
    inWindow: spec.mode === 'window' ? inWindow : delivered,
    elapsedMs: spec.mode === 'count' ? (arrivals.length > 0 ? Math.max(...arrivals) : tEnd - t0) : spec.windowMs,
    arrivalsMs: spec.mode === 'count' ? arrivals.sort((a, b) => a - b) : [],
    verified: errors.length === 0 && delivered === issued && issued > 0,
    errors,
  };
}
