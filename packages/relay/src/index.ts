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
