/**
 * The streaming message body handed to `onData` hooks.
 *
 * {@link IncomingMessage} is an `AsyncIterable<Uint8Array>` of body chunks that
 * are **views into the received input** (dot-unstuffed for DATA, exact octets
 * for BDAT) — nothing is copied on the way from the transport to the hook.
 * Because they are views, a consumer that keeps a chunk beyond the iteration
 * step must not assume the transport will not reuse memory it has handed back
 * (node:net never does). The queue is bounded by back-pressure: the session
 * stops reading input while more than `highWaterMark` bytes wait unread.
 *
 * If the content violates a policy (size 552, bare CR/LF, line length) the
 * iterator throws the {@link SmtpDataError}; if the transaction is aborted
 * (RSET, connection loss, shutdown) it throws an {@link SmtpError}.
 *
 * @module
 */
import type { SmtpError } from './errors.js';
import type { EsmtpParams } from './command.js';

/** One accepted recipient. */
export interface Recipient {
  /** Mailbox as given in RCPT TO. */
  readonly address: string;
  /** RCPT parameters (DSN NOTIFY/ORCPT …). */
  readonly params: EsmtpParams;
}

/** The envelope of a mail transaction (RFC 5321 §2.3.1). */
export interface Envelope {
  /** Reverse-path mailbox; `''` for `<>`. */
  readonly from: string;
  /** MAIL parameters, keys upper-case. */
  readonly fromParams: EsmtpParams;
  /** Accepted recipients, in order. */
  readonly to: readonly Recipient[];
  /** BODY type (RFC 6152 / RFC 3030); `7BIT` when not given. */
  readonly body: '7BIT' | '8BITMIME' | 'BINARYMIME';
  /** The transaction requested SMTPUTF8 (RFC 6531). */
  readonly smtputf8: boolean;
  /** SIZE declared in MAIL (RFC 1870), if any. */
  readonly declaredSize: number | undefined;
  /** DSN RET (RFC 3461 §4.3). */
  readonly ret: 'FULL' | 'HDRS' | undefined;
  /** DSN ENVID (RFC 3461 §4.4), still xtext-encoded. */
  readonly envid: string | undefined;
}

/**
 * A message body being received. Iterate it with `for await`.
 */
export class IncomingMessage implements AsyncIterable<Uint8Array> {
  /** The envelope of the transaction. */
  readonly envelope: Envelope;
  /** How the body is transferred. */
  readonly transfer: 'DATA' | 'BDAT';
  private readonly queue: Uint8Array[] = [];
  private qhead = 0;
  private queued = 0;
  private ended = false;
  private failure: SmtpError | undefined;
  private waiter: (() => void) | undefined;
  /** @internal called when the queue drains below the low-water mark. */
  onDrain: (() => void) | undefined;
  /** @internal set when the consumer stopped iterating (further content is dropped). */
  abandoned = false;
  /** Octets of content delivered so far (after unstuffing). */
  received = 0;

  /** @internal */
  constructor(envelope: Envelope, transfer: 'DATA' | 'BDAT') {
    this.envelope = envelope;
    this.transfer = transfer;
  }

  /** Bytes waiting to be read by the consumer. */
  get bufferedBytes(): number {
    return this.queued;
  }

  /** True once the whole body was delivered, or it failed. */
  get complete(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /** @internal appends content chunks (views). */
  push(chunks: readonly Uint8Array[]): void {
    if (this.ended || this.failure !== undefined || this.abandoned) return;
    for (const c of chunks) {
      if (c.length === 0) continue;
      this.queue.push(c);
      this.queued += c.length;
      this.received += c.length;
    }
    this.wake();
  }

  /** @internal marks the end of the body. */
  end(): void {
    if (this.failure !== undefined) return;
    this.ended = true;
    this.wake();
  }

  /** @internal fails the body. */
  fail(err: SmtpError): void {
    if (this.ended || this.failure !== undefined) return;
    this.failure = err;
    this.queue.length = 0;
    this.qhead = 0;
    this.queued = 0;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Reads the whole body into one buffer (convenience; copies). */
  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of this) {
      parts.push(c);
      n += c.length;
    }
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Reads and discards the whole body; resolves with its size. */
  async drain(): Promise<number> {
    let n = 0;
    for await (const c of this) n += c.length;
    return n;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      for (;;) {
        if (this.qhead < this.queue.length) {
          const c = this.queue[this.qhead]!;
          this.queue[this.qhead++] = EMPTY;
          if (this.qhead === this.queue.length) {
            this.queue.length = 0;
            this.qhead = 0;
          }
          this.queued -= c.length;
          if (this.queued === 0) this.onDrain?.();
          yield c;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.waiter = resolve;
        });
      }
    } finally {
      if (!this.ended && this.failure === undefined) {
        this.abandoned = true;
        this.queue.length = 0;
        this.qhead = 0;
        this.queued = 0;
        this.onDrain?.();
      }
    }
  }
}

const EMPTY = new Uint8Array(0);
