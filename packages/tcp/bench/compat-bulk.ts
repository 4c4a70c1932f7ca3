/**
 * A bulk transfer through the `node:net`-compatible API (`createServer` /
 * `connect`, `write` until it returns false, then `'drain'`; `'data'` events):
 * the same code a `node:net` user writes, on a testbed with a real or virtual
 * clock. Each direction's bytes are the position-dependent pattern
 * (bench/pattern.ts), checked chunk by chunk on arrival.
 *
 * Used by the bench (next to node:net over the kernel loopback) and by the
 * 20 %-loss test.
 *
 * @module
 */
import type { TcpSocket } from '../src/net-compat.js';
import type { TcpSock } from '../src/sock.js';
import type { Testbed } from '../src/testing/index.js';
import { MAX_SLICE, patternAt, patternMatches } from './pattern.js';

/** Options of {@link compatBulk}. */
export interface CompatBulkOptions {
  /** Bytes the client writes to the server. */
  bytes: number;
  /** Bytes the server writes back at the same time (default 0). */
  reverseBytes?: number;
  /** Bytes per `write` call (default 1 MiB, at most MAX_SLICE). */
  chunk?: number;
  /** Listening port (default 5002). */
  port?: number;
  /** Bound of the run, in the testbed clock's ms (default 1 h). */
  timeoutMs?: number;
  /** Wall-time bound of a virtual-clock run (default 120 s). */
  wallTimeoutMs?: number;
}

/** What {@link compatBulk} measured, in the testbed clock's ms. */
export interface CompatBulkResult {
  /** Verified bytes received by the server and by the client. */
  received: [number, number];
  /** Clock ms from `'connect'` until each direction's last byte arrived. */
  elapsedMs: [number, number];
  /** The TCP control blocks of the client and server streams (for their options and counters). */
  socks: [TcpSock, TcpSock];
}

interface Receiver {
  got: number;
  doneAt: number;
  error: Error | undefined;
}

/** The part of a writable stream {@link writePattern} uses (a `net.Socket` or our `TcpSocket`). */
export interface PatternSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  end(): unknown;
}

/** Writes `total` pattern bytes to `s` in `chunk`-byte writes, waiting for `'drain'` when `write` says so; then ends it. */
export function writePattern(s: PatternSink, total: number, chunk: number): void {
  let sent = 0;
  const go = (): void => {
    while (sent < total) {
      const c = patternAt(sent, Math.min(chunk, total - sent));
      sent += c.length;
      if (!s.write(c)) {
        s.once('drain', go);
        return;
      }
    }
    s.end();
  };
  go();
}

/** Checks every `'data'` chunk of `s` against the pattern. */
function receive(s: TcpSocket, total: number, now: () => number): Receiver {
  const r: Receiver = { got: 0, doneAt: -1, error: undefined };
  if (total === 0) r.doneAt = now();
  s.on('data', (d: Buffer) => {
    if (r.error !== undefined) return;
    if (!patternMatches(r.got, d)) r.error = new Error(`node:net-compatible API: wrong bytes at stream offset ${r.got}`);
    r.got += d.length;
    if (r.got > total) r.error = new Error(`node:net-compatible API: ${r.got} bytes received, ${total} sent`);
    if (r.got === total) r.doneAt = now();
  });
  s.on('error', (e: Error) => (r.error = e));
  return r;
}

/**
 * Connects host 0 to a server on host 1 and moves `bytes` (and `reverseBytes`
 * back) through the `node:net`-compatible streams; rejects on wrong bytes, an
 * error or the time bounds. Closes what it opened.
 * @example
 * const tb = createTestbed({ link: 'loopback2', clock: 'real' });
 * const r = await compatBulk(tb, { bytes: 32 << 20 });
 * tb.destroy();
 */
export async function compatBulk(tb: Testbed, o: CompatBulkOptions): Promise<CompatBulkResult> {
  const [a, b] = tb.hosts;
  const reverse = o.reverseBytes ?? 0;
  const chunk = Math.min(o.chunk ?? MAX_SLICE, MAX_SLICE);
  const port = o.port ?? 5002;
  const now = (): number => tb.clock.now();
  let server: Receiver | undefined;
  let client: Receiver | undefined;
  let peer: TcpSocket | undefined;
  let t0 = 0;
  const srv = b.createServer({ allowHalfOpen: true }, (s) => {
    peer = s;
    server = receive(s, o.bytes, now);
    if (reverse > 0) writePattern(s, reverse, chunk); // no early FIN: the client would half-close in answer
  });
  srv.listen(port);
  const c = a.connect({ port, host: b.address });
  c.once('connect', () => {
    t0 = now();
    client = receive(c, reverse, now);
    writePattern(c, o.bytes, chunk);
  });
  let connectError: Error | undefined;
  c.once('error', (e: Error) => (connectError = e));
  const failed = (): Error | undefined => connectError ?? server?.error ?? client?.error;
  try {
    await tb.runUntil(() => failed() !== undefined || (server !== undefined && client !== undefined && server.doneAt >= 0 && client.doneAt >= 0), {
      timeoutMs: o.timeoutMs ?? 3600_000,
      wallTimeoutMs: o.wallTimeoutMs ?? 120_000,
    });
    const err = failed();
    if (err !== undefined) throw err;
    return { received: [server!.got, client!.got], elapsedMs: [server!.doneAt - t0, client!.doneAt - t0], socks: [c.sk!, peer!.sk!] };
  } finally {
    c.destroy();
    peer?.destroy();
    srv.close();
  }
}
