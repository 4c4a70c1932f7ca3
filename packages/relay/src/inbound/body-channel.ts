/**
 * `BoundedChannel`: a bounded hand-off of message content from the inbound
 * session to an outbound delivery running at the same time (before-queue
 * proxying): byte chunks (`BodyChannel`) or batches of skbs. The producer
 * `push`es items and waits while more than `maxBytes` (as `sizeOf` counts) are
 * buffered, so a slow next hop slows the sender down through the inbound
 * connection instead of filling memory; the consumer iterates. `fail(err)`
 * makes the consumer's iteration throw (the outbound side then abandons its
 * DATA without the terminating dot); a consumer that stops early (`return()`,
 * e.g. the next hop refused) closes it and later pushes are dropped at once.
 * Dropped items go to `dispose` (skbs are freed).
 * @module
 */
export class BoundedChannel<T> implements AsyncIterable<T> {
  private readonly queue: T[] = [];
  private readonly sizes: number[] = [];
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

  /**
   * @param maxBytes octets buffered before `push` waits (at least one item is always accepted)
   * @param sizeOf the octets an item counts for
   * @param dispose called for every item dropped unread (close, fail, pushes after them)
   */
  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (item: T) => number,
    private readonly dispose: (item: T) => void = () => undefined,
  ) {}

  /** Queues `item`; resolves once the buffer is below `maxBytes` again (or the consumer is gone). */
  async push(item: T): Promise<void> {
    if (this.closed || this.ended || this.failed) {
      this.dispose(item);
      return;
    }
    const n = this.sizeOf(item);
    this.queue.push(item);
    this.sizes.push(n);
    this.buffered += n;
    this.pushed += n;
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
    this.drop();
    this.wake();
    this.wakeProducer?.();
  }

  /** The consumer is gone: drop what is queued and every later push. */
  close(): void {
    this.closed = true;
    this.drop();
    this.wakeProducer?.();
    this.wakeProducer = undefined;
  }

  private drop(): void {
    for (const item of this.queue.splice(0)) this.dispose(item);
    this.sizes.length = 0;
    this.buffered = 0;
  }

  private wake(): void {
    const w = this.wakeConsumer;
    this.wakeConsumer = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    try {
      for (;;) {
        if (this.failed) throw this.error;
        if (this.queue.length > 0) {
          const c = this.queue.shift() as T;
          this.buffered -= this.sizes.shift() as number;
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

/** A channel of byte chunks (the copy-forwarding proxy). */
export class BodyChannel extends BoundedChannel<Uint8Array> {
  constructor(maxBytes: number) {
    super(maxBytes, (c) => c.length);
  }
}
