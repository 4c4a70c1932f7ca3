/**
 * The relay's queue contract: what a queued message is, what a message store
 * must do (durably or not), and the typed error every store throws.
 *
 * Two stores implement {@link MessageStore}: `SpoolStore` (the default; a
 * message is on disk — file fsynced, renamed, directory fsynced — before the
 * relay answers 250, RFC 5321 §6.1) and `MemoryStore` (the thesis's behaviour,
 * for benchmarks: a crash loses every queued message).
 * @module
 */

/** One forward-path of a queued message and how far its delivery got. */
export interface QueuedRecipient {
  /** Forward-path mailbox (no angle brackets). */
  address: string;
  /** RFC 3461 ORCPT value as received (`addr-type;xtext`), carried into DSNs. */
  orcpt?: string;
  /** RFC 3461 NOTIFY keywords (`NEVER`, or any of `SUCCESS`, `FAILURE`, `DELAY`). */
  notify?: string[];
  /** `pending` until the next hop accepted (`sent`) or refused (`failed`) it. */
  status: 'pending' | 'sent' | 'failed';
  /** Last reply from the next hop, e.g. `"550 5.1.1 no such user"`. */
  reply?: string;
}

/** A message accepted by the relay, with its envelope and retry state. */
export interface QueuedMessage {
  /** Queue id: uppercase hex, unique, sortable by arrival time. */
  id: string;
  /** Reverse-path (`''` is the null sender `<>`). */
  from: string;
  recipients: QueuedRecipient[];
  /** Content octets (unstuffed, `Received:` included). */
  size: number;
  /** Wall-clock arrival time in ms since the epoch. */
  arrival: number;
  /** Delivery attempts made so far. */
  attempts: number;
  /** Monotonic time (`TimerService.now()`) of the next attempt; meaningful within one process only. */
  nextAttempt: number;
  /**
   * Wall-clock time of the next attempt. Persisted so that a restarted
   * process (whose monotonic clock has another origin) keeps the schedule.
   */
  nextAttemptWall?: number;
  /** RFC 3461 ENVID. */
  envid?: string;
  /** RFC 3461 RET: return the full message or only its headers in a DSN. */
  ret?: 'FULL' | 'HDRS';
  /** `name[addr]` of the sending client, for logs and DSNs. */
  client?: string;
  /** True for a DSN the relay generated: it is never bounced again. */
  isBounce?: boolean;
}

/** Fields a writer's `commit` takes: everything but what the store assigns. */
export type CommitMeta = Omit<QueuedMessage, 'id' | 'attempts' | 'nextAttempt'>;

/** Where queued messages live. */
export interface MessageStore {
  /** Starts receiving a new message (nothing is visible until `commit`). */
  begin(): StoreWriter;
  /** Committed messages (after a restart); removes incomplete ones. */
  recover(): Promise<QueuedMessage[]>;
  /** The content: unstuffed RFC 5322 octets, `Received:` header included. Chunks are not reused. */
  readBody(msg: QueuedMessage): AsyncIterable<Uint8Array>;
  /** Persists attempts / nextAttempt / recipient status, atomically. */
  update(msg: QueuedMessage): Promise<void>;
  /** Deletes the message (after its last recipient is done). */
  remove(msg: QueuedMessage): Promise<void>;
  readonly kind: 'spool' | 'memory';
}

/** A message being received. Exactly one of `commit` / `abort` ends it. */
export interface StoreWriter {
  readonly id: string;
  /**
   * Appends content octets (unstuffed). The chunk is copied before this
   * returns, so the caller may reuse it. When a promise is returned, await it
   * before the next write (backpressure); a failure rejects it and is reported
   * again by `commit`.
   * @throws QueueError `ENOSPC`, `EIO`, `QUEUE_FULL`, `STATE`
   */
  write(chunk: Uint8Array): void | Promise<void>;
  /**
   * Makes the message durable (spool: fsync the body, write and fsync the
   * metadata, rename both into the queue, fsync the directory) and returns it.
   * Only after this resolves may the relay answer 250. On failure nothing is
   * left behind.
   * @throws QueueError `ENOSPC`, `EIO`, `QUEUE_FULL`, `STATE`
   */
  commit(meta: CommitMeta): Promise<QueuedMessage>;
  /** Discards the message (client gone mid-DATA, policy reject): nothing is left behind. Idempotent. */
  abort(): Promise<void>;
}

/** Stable codes of {@link QueueError}. */
export type QueueErrorCode =
  | 'ENOSPC' // the file system (or quota) is full → 452 4.3.1
  | 'EIO' // any other storage failure → 451 4.3.0
  | 'QUEUE_FULL' // the memory store's byte bound is reached → 452 4.3.1
  | 'CORRUPT' // a stored message cannot be read back
  | 'NOT_FOUND' // the message is not (or no longer) in the store
  | 'STATE'; // a writer used after commit/abort

/** A typed error of a message store. The relay maps `ENOSPC`/`QUEUE_FULL` to 452 4.3.1, the rest to 451 4.3.0. */
export class QueueError extends Error {
  override readonly name = 'QueueError';
  constructor(
    readonly code: QueueErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `err` means "no space": a transient refusal (452) rather than a local error (451). */
export function isNoSpace(err: unknown): boolean {
  return err instanceof QueueError && (err.code === 'ENOSPC' || err.code === 'QUEUE_FULL');
}
