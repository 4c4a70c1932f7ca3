/**
 * Errors raised by `@netlayers/skbuff`.
 *
 * Linux answers a geometry violation with `skb_over_panic()` / `skb_under_panic()`
 * (a BUG). We throw an {@link SkbError} with a stable {@link SkbErrorCode} instead,
 * *before* mutating anything: a failed operation leaves the buffer exactly as it was.
 *
 * @module
 */

/**
 * Stable error codes.
 *
 * - `SKB_OVER`       put/reserve past `end` (skb_over_panic)
 * - `SKB_UNDER`      push before `head` (skb_under_panic)
 * - `SKB_PULL`       pull more than the linear data (`headlen`), or more than `len`
 * - `SKB_SHARED`     write into a data area shared with a clone (call `cowHead`/`unshare` first)
 * - `SKB_NONLINEAR`  linear-only operation (`put`) on a buffer with paged data
 * - `SKB_NOT_EMPTY`  `reserve` on a buffer that already holds data
 * - `SKB_FRAGS_FULL` more than {@link MAX_SKB_FRAGS} page fragments
 * - `SKB_FREED`      use after the last `free()`, or a double free
 * - `SKB_QUEUED`     operation needs an skb that is not on an `SkbQueue` (or vice versa)
 * - `SKB_RANGE`      an argument is negative, not an integer, or outside the buffer;
 *                    an allocation size above the pool's `maxAllocSize`
 * - `SKB_NO_DATA`    data operation on a head without data (see `allocSkbHead`)
 * - `SKB_NOMEM`      the pool's `maxLiveBytes` limit would be exceeded, the engine
 *                    cannot allocate a buffer that big, or an injected fault
 *                    (`shouldFail`) refused it (`alloc_skb` → NULL)
 * - `SKB_STALE`      debug mode: an operation through a reference whose head was
 *                    freed and handed out again (see `SkbPoolOptions.debug`)
 * - `PAGE_FREED`     `Page.get()`/`put()` on a page whose refcount already reached zero
 */
export type SkbErrorCode =
  | 'SKB_OVER'
  | 'SKB_UNDER'
  | 'SKB_PULL'
  | 'SKB_SHARED'
  | 'SKB_NONLINEAR'
  | 'SKB_NOT_EMPTY'
  | 'SKB_FRAGS_FULL'
  | 'SKB_FREED'
  | 'SKB_QUEUED'
  | 'SKB_RANGE'
  | 'SKB_NO_DATA'
  | 'SKB_NOMEM'
  | 'SKB_STALE'
  | 'PAGE_FREED';

const SKB_ERROR_BRAND = Symbol.for('@netlayers/skbuff.SkbError');

/**
 * A violated sk_buff contract. `instanceof`-safe across duplicate installs
 * (checked through a global symbol brand).
 */
export class SkbError extends Error {
  /** Stable machine-readable code. */
  readonly code: SkbErrorCode;

  /**
   * @param code - stable code
   * @param message - human readable detail
   */
  constructor(code: SkbErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SkbError';
    this.code = code;
  }

  /** Brand used by `instanceof` across copies of this package. */
  get [SKB_ERROR_BRAND](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [SKB_ERROR_BRAND]?: unknown })[SKB_ERROR_BRAND] === true
    );
  }
}

/** @internal throw helper kept out of line so hot paths stay small. */
export function skbThrow(code: SkbErrorCode, message: string): never {
  throw new SkbError(code, message);
}

/**
 * @internal a fresh zeroed buffer; one the engine refuses (too big, out of memory)
 * is `SKB_NOMEM` (`alloc_skb` / `alloc_page` returning NULL), not a RangeError.
 */
export function skbNewBytes(bytes: number, what: string): Uint8Array {
  try {
    return new Uint8Array(bytes);
  } catch (e) {
    if (e instanceof RangeError) skbThrow('SKB_NOMEM', `cannot allocate a ${bytes}-byte ${what}: ${e.message}`);
    throw e;
  }
}
