/**
 * `@netlayers/relay` — an SMTP relay that accepts mail completely and forwards
 * it to a next hop (thesis §3.2/§4.1), on Node's `net` or on the netlayers
 * stack, with copy and zero-copy forwarding and a durable spool.
 *
 * @module
 */
export type {
  RelayOptions,
  RelayStats,
  RelayLogger,
  HostPort,
  AcceptPolicy,
  ForwardMode,
  TransportKind,
  OutboundTls,
} from './options.js';
export { createRelay, type Relay } from './relay.js';
export { RelayError, type RelayErrorCode } from './errors.js';
export { RelayPolicy, DEFAULT_MYNETWORKS } from './policy.js';
export { Router } from './routes.js';
export { parseHostPort, parseCidr, cidrContains, type Endpoint } from './addr.js';
export { HopCounter, formatReceived, type ReceivedInfo } from './trace.js';
export { skbSlice, type SliceOptions } from './zerocopy/slice.js';
export { SkbConn, type SkbConnOptions } from './zerocopy/skb-conn.js';
