/**
 * The state one relay shares between its inbound sessions, its queue and its
 * outbound connections, with every option resolved to its default.
 * @module
 */
import os from 'node:os';
import { RealClock, type TimerService } from '@netlayers/clock';
import type { TcpStack } from '@netlayers/tcp';
import { parseHostPort, type Endpoint } from './addr.js';
import { RelayError } from './errors.js';
import { defaultLogger, nullLogger } from './log.js';
import type { AcceptPolicy, ForwardMode, OutboundTls, RelayLogger, RelayOptions, TransportKind } from './options.js';
import { DEFAULT_MYNETWORKS, RelayPolicy } from './policy.js';
import { Router } from './routes.js';
import type { HeldBody } from './zerocopy/held-body.js';

/** Options with defaults applied. */
export interface ResolvedOptions {
  listen: Endpoint;
  transport: TransportKind;
  stack: TcpStack | undefined;
  forward: ForwardMode;
  accept: AcceptPolicy;
  spool: string | undefined;
  maxSize: number;
  hostname: string;
  tls: { key: string | Buffer; cert: string | Buffer } | undefined;
  outboundTls: OutboundTls;
  outboundTlsOptions: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean } | undefined;
  maxConnections: number;
  maxConnectionsPerClient: number;
  destinationConcurrency: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  queueLifetimeMs: number;
  hopCountLimit: number;
  headerSizeLimit: number;
  proxyBufferBytes: number;
  connectTimeoutMs: number;
  connectionReuseMs: number;
  /** Bound on memory held by queued bodies in `memory` mode (and zero-copy bodies awaiting delivery). */
  maxHeldBytes: number;
  fsync: boolean;
  timers: TimerService;
  logger: RelayLogger;
}

/** Mutable counters behind `relay.stats()`. */
export interface Counters {
  connections: number;
  received: number;
  rejected: number;
  bytesReceived: number;
  bytesForwarded: number;
  headerBytesCopied: number;
  socketBytesCopied: number;
}

/** Resolves and checks options. @throws RelayError `ERR_RELAY_CONFIG` */
export function resolveOptions(o: RelayOptions): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw new TypeError('createRelay: options must be an object');
  const transport = o.transport ?? 'kernel';
  if (transport !== 'kernel' && transport !== 'netlayers') throw new RelayError('ERR_RELAY_CONFIG', `transport: ${String(transport)}`);
  const forward = o.forward ?? 'copy';
  if (forward !== 'copy' && forward !== 'zerocopy') throw new RelayError('ERR_RELAY_CONFIG', `forward: ${String(forward)}`);
  if (forward === 'zerocopy' && transport !== 'netlayers') {
    throw new RelayError('ERR_RELAY_CONFIG', "forward: 'zerocopy' needs transport: 'netlayers' (kernel sockets always copy)");
  }
  if (transport === 'netlayers' && o.stack === undefined) throw new RelayError('ERR_RELAY_CONFIG', "transport: 'netlayers' needs a TCP stack (option stack)");
  const accept = o.accept ?? 'spool';
  if (accept !== 'spool' && accept !== 'proxy' && accept !== 'memory') throw new RelayError('ERR_RELAY_CONFIG', `accept: ${String(accept)}`);
  if (accept === 'spool' && (o.spool === undefined || o.spool === '')) throw new RelayError('ERR_RELAY_CONFIG', "accept: 'spool' needs a spool directory (option spool)");
  const pos = (v: number | undefined, d: number, name: string): number => {
    if (v === undefined) return d;
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new RelayError('ERR_RELAY_CONFIG', `${name}: ${String(v)}`);
    return v;
  };
  return {
    listen: parseHostPort(o.listen ?? '127.0.0.1:2525', 'listen'),
    transport,
    stack: o.stack,
    forward,
    accept,
    spool: o.spool,
    maxSize: pos(o.maxSize, 10_240_000, 'maxSize'),
    hostname: o.hostname ?? os.hostname(),
    tls: o.tls,
    outboundTls: o.outboundTls ?? 'opportunistic',
    outboundTlsOptions: o.outboundTlsOptions,
    maxConnections: pos(o.maxConnections, 100, 'maxConnections'),
    maxConnectionsPerClient: pos(o.maxConnectionsPerClient, 50, 'maxConnectionsPerClient'),
    destinationConcurrency: pos(o.destinationConcurrency, 20, 'destinationConcurrency'),
    minBackoffMs: pos(o.minBackoffMs, 300_000, 'minBackoffMs'),
    maxBackoffMs: pos(o.maxBackoffMs, 4_000_000, 'maxBackoffMs'),
    queueLifetimeMs: pos(o.queueLifetimeMs, 5 * 24 * 3600_000, 'queueLifetimeMs'),
    hopCountLimit: pos(o.hopCountLimit, 50, 'hopCountLimit'),
    headerSizeLimit: pos(o.headerSizeLimit, 102_400, 'headerSizeLimit'),
    proxyBufferBytes: pos(o.proxyBufferBytes, 256 * 1024, 'proxyBufferBytes'),
    connectTimeoutMs: pos(o.connectTimeoutMs, 30_000, 'connectTimeoutMs'),
    connectionReuseMs: pos(o.connectionReuseMs, 2_000, 'connectionReuseMs'),
    maxHeldBytes: pos(o.maxHeldBytes, 512 * 1024 * 1024, 'maxHeldBytes'),
    fsync: o.fsync ?? true,
    timers: o.timers ?? new RealClock(),
    logger: o.logger === false ? nullLogger : (o.logger ?? defaultLogger()),
  };
}

/** What inbound sessions and deliveries share. */
export interface RelayContext {
  readonly o: ResolvedOptions;
  readonly policy: RelayPolicy;
  readonly router: Router;
  readonly counters: Counters;
  /** Zero-copy bodies by queue id, until delivered (memory) or first attempt (spool). */
  readonly held: Map<string, HeldBody>;
  heldBytes: number;
}

export function createContext(o: RelayOptions, r: ResolvedOptions): RelayContext {
  return {
    o: r,
    policy: new RelayPolicy(o.mynetworks ?? DEFAULT_MYNETWORKS, o.relayDomains ?? []),
    router: new Router(o.nextHop, o.routes ?? {}),
    counters: { connections: 0, received: 0, rejected: 0, bytesReceived: 0, bytesForwarded: 0, headerBytesCopied: 0, socketBytesCopied: 0 },
    held: new Map(),
    heldBytes: 0,
  };
}
