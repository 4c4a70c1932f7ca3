/**
 * The relay options every configuration shares: the thesis's acceptance
 * (`accept: 'memory'`: each e-mail completely received, then forwarded), no
 * logging, limits raised so the concurrency sweep is not refused, and the
 * benchmark's address ranges allowed to relay.
 * @module
 */
import type { RelayOptions } from '@netlayers/relay';

/** Largest e-mail the bench sends (10MB) with room to spare. */
export const BENCH_MAX_SIZE = 12 * 1024 * 1024;

/** Shared options (transport, forward, listen and nextHop are per configuration). */
export function relayOptions(): Omit<RelayOptions, 'nextHop'> {
  return {
    accept: 'memory',
    logger: false,
    hostname: 'relay.bench',
    maxSize: BENCH_MAX_SIZE,
    mynetworks: ['127.0.0.0/8', '198.18.0.0/24'],
    maxConnections: 512,
    maxConnectionsPerClient: 512,
    destinationConcurrency: 128,
    outboundTls: 'off',
    maxHeldBytes: 1024 * 1024 * 1024,
  };
}
