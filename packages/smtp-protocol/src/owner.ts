/**
 * Buffer ownership: how the SMTP sessions keep input memory valid without
 * copying it (zero-copy relaying over skbs or pooled buffers).
 *
 * ## The rule
 *
 * `ServerSession.receive(chunk, owner)` may be given a {@link BufferOwner}
 * for the chunk(s) fed. After `receive()` returns, the session keeps a view
 * of an input buffer **only if it called `owner.hold()` for it**, and it calls
 * `owner.release()` exactly once per hold when it no longer needs the view:
 * the unprocessed input was consumed, the message content was read (or
 * taken over with `IncomingMessage.takeRaw()`), the transaction failed or was
 * reset, or the session closed or was destroyed. The caller may therefore
 * drop its own reference right after `receive()` returns.
 *
 * ```
 *   caller ──receive(views, owner)──▶ session            (caller holds 1)
 *                                      │ keeps unprocessed input  → hold()
 *                                      │ queues body content      → hold() per queued piece
 *   caller ◀─returns─────────────────  │                          (caller may release its 1)
 *                                      ▼
 *   content read / input consumed / failure / close   → release() per hold
 *   takeRaw() yields a segment       → that hold passes to the taker, who releases it
 * ```
 *
 * Without an owner the session keeps plain views, as it always did: the
 * caller must then leave the memory untouched until the session has no more
 * use for it — the message that contains it completed and its `onData` hook
 * settled, or the session closed (node:net allocates fresh buffers per read,
 * so it never has to think about this).
 *
 * @module
 */

/**
 * Keeps an input buffer's memory valid (an skb, a pooled buffer). Reference
 * counted: every `hold()` is matched by exactly one `release()`.
 *
 * @example
 * ```ts
 * class SkbOwner implements BufferOwner {
 *   constructor(private readonly skb: SkBuff) {}
 *   hold() { this.skb.get(); }      // skb_get
 *   release() { this.skb.free(); }  // kfree_skb
 * }
 * ```
 */
export interface BufferOwner {
  /** Takes one more reference: the memory stays valid until the matching {@link release}. */
  hold(): void;
  /** Drops one reference taken with {@link hold}. */
  release(): void;
}

/**
 * One piece of a message body exactly as it came off the wire, yielded by
 * `IncomingMessage.takeRaw()`.
 *
 * Ownership passes to the taker: `owner` was held once for this segment and
 * the session never reads, releases or reuses `bytes` afterwards. The taker
 * calls `owner.release()` once when it is done with `bytes` (when `owner` is
 * `undefined` the bytes are plain memory, e.g. a trace header built by the
 * session, and need no release).
 */
export interface RawSegment {
  /** A view of an input buffer (never a copy). */
  readonly bytes: Uint8Array;
  /** Held once for this segment: the taker must `release()` it. */
  readonly owner: BufferOwner | undefined;
}
