/**
 * Relay options: one object shared by `createRelay` and the `netlayers-relay`
 * CLI, with Postfix-like documented defaults.
 *
 * | option | default | Postfix counterpart |
 * |---|---|---|
 * | `listen` | `127.0.0.1:2525` | `master.cf` smtpd service |
 * | `transport` | `'kernel'` | — |
 * | `forward` | `'copy'` | — |
 * | `accept` | `'spool'` | (Postfix always queues) |
 * | `maxSize` | 10 240 000 octets | `message_size_limit` |
 * | `mynetworks` | `127.0.0.0/8`, `::1/128` | `mynetworks` (style `host`) |
 * | `relayDomains` | none | `relay_domains` |
 * | `maxConnections` | 100 | `default_process_limit` |
 * | `maxConnectionsPerClient` | 50 | `smtpd_client_connection_count_limit` |
 * | `destinationConcurrency` | 20 | `default_destination_concurrency_limit` |
 * | `minBackoffMs` / `maxBackoffMs` | 300 s / 4000 s | `minimal_backoff_time` / `maximal_backoff_time` |
 * | `queueLifetimeMs` | 5 days | `maximal_queue_lifetime` |
 * | `hopCountLimit` | 50 | `hopcount_limit` |
 * | `headerSizeLimit` | 102 400 octets | `header_size_limit` |
 * | `proxyBufferBytes` | 256 KiB | (`smtpd_proxy_filter` streams through a pipe) |
 *
 * @module
 */
import type { TimerService } from '@netlayers/clock';
import type { TcpStack } from '@netlayers/tcp';
import type { SkbCopyKinds } from '@netlayers/skbuff';

/** `host:port`, or its parts. */
export type HostPort = string | { host: string; port: number };

/** Where accepted mail lives until the next hop has it. */
export type AcceptPolicy = 'spool' | 'proxy' | 'memory';

/** How the body crosses from the inbound to the outbound connection. */
export type ForwardMode = 'copy' | 'zerocopy';

/** Which sockets the relay runs on. */
export type TransportKind = 'kernel' | 'netlayers';

/** STARTTLS towards the next hop. */
export type OutboundTls = 'off' | 'opportunistic' | 'require';

/** A pino-compatible structured logger (only these methods are used). */
export interface RelayLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface RelayOptions {
  /** Address to listen on (`HOST:PORT`, port 0 picks one). Default `127.0.0.1:2525`. */
  listen?: HostPort;
  /** The smarthost every message goes to unless `routes` names its domain. */
  nextHop: HostPort;
  /** Per-domain next hops: `{ 'example.org': '198.18.0.9:25' }` (exact domain, then parent domains). */
  routes?: Record<string, HostPort>;
  /** `kernel` (Node's `net`) or `netlayers` (our stack, in this process: pass `stack`). Default `kernel`. */
  transport?: TransportKind;
  /** The TCP stack for `transport: 'netlayers'` (listens and connects on it). */
  stack?: TcpStack;
  /** `copy` or `zerocopy` (`zerocopy` needs `transport: 'netlayers'`). Default `copy`. */
  forward?: ForwardMode;
  /** Acceptance policy. Default `spool`. `memory` loses mail on a crash (the thesis's behaviour, for benchmarks). */
  accept?: AcceptPolicy;
  /** Spool directory for `accept: 'spool'` (required then). */
  spool?: string;
  /** Largest message accepted, in octets (RFC 1870 SIZE, enforced while streaming). Default 10 240 000. */
  maxSize?: number;
  /** Domains the relay accepts mail for from any client. Default none. */
  relayDomains?: readonly string[];
  /** Client networks (CIDRs) allowed to relay anywhere. Default `127.0.0.0/8`, `::1/128`. */
  mynetworks?: readonly string[];
  /** The relay's own name (greeting, EHLO, `Received:`). Default `os.hostname()`. */
  hostname?: string;
  /** STARTTLS inbound: PEM key and certificate (contents, not paths). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** STARTTLS outbound. Default `opportunistic`. */
  outboundTls?: OutboundTls;
  /** Trust for outbound TLS (CA PEMs); `rejectUnauthorized` default false for opportunistic. */
  outboundTlsOptions?: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean };
  /** Concurrent inbound connections in total. Default 100. */
  maxConnections?: number;
  /** Concurrent inbound connections per client address. Default 50. */
  maxConnectionsPerClient?: number;
  /** Concurrent outbound connections per next hop. Default 20. */
  destinationConcurrency?: number;
  /** Retry backoff bounds in ms. Defaults 300 000 and 4 000 000. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a message may wait before it bounces, in ms. Default 5 days. */
  queueLifetimeMs?: number;
  /** More `Received:` headers than this → 554 5.4.6 (mail loop). Default 50. */
  hopCountLimit?: number;
  /** Octets of the header section searched for `Received:` fields; a streaming proxy waits for at most this much before it starts forwarding. Default 102 400. */
  headerSizeLimit?: number;
  /** `accept: 'proxy'` with copy forwarding: content octets buffered between the sender and the next hop before the sender is slowed down. Default 256 KiB. */
  proxyBufferBytes?: number;
  /** Outbound connection/command timeouts in ms (RFC 5321 §4.5.3.2 defaults). */
  connectTimeoutMs?: number;
  /** Idle outbound connections are kept this long for reuse. Default 2000 ms. */
  connectionReuseMs?: number;
  /** Structured logger. Default: a pino logger to stdout at `info`. Pass `false` for none. */
  logger?: RelayLogger | false;
  /** Timer service (virtual in tests). Default the real clock. */
  timers?: TimerService;
  /** Memory bound on message bodies held in memory (`accept: 'memory'`, zero-copy bodies awaiting delivery); beyond it new mail gets 452 4.3.1. Default 512 MiB. */
  maxHeldBytes?: number;
  /** fsync spool files and directories (default true; false only for benchmarks on tmpfs). */
  fsync?: boolean;
}

/** Counters returned by `relay.stats()`. */
export interface RelayStats {
  /** Inbound connections currently open. */
  connections: number;
  /** Messages accepted (250 sent). */
  received: number;
  /** Messages refused (5xx/4xx to the sender at DATA time, size, policy). */
  rejected: number;
  /** Messages whose every recipient was delivered to the next hop. */
  delivered: number;
  /** Delivery attempts that ended in a temporary failure. */
  deferred: number;
  /** DSNs generated. */
  bounced: number;
  /** Messages waiting in the queue (memory or spool). */
  queued: number;
  /** Octets of message content received / forwarded. */
  bytesReceived: number;
  bytesForwarded: number;
  /** Octets copied by skbuff since the relay was created (process-wide `skbStats().bytesCopied` delta). */
  bytesCopied: number;
  /** Of those, payload octets (`payloadBytesCopied`: without the protocol headers software GSO/GRO copy into new heads). */
  payloadBytesCopied: number;
  /** The same octets by kind of skbuff operation (`skbStats().copies` delta: linearize, expandHead, copyBits…, headers). */
  copies: SkbCopyKinds;
  /** Of those, octets of the relay's own `Received:` headers (the one copy zero-copy forwarding makes). */
  headerBytesCopied: number;
  /** Octets the relay copied between its own buffers and socket skbs on our stack (`tcpSendmsg`/`tcpRecvmsg`): commands and replies in zero-copy mode, everything in copy mode. */
  socketBytesCopied: number;
}
