/**
 * Inbound connection limits: `maxConnections` in total and
 * `maxConnectionsPerClient` per client address (Postfix's
 * `smtpd_client_connection_count_limit`); a connection over a limit gets
 * `421 4.7.0` and is closed before a session exists.
 * @module
 */
import type { RelayContext } from '../context.js';

export class ConnectionLimits {
  private readonly perClient = new Map<string, number>();
  private total = 0;

  constructor(private readonly ctx: RelayContext) {}

  /** @returns the 421 line to send when over a limit, else undefined (and the connection is counted) */
  admit(address: string | undefined): string | undefined {
    const o = this.ctx.o;
    const key = address ?? '?';
    const n = this.perClient.get(key) ?? 0;
    if (this.total >= o.maxConnections) return `421 4.7.0 ${o.hostname} Too many connections, try again later\r\n`;
    if (n >= o.maxConnectionsPerClient) return `421 4.7.0 ${o.hostname} Too many connections from ${key}\r\n`;
    this.perClient.set(key, n + 1);
    this.total++;
    this.ctx.counters.connections = this.total;
    return undefined;
  }

  /** A counted connection closed. */
  leave(address: string | undefined): void {
    const key = address ?? '?';
    const n = (this.perClient.get(key) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(key);
    else this.perClient.set(key, n);
    this.total = Math.max(0, this.total - 1);
    this.ctx.counters.connections = this.total;
  }
}
