/**
 * Relay access policy (Postfix's `smtpd_relay_restrictions = permit_mynetworks,
 * reject_unauth_destination` with `relay_domains`): a client inside
 * `mynetworks` may relay to any domain; anyone else only to `relayDomains`
 * (and their subdomains when written as `.example.org`). Never an open relay:
 * with no `relayDomains`, only `mynetworks` clients can send.
 * @module
 */
import { cidrContains, parseCidr, type Cidr } from './addr.js';

/** Default `mynetworks`: this host only (Postfix `mynetworks_style = host`). */
export const DEFAULT_MYNETWORKS: readonly string[] = ['127.0.0.0/8', '::1/128'];

/** Decides who may relay where. */
export class RelayPolicy {
  private readonly nets: Cidr[];
  private readonly exact = new Set<string>();
  private readonly suffixes: string[] = [];

  constructor(mynetworks: readonly string[] = DEFAULT_MYNETWORKS, relayDomains: readonly string[] = []) {
    this.nets = mynetworks.map(parseCidr);
    for (const d of relayDomains) {
      const dom = d.toLowerCase().trim();
      if (dom.startsWith('.')) this.suffixes.push(dom);
      else if (dom.length > 0) this.exact.add(dom);
    }
  }

  /** Whether `clientAddress` is in `mynetworks`. */
  isTrustedClient(clientAddress: string | undefined): boolean {
    return clientAddress !== undefined && this.nets.some((n) => cidrContains(n, clientAddress));
  }

  /** Whether `domain` is one of `relayDomains`. */
  isRelayDomain(domain: string): boolean {
    const d = domain.toLowerCase();
    return this.exact.has(d) || this.suffixes.some((s) => d.endsWith(s));
  }

  /** Whether a client may relay to `recipient` (a mailbox `local@domain`). */
  mayRelay(clientAddress: string | undefined, recipient: string): boolean {
    if (this.isTrustedClient(clientAddress)) return true;
    const at = recipient.lastIndexOf('@');
    return at >= 0 && this.isRelayDomain(recipient.slice(at + 1));
  }
}
