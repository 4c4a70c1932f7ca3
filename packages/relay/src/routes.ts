/**
 * Next-hop selection: `routes` by recipient domain (exact, then each parent
 * domain: `a.b.example` tries `a.b.example`, `b.example`, `example`), else the
 * smarthost `nextHop` — Postfix's `transport_maps` + `relayhost`.
 * @module
 */
import { formatEndpoint, parseHostPort, type Endpoint } from './addr.js';
import type { HostPort } from './options.js';

export class Router {
  private readonly table = new Map<string, Endpoint>();
  readonly smarthost: Endpoint;

  constructor(nextHop: HostPort, routes: Record<string, HostPort> = {}) {
    this.smarthost = parseHostPort(nextHop, 'nextHop');
    for (const [dom, hp] of Object.entries(routes)) this.table.set(dom.toLowerCase().replace(/^\./, ''), parseHostPort(hp, `routes[${dom}]`));
  }

  /** The next hop for a recipient mailbox. */
  route(recipient: string): Endpoint {
    const at = recipient.lastIndexOf('@');
    if (at >= 0 && this.table.size > 0) {
      let d = recipient.slice(at + 1).toLowerCase();
      for (;;) {
        const e = this.table.get(d);
        if (e !== undefined) return e;
        const dot = d.indexOf('.');
        if (dot < 0) break;
        d = d.slice(dot + 1);
      }
    }
    return this.smarthost;
  }

  /** The destination key (`host:port`) of a recipient, for concurrency limits and connection reuse. */
  key(recipient: string): string {
    return formatEndpoint(this.route(recipient));
  }
}
