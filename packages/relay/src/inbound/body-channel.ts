/**
 * `BodyChannel`: a bounded hand-off of message content from the inbound
 * session to an outbound delivery running at the same time (before-queue
 * proxying). The producer `push`es chunks and waits while more than
 * `maxBytes` are buffered, so a slow next hop slows the sender down through
 * the inbound connection instead of filling memory; the consumer iterates.
 * `fail(err)` makes the consumer's iteration throw (the outbound side then
 * abandons its DATA without the terminating dot); a consumer that stops early
 * (`return()`, e.g. the next hop refused) closes it and later pushes are
 * dropped at once.
 * @module
 */
export class BodyChannel implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;
  private closed = false;
  private error: unknown = undefined;
  private failed = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  /** Octets pushed so far. */
  pushed = 0;

  /** Octets queued and not yet taken by the consumer. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** @param maxBytes octets buffered before `push` waits (at least one chunk is always accepted) */
  constructor(readonly maxBytes: number) {}

  /** Queues `chunk`; resolves once the buffer is below `maxBytes` again (or the consumer is gone). */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.closed || this.ended || this.failed) return;
    this.queue.push(chunk);
    this.buffered += chunk.length;
    this.pushed += chunk.length;
    this.wake();
    while (this.buffered > this.maxBytes && !this.closed) {
      await new Promise<void>((r) => (this.wakeProducer = r));
    }
  }

  /** No more content: the consumer's iteration ends after the queued chunks. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /** The content failed (size limit, lost connection): the consumer's iteration throws `err`. */
  fail(err: unknown): void {
    if (this.ended || this.failed) return;
    this.failed = true;
    this.error = err;
    this.queue.length = 0;
    this.buffered = 0;
    this.wake();
    this.wakeProducer?.();
  }

  /** The consumer is gone: drop what is queued and every later push. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.buffered = 0;
    this.wakeProducer?.();
    this.wakeProducer = undefined;
  }

  private wake(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        if (this.failed) throw this.error;
        const c = this.queue.shift();
        if (c !== undefined) {
          this.buffered -= c.length;
          if (this.buffered <= this.maxBytes) {
            const w = this.wakeProducer;
            this.wakeProducer = undefined;
            w?.();
          }
          yield c;
          continue;
        }
        if (this.ended || this.closed) return;
        await new Promise<void>((r) => (this.wakeConsumer = r));
      }
    } finally {
      if (!this.ended || this.queue.length > 0) this.close();
    }
  }
}
