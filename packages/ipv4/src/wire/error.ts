/**
 * Typed errors of the IPv4 package.
 *
 * Every parser in `wire/` throws only {@link ParseError}: a view constructor
 * (`XPacket.checked`) when the bytes are too short or internally inconsistent,
 * a `XRepr.parse` when the header is well-formed but semantically invalid (bad
 * checksum, unsupported version, …). The `code` is stable and meant for
 * programs; the message is for humans.
 *
 * @module
 */

/** Stable machine-readable reasons carried by {@link ParseError}. */
export type ParseErrorCode =
  /** Buffer shorter than the header (or than a length field claims). */
  | 'TRUNCATED'
  /** A length/offset field is internally inconsistent (ihl < 5, totLen < ihl·4, …). */
  | 'MALFORMED'
  /** A checksum does not verify. */
  | 'BAD_CHECKSUM'
  /** A version/type/format we do not speak (IP version ≠ 4, ARP for non-Ethernet/IPv4…). */
  | 'UNSUPPORTED';

/** Protocol whose parser raised a {@link ParseError}. */
export type ParseLayer = 'ethernet' | 'arp' | 'ipv4' | 'icmpv4' | 'udp';

/**
 * The only error a wire-format parser throws.
 *
 * @example
 * ```ts
 * try { Ipv4Packet.checked(bytes) } catch (e) { if (e instanceof ParseError) console.log(e.code) }
 * ```
 */
export class ParseError extends Error {
  /** Stable reason code. */
  readonly code: ParseErrorCode;
  /** Which format failed to parse. */
  readonly layer: ParseLayer;

  constructor(layer: ParseLayer, code: ParseErrorCode, message: string) {
    super(`${layer}: ${message}`);
    this.name = 'ParseError';
    this.code = code;
    this.layer = layer;
  }

  /** `instanceof`-safe check across duplicated installs of the package. */
  static is(e: unknown): e is ParseError {
    return e instanceof ParseError || (e instanceof Error && e.name === 'ParseError' && 'layer' in e && 'code' in e);
  }
}
