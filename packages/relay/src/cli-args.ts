/**
 * Command-line arguments of `netlayers-relay` (commander), mapped to
 * {@link RelayOptions}.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RelayOptions } from './options.js';

function int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`not a non-negative integer: ${v}`);
  return n;
}

function num(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`not a positive number: ${v}`);
  return n;
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses argv into relay options (exported for tests). */
export function parseArgs(argv: readonly string[]): RelayOptions & { logLevel: string; tap?: { dev: string; addr: string; gw?: string } } {
  const cmd = new Command('netlayers-relay')
    .description('SMTP relay: accepts mail and forwards it to a next hop, with copy or zero-copy forwarding')
    .requiredOption('--next-hop <host:port>', 'smarthost every message is forwarded to')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:2525')
    .addOption(new Option('--transport <kind>', 'sockets to run on').choices(['kernel', 'netlayers']).default('kernel'))
    .addOption(new Option('--forward <mode>', 'body forwarding').choices(['copy', 'zerocopy']).default('copy'))
    .addOption(new Option('--accept <policy>', 'acceptance policy').choices(['spool', 'proxy', 'memory']).default('spool'))
    .option('--spool <dir>', 'spool directory (accept=spool)')
    .option('--max-size <bytes>', 'largest message accepted', int, 10_240_000)
    .option('--relay-domains <list>', 'comma-separated domains accepted from any client', list, [])
    .option('--mynetworks <cidrs>', 'comma-separated client networks allowed to relay', list)
    .option('--route <domain=host:port...>', 'per-domain next hop (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--hostname <name>', 'name in the greeting and Received: headers')
    .option('--tls-key <file>', 'PEM private key for STARTTLS')
    .option('--tls-cert <file>', 'PEM certificate for STARTTLS')
    .addOption(new Option('--outbound-tls <mode>', 'STARTTLS to the next hop').choices(['off', 'opportunistic', 'require']).default('opportunistic'))
    .option('--outbound-tls-ca <file>', 'CA certificates (PEM) that outbound TLS trusts; with it, unverified certificates are refused')
    .option('--tap-dev <name>', 'TAP interface our stack uses with --transport netlayers (created if absent; needs CAP_NET_ADMIN)')
    .option('--tap-addr <cidr>', "our stack's address on the TAP interface, e.g. 198.18.0.2/24")
    .option('--tap-gw <addr>', 'default gateway of our stack on the TAP interface')
    .option('--max-connections <n>', 'concurrent inbound connections', int)
    .option('--max-connections-per-client <n>', 'concurrent inbound connections per client address', int)
    .option('--min-backoff <seconds>', 'first retry delay after a 4xx or failed connection (Postfix minimal_backoff_time)', num)
    .option('--max-backoff <seconds>', 'longest retry delay (Postfix maximal_backoff_time)', num)
    .option('--queue-lifetime <seconds>', 'how long undeliverable mail waits before it bounces (Postfix maximal_queue_lifetime)', num)
    .option('--no-fsync', 'do not fsync the spool (benchmarks on tmpfs only)')
    .option('--log-level <level>', 'pino log level', 'info')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  cmd.parse(argv as string[], { from: 'user' });
  const a = cmd.opts<{
    nextHop: string;
    listen: string;
    transport: 'kernel' | 'netlayers';
    forward: 'copy' | 'zerocopy';
    accept: 'spool' | 'proxy' | 'memory';
    spool?: string;
    maxSize: number;
    relayDomains: string[];
    mynetworks?: string[];
    route: string[];
    hostname?: string;
    tlsKey?: string;
    tlsCert?: string;
    outboundTls: 'off' | 'opportunistic' | 'require';
    tapDev?: string;
    tapAddr?: string;
    tapGw?: string;
    outboundTlsCa?: string;
    maxConnections?: number;
    maxConnectionsPerClient?: number;
    minBackoff?: number;
    maxBackoff?: number;
    queueLifetime?: number;
    fsync: boolean;
    logLevel: string;
  }>();
  if ((a.tlsKey === undefined) !== (a.tlsCert === undefined)) throw new InvalidArgumentError('--tls-key and --tls-cert go together');
  if (a.transport === 'netlayers' && (a.tapDev === undefined || a.tapAddr === undefined)) {
    throw new InvalidArgumentError('--transport netlayers runs our stack on a TAP interface: give --tap-dev NAME and --tap-addr A.B.C.D/LEN');
  }
  const routes: Record<string, string> = {};
  for (const r of a.route) {
    const eq = r.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--route wants domain=host:port, got ${r}`);
    routes[r.slice(0, eq)] = r.slice(eq + 1);
  }
  return {
    nextHop: a.nextHop,
    listen: a.listen,
    transport: a.transport,
    forward: a.forward,
    accept: a.accept,
    ...(a.spool !== undefined ? { spool: a.spool } : {}),
    maxSize: a.maxSize,
    relayDomains: a.relayDomains,
    ...(a.mynetworks !== undefined ? { mynetworks: a.mynetworks } : {}),
    routes,
    ...(a.hostname !== undefined ? { hostname: a.hostname } : {}),
    ...(a.tlsKey !== undefined && a.tlsCert !== undefined ? { tls: { key: readFileSync(a.tlsKey), cert: readFileSync(a.tlsCert) } } : {}),
    outboundTls: a.outboundTls,
    ...(a.outboundTlsCa !== undefined ? { outboundTlsOptions: { ca: readFileSync(a.outboundTlsCa), rejectUnauthorized: true } } : {}),
    ...(a.maxConnections !== undefined ? { maxConnections: a.maxConnections } : {}),
    ...(a.maxConnectionsPerClient !== undefined ? { maxConnectionsPerClient: a.maxConnectionsPerClient } : {}),
    ...(a.minBackoff !== undefined ? { minBackoffMs: a.minBackoff * 1000 } : {}),
    ...(a.maxBackoff !== undefined ? { maxBackoffMs: a.maxBackoff * 1000 } : {}),
    ...(a.queueLifetime !== undefined ? { queueLifetimeMs: a.queueLifetime * 1000 } : {}),
    fsync: a.fsync,
    logLevel: a.logLevel,
    ...(a.tapDev !== undefined && a.tapAddr !== undefined ? { tap: { dev: a.tapDev, addr: a.tapAddr, ...(a.tapGw !== undefined ? { gw: a.tapGw } : {}) } } : {}),
  };
}

