/**
 * `accept: 'memory'`: messages live in this process's memory only. This is
 * the thesis's behaviour and exists for benchmarks — **a crash or restart
 * loses every queued message**, so a 250 from a relay on this store is not
 * the RFC 5321 §6.1 promise.
 *
 * Bound: `maxBytes` (default 256 MiB) counts the content of committed
 * messages and of messages being received; a write beyond it fails with
 * `QUEUE_FULL` (the relay answers 452 4.3.1).
 * @module
 */
import { createQueueIdGenerator, type QueueIdGenerator } from './queue-id.js';
import {
  type CommitMeta,
  type MessageStore,
  QueueError,
  type QueuedMessage,
  type StoreWriter,
} from './types.js';

/** Default {@link MemoryStoreOptions.maxBytes}: 256 MiB. */
export const MEMORY_STORE_DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export interface MemoryStoreOptions {
  /** Bound on stored content octets (committed + being received). Default 256 MiB. */
  maxBytes?: number;
  /** Wall clock for queue ids (default `Date.now`). */
  wallClock?: () => number;
}

interface Stored {
  msg: QueuedMessage;
  chunks: Uint8Array[];
  bytes: number;
}

/** A {@link MessageStore} in memory (volatile; see the module doc). */
export class MemoryStore implements MessageStore {
  readonly kind = 'memory' as const;
  /** Bound on content octets. */
  readonly maxBytes: number;
  private readonly messages = new Map<string, Stored>();
  private readonly nextId: QueueIdGenerator;
  private used = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    this.maxBytes = opts.maxBytes ?? MEMORY_STORE_DEFAULT_MAX_BYTES;
    this.nextId = createQueueIdGenerator(opts.wallClock);
  }

  /** Content octets held now (committed and in progress). */
  get bytesUsed(): number {
    return this.used;
  }

  /** Number of committed messages held. */
  get size(): number {
    return this.messages.size;
  }

  begin(): StoreWriter {
    return new MemoryWriter(this, this.nextId());
  }

  /** Returns the messages committed to this instance (a new instance has none). */
  async recover(): Promise<QueuedMessage[]> {
    return [...this.messages.values()].map((s) => structuredClone(s.msg)).sort((a, b) => cmp(a.id, b.id));
  }

  async *readBody(msg: QueuedMessage): AsyncIterable<Uint8Array> {
    const s = this.messages.get(msg.id);
    if (s === undefined) throw new QueueError('NOT_FOUND', `queue id ${msg.id} is not in the memory store`);
    for (const c of s.chunks) yield c.slice();
  }

  async update(msg: QueuedMessage): Promise<void> {
    const s = this.messages.get(msg.id);
    if (s === undefined) throw new QueueError('NOT_FOUND', `queue id ${msg.id} is not in the memory store`);
    s.msg = structuredClone(msg);
  }

  async remove(msg: QueuedMessage): Promise<void> {
    const s = this.messages.get(msg.id);
    if (s === undefined) return;
    this.messages.delete(msg.id);
    this.used -= s.bytes;
  }

  /** @internal reserves `n` octets or throws QUEUE_FULL. */
  _reserve(n: number): void {
    if (this.used + n > this.maxBytes) {
      throw new QueueError('QUEUE_FULL', `memory queue full (${this.used} + ${n} > ${this.maxBytes} octets)`);
    }
    this.used += n;
  }

  /** @internal */
  _release(n: number): void {
    this.used -= n;
  }

  /** @internal */
  _store(msg: QueuedMessage, chunks: Uint8Array[], bytes: number): void {
    this.messages.set(msg.id, { msg: structuredClone(msg), chunks, bytes });
  }
}

class MemoryWriter implements StoreWriter {
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private done = false;

  constructor(
    private readonly store: MemoryStore,
    readonly id: string,
  ) {}

  write(chunk: Uint8Array): void {
    if (this.done) throw new QueueError('STATE', `writer ${this.id} already finished`);
    if (chunk.length === 0) return;
    this.store._reserve(chunk.length);
    this.bytes += chunk.length;
    this.chunks.push(chunk.slice());
  }

  async commit(meta: CommitMeta): Promise<QueuedMessage> {
    if (this.done) throw new QueueError('STATE', `writer ${this.id} already finished`);
    this.done = true;
    const msg: QueuedMessage = { ...structuredClone(meta), id: this.id, attempts: 0, nextAttempt: 0 };
    this.store._store(msg, this.chunks, this.bytes);
    this.chunks = [];
    return msg;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.store._release(this.bytes);
    this.chunks = [];
    this.bytes = 0;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
