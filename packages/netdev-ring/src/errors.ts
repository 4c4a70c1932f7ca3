/**
 * Typed errors of the device layer.
 *
 * Every failure the device layer reports carries a stable `code` string, so
 * callers can branch on it without parsing messages. Errors are only thrown
 * for *programming* mistakes (a ring built with a bad capacity, a frame larger
 * than a ring can ever hold, a malformed packet handed to the GSO helper).
 * Data-path conditions that happen at run time — a full ring, a device that is
 * down, a frame larger than the MTU, a queue overflow — are never thrown: they
 * are returned as a status and counted in the device's statistics, the way
 * Linux counts them in `struct rtnl_link_stats64`.
 *
 * @module
 */

/** Stable codes for {@link NetdevError}. */
export type NetdevErrorCode =
  | 'ERR_RING_CAPACITY'
  | 'ERR_RING_FRAME_TOO_LARGE'
  | 'ERR_RING_LAYOUT'
  | 'ERR_BAD_ARGUMENT'
  | 'ERR_DEVICE_STATE'
  | 'ERR_GSO_BAD_PACKET'
  | 'ERR_PCAP_FORMAT'
  | 'ERR_PCAP_CLOSED';

/**
 * The device layer's error class. `instanceof`-safe within one install; use
 * {@link isNetdevError} to test across duplicated installs.
 */
export class NetdevError extends Error {
  override readonly name = 'NetdevError';
  /** Brand used by {@link isNetdevError}. */
  readonly isNetdevError = true as const;
  /**
   * @param code a stable machine-readable code
   * @param message a human-readable explanation
   */
  constructor(
    readonly code: NetdevErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True if `e` is a {@link NetdevError} (also across duplicated package copies). */
export function isNetdevError(e: unknown): e is NetdevError {
  return typeof e === 'object' && e !== null && (e as { isNetdevError?: unknown }).isNetdevError === true;
}
