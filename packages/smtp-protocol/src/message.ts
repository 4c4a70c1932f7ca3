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
 * With a {@link BufferOwner} given to `ServerSession.receive`, a yielded view
 * stays valid until the iterator advances (the session then releases its
 * hold): copy what you keep longer, or take the body over in wire form with
 * `takeRaw()`, which passes each segment's hold to you (see `owner.ts`).
 *
 * If the content violates a policy (size 552, bare CR/LF, line length) the
 * iterator throws the {@link SmtpDataError}; if the transaction is aborted
 * (RSET, connection loss, shutdown) it throws an {@link SmtpError}.
 *
 * @module
 */
import { SmtpError } from './errors.js';
import type { EsmtpParams } from './command.js';
import type { BufferOwner, RawSegment } from './owner.js';

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
 * One queued piece of body: the wire octets `raw` (held once through `owner`)
 * and the content views of those octets (`views`, dot-unstuffed for DATA).
 * Invariant: every view lies inside `raw` or is a constant; the queue holds
 * exactly one reference on `owner` per entry.
 */
interface Entry {
  readonly raw: Uint8Array;
  readonly views: Uint8Array | readonly Uint8Array[];
  readonly owner: BufferOwner | undefined;
}

/**
 * A message body being received. Iterate it with `for await` (content views)
 * **or** take it over in wire form with {@link takeRaw} — not both.
 */
export class IncomingMessage implements AsyncIterable<Uint8Array> {
  /** The envelope of the transaction. */
  readonly envelope: Envelope;
  /** How the body is transferred. */
  readonly transfer: 'DATA' | 'BDAT';
  private readonly queue: Entry[] = [];
  private qhead = 0;
  private queued = 0;
  private ended = false;
  private failure: SmtpError | undefined;
  private waiter: (() => void) | undefined;
  /** How the consumer reads the body: not yet chosen, content views, or wire segments. */
  private reading: 'none' | 'content' | 'raw' = 'none';
  /** The entry whose views the content iterator has handed out (released when it advances). */
  private lent: Entry | undefined;
  /** @internal called when the queue drains below the low-water mark. */
  onDrain: (() => void) | undefined;
  /** @internal set when the consumer stopped iterating (further content is dropped). */
  abandoned = false;
  /** Octets of content delivered so far (after unstuffing). */
  received = 0;
  /**
   * Message size in octets as RFC 1870 counts it (DATA: after unstuffing,
   * CRLFs included, the final `.CRLF` excluded; BDAT: the chunk octets), for
   * the content received so far; final once {@link complete}. A trace header
   * prepended by the session is not counted.
   */
  size = 0;
  /**
   * Wire octets of the body queued so far (DATA: stuffed dots and the final
   * `CRLF.CRLF` included; BDAT: the chunk octets; plus a prepended trace
   * header): once {@link complete} without failure, the total length of what
   * {@link takeRaw} yields.
   */
  rawSize = 0;

  /** @internal */
  constructor(envelope: Envelope, transfer: 'DATA' | 'BDAT') {
    this.envelope = envelope;
    this.transfer = transfer;
  }

  /** Bytes waiting to be read by the consumer (wire octets). */
  get bufferedBytes(): number {
    return this.queued;
  }

  /** True once the whole body was delivered, or it failed. */
  get complete(): boolean {
    return this.ended || this.failure !== undefined;
  }

  /** True once the consumer chose {@link takeRaw} (the session may skip content views). */
  get takenRaw(): boolean {
    return this.reading === 'raw';
  }

  /**
   * @internal appends one piece: the wire octets `raw` and their content
   * views. Holds `owner` once when the piece is queued (not when dropped).
   */
  push(raw: Uint8Array, views: Uint8Array | readonly Uint8Array[], owner: BufferOwner | undefined): void {
    if (this.ended || this.failure !== undefined || this.abandoned || raw.length === 0) return;
    owner?.hold();
    this.queue.push({ raw, views, owner });
    this.queued += raw.length;
    this.rawSize += raw.length;
    if (views instanceof Uint8Array) this.received += views.length;
    else for (const v of views) this.received += v.length;
    this.wake();
  }

  /** @internal marks the end of the body. */
  end(): void {
    if (this.failure !== undefined) return;
    this.ended = true;
    this.wake();
  }

  /** @internal fails the body; queued pieces are released (taken ones belong to the taker). */
  fail(err: SmtpError): void {
    if (this.ended || this.failure !== undefined) return;
    this.failure = err;
    this.dropQueue();
    this.wake();
  }

  /**
   * @internal the `onData` hook settled: the session needs nothing of this
   * message any more. Content still queued while it holds buffer owners is
   * released and the body fails with `ERR_SMTP_STATE` (read the body before
   * the hook settles); unowned content stays readable as before.
   */
  settle(): void {
    this.releaseLent();
    if (!this.complete) {
      this.abandoned = true;
      this.dropQueue();
      return;
    }
    let owned = false;
    for (let i = this.qhead; i < this.queue.length; i++) if (this.queue[i]!.owner !== undefined) owned = true;
    if (!owned) return;
    this.ended = false;
    this.fail(new SmtpError('ERR_SMTP_STATE', 'message content not read before onData settled; its buffers were released'));
  }

  private dropQueue(): void {
    for (let i = this.qhead; i < this.queue.length; i++) this.queue[i]!.owner?.release();
    this.queue.length = 0;
    this.qhead = 0;
    this.queued = 0;
  }

  private releaseLent(): void {
    const e = this.lent;
    this.lent = undefined;
    e?.owner?.release();
  }

  private choose(how: 'content' | 'raw'): void {
    if (this.reading === 'raw' || (how === 'raw' && this.reading === 'content')) {
      throw new SmtpError('ERR_SMTP_STATE', how === 'raw' ? 'takeRaw() after the content was iterated or taken' : 'message iterated after takeRaw()');
    }
    this.reading = how;
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
      parts.push(c.slice()); // a view is valid until the iterator advances
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

  /**
   * Takes the body over in wire form, without copying: DATA yields the
   * octets after the 354 up to and including the terminating `CRLF.CRLF`
   * (dot-stuffing intact, ready to be written after another server's 354);
   * BDAT yields each chunk's octets. Each {@link RawSegment}'s owner was held
   * once for it and passes to the caller, who must `release()` it; the
   * session never reads, releases or reuses a yielded segment. A trace header
   * configured on the session comes first, as a segment without owner.
   *
   * Breaking out of the loop early abandons the rest (the session releases
   * what it still queued).
   *
   * @throws SmtpError `ERR_SMTP_STATE` when the message was already iterated
   *   (or `takeRaw()` was called before).
   * @throws SmtpDataError / SmtpError from the iterator, after the segments
   *   already yielded, when the transaction fails (552 size, bare CR/LF, line
   *   length, RSET, connection loss); the caller releases what it took.
   */
  takeRaw(): AsyncIterable<RawSegment> {
    this.choose('raw');
    return { [Symbol.asyncIterator]: () => this.rawSegments() };
  }

  private async *rawSegments(): AsyncGenerator<RawSegment, void, undefined> {
    try {
      for (;;) {
        const e = this.next();
        if (e !== undefined) {
          yield { bytes: e.raw, owner: e.owner }; // ownership passes here
          continue;
        }
        if (await this.idle()) return;
      }
    } finally {
      this.leave();
    }
  }

  /** Iterates the content views (dot-unstuffed for DATA); a view stays valid until the iterator advances. */
  [Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    this.choose('content');
    return this.contentViews();
  }

  private async *contentViews(): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      for (;;) {
        const e = this.next();
        if (e !== undefined) {
          this.lent = e;
          if (e.views instanceof Uint8Array) {
            if (e.views.length > 0) yield e.views;
          } else for (const v of e.views) if (v.length > 0) yield v;
          if (this.lent === e) this.releaseLent();
          continue;
        }
        if (await this.idle()) return;
      }
    } finally {
      this.releaseLent();
      this.leave();
    }
  }

  /** Dequeues the next entry (its hold moves to the caller), or `undefined`. */
  private next(): Entry | undefined {
    if (this.qhead >= this.queue.length) return undefined;
    const e = this.queue[this.qhead]!;
    this.queue[this.qhead++] = EMPTY_ENTRY;
    if (this.qhead === this.queue.length) {
      this.queue.length = 0;
      this.qhead = 0;
    }
    this.queued -= e.raw.length;
    if (this.queued === 0) this.onDrain?.();
    return e;
  }

  /** Nothing queued: throws the failure, returns true at the end, else waits for more. */
  private async idle(): Promise<boolean> {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) return true;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
    return false;
  }

  /** The consumer stopped: when the body is not complete, the rest is dropped. */
  private leave(): void {
    if (!this.ended && this.failure === undefined) {
      this.abandoned = true;
      this.dropQueue();
      this.onDrain?.();
    }
  }
}

const EMPTY_ENTRY: Entry = { raw: new Uint8Array(0), views: new Uint8Array(0), owner: undefined };
