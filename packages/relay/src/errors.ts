/**
 * Typed errors of the relay, each with a stable `code`.
 * @module
 */

/** Stable error codes of `@netlayers/relay`. */
export type RelayErrorCode =
  | 'ERR_RELAY_CONFIG' // invalid or contradictory options
  | 'ERR_RELAY_STATE' // listen twice, use after close
  | 'ERR_RELAY_NO_ROUTE' // no next hop for a recipient
  | 'ERR_RELAY_CONNECT' // the next hop could not be reached
  | 'ERR_RELAY_MEMORY' // the in-memory queue is full
  | 'ERR_RELAY_TLS'; // outbound TLS required but not offered or failed

/** An error of the relay (configuration, state, delivery). */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
  }
}
