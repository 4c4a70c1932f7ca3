/**
 * Typed errors of `@netlayers/netdev-tap`. Setup failures (no addon, no
 * `/dev/net/tun`, no permission) are thrown as {@link TapError} with a stable
 * `code`; data-path conditions (a full kernel queue, a frame too big) are never
 * thrown — they are counted in the device's statistics.
 *
 * @module
 */

/** Stable codes of {@link TapError}. */
export type TapErrorCode =
  /** The native addon is missing (not built: no compiler, not Linux, build failed). */
  | 'ERR_TAP_UNAVAILABLE'
  /** Opening or configuring the TAP device failed (`errno` tells why: EPERM, ENOENT…). */
  | 'ERR_TAP_OPEN'
  /** A read or write on the TAP fd failed with an unexpected errno. */
  | 'ERR_TAP_IO'
  /** The device was used after `destroy()`. */
  | 'ERR_TAP_CLOSED'
  /** A bad option value. */
  | 'ERR_BAD_ARGUMENT';

/** The error class of this package. */
export class TapError extends Error {
  override readonly name = 'TapError';
  /** Brand used by {@link isTapError}. */
  readonly isTapError = true as const;
  /**
   * @param code stable machine-readable code
   * @param message human-readable explanation (what to do about it)
   * @param errno the system error name when one caused it (`EPERM`, `ENOENT`…)
   */
  constructor(
    readonly code: TapErrorCode,
    message: string,
    readonly errno?: string,
  ) {
    super(message);
  }
}

/** True if `e` is a {@link TapError} (also across duplicated installs). */
export function isTapError(e: unknown): e is TapError {
  return typeof e === 'object' && e !== null && (e as { isTapError?: unknown }).isTapError === true;
}
