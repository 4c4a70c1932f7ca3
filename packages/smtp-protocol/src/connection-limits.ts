/**
 * `ConnectionLimiter`: admission control for a listener — at most `max`
 * concurrent connections in total and `perClient` per client address
 * (Postfix: `default_process_limit` 100 smtpd processes,
 * `smtpd_client_connection_count_limit` 50). Sans-I/O: the caller reports
 * arrivals and departures; a refused arrival gets the 421 reply to write
 * before closing (RFC 5321 §3.8, Postfix's text).
 *
 * @module
 */

/** Limits of a {@link ConnectionLimiter}. */
export interface ConnectionLimits {
  /** Concurrent connections in total (default 100; `Infinity` disables). */
  readonly maxConnections?: number;
  /** Concurrent connections per client address (default 50; `Infinity` disables). */
  readonly maxConnectionsPerClient?: number;
}

/** Counts live connections per client address and refuses those above the limits. */
export class ConnectionLimiter {
  private readonly max: number;
  private readonly perClient: number;
  private readonly byAddr = new Map<string, number>();
  private total = 0;

  constructor(limits: ConnectionLimits = {}) {
    this.max = limits.maxConnections ?? 100;
    this.perClient = limits.maxConnectionsPerClient ?? 50;
  }

  /** Live admitted connections. */
  get size(): number {
    return this.total;
  }

  /** Live admitted connections from `address`. */
  count(address: string): number {
    return this.byAddr.get(clientKey(address)) ?? 0;
  }

  /**
   * Admits a connection from `address` (counted until {@link leave}), or
   * returns the reply line (with CRLF) to send before closing it.
   */
  admit(address: string, hostname: string): string | undefined {
    const key = clientKey(address);
    const n = this.byAddr.get(key) ?? 0;
    if (this.total >= this.max) return `421 4.7.0 ${hostname} Error: too many connections\r\n`;
    if (n >= this.perClient) return `421 4.7.0 ${hostname} Error: too many connections from ${key}\r\n`;
    this.byAddr.set(key, n + 1);
    this.total++;
    return undefined;
  }

  /** An admitted connection from `address` closed. */
  leave(address: string): void {
    const key = clientKey(address);
    const n = this.byAddr.get(key);
    if (n === undefined) return;
    if (n <= 1) this.byAddr.delete(key);
    else this.byAddr.set(key, n - 1);
    this.total--;
  }
}

/** `::ffff:192.0.2.1` and `192.0.2.1` are one client. */
function clientKey(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
