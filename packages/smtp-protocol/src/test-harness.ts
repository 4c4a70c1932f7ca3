/**
 * Test harness for this package's own unit tests (not exported): runs a
 * ServerSession or ClientSession on a VirtualClock with an in-memory
 * transport that records every write.
 *
 * @internal
 * @module
 */
import { VirtualClock } from '@netlayers/clock';
import { ServerSession, type ServerSessionOptions } from './server-session.js';
import { ClientSession, type ClientSessionOptions } from './client-session.js';
import { ReplyParser, type SmtpReply } from './reply.js';

const te = new TextEncoder();
const td = new TextDecoder();

/** Encodes a string as bytes. */
export function b(s: string): Uint8Array {
  return te.encode(s);
}
/** Decodes bytes as UTF-8. */
export function s(u: Uint8Array): string {
  return td.decode(u);
}

/** A server session wired to a recording transport. */
export class ServerHarness {
  readonly clock: VirtualClock;
  readonly session: ServerSession;
  /** Every write, as bytes. */
  readonly writes: Uint8Array[] = [];
  closed = 0;
  paused = 0;
  resumed = 0;
  private readonly parser = new ReplyParser();
  private readonly replies: SmtpReply[] = [];
  private taken = 0;

  constructor(opts: Partial<ServerSessionOptions> = {}, start = true) {
    this.clock = new VirtualClock();
    this.session = new ServerSession({
      hostname: 'mx.test',
      timers: this.clock,
      ...opts,
      transport: {
        write: (d) => {
          this.writes.push(d);
          this.replies.push(...this.parser.push(d));
        },
        close: () => {
          this.closed++;
        },
        pause: () => {
          this.paused++;
        },
        resume: () => {
          this.resumed++;
        },
        ...(opts.transport?.startTls !== undefined ? { startTls: opts.transport.startTls } : {}),
      },
    });
    if (start) this.session.start();
  }

  /** Feeds input (strings are UTF-8 encoded). */
  send(...chunks: Array<string | Uint8Array>): this {
    for (const c of chunks) this.session.receive(typeof c === 'string' ? b(c) : c);
    return this;
  }

  /** All replies so far. */
  all(): SmtpReply[] {
    return this.replies.slice();
  }

  /** Replies since the previous take(). */
  take(): SmtpReply[] {
    const r = this.replies.slice(this.taken);
    this.taken = this.replies.length;
    return r;
  }

  /** Codes of replies since the previous take(). */
  codes(): number[] {
    return this.take().map((r) => r.code);
  }

  /** Everything written, as text. */
  text(): string {
    return this.writes.map(s).join('');
  }

  /** Skips the greeting and EHLO. */
  ehlo(name = 'client.test'): this {
    this.send(`EHLO ${name}\r\n`);
    this.take();
    return this;
  }
}

/** A client session wired to a recording transport, with a scripted server. */
export class ClientHarness {
  readonly clock: VirtualClock;
  readonly session: ClientSession;
  readonly writes: Uint8Array[] = [];
  closed = 0;

  constructor(opts: Partial<ClientSessionOptions> = {}) {
    this.clock = new VirtualClock();
    this.session = new ClientSession({
      timers: this.clock,
      clientName: 'client.test',
      ...opts,
      transport: {
        write: (d) => {
          this.writes.push(d.slice());
        },
        close: () => {
          this.closed++;
        },
      },
    });
  }

  /** Server bytes to the client. */
  reply(text: string): void {
    this.session.receive(b(text));
  }

  /** Everything the client wrote, as text. */
  text(): string {
    return this.writes.map(s).join('');
  }

  /** Text written since the last call to fresh(). */
  fresh(): string {
    const t = this.writes.slice(this.mark).map(s).join('');
    this.mark = this.writes.length;
    return t;
  }
  private mark = 0;
}

/** Lets pending promise callbacks run. */
export async function tick(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}

/** Standard EHLO reply of a test server. */
export const EHLO_REPLY =
  '250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 DSN\r\n';
