/**
 * Binding to `@netlayers/ipv4`: registers TCP as IP protocol 6 in the stack's
 * `inetProtos` table (Linux `inet_add_protocol(&tcp_protocol, IPPROTO_TCP)`) and
 * implements {@link TcpNetOps} with `ipQueueXmit` and the IPv4 route lookup
 * (`ip_route_output` + `sk_route_caps` from the output device's features).
 *
 * @module
 */

import { DstCache, ipQueueXmit, ipRouteOutput, MAX_HEADER, type Stack as IpStack } from '@netlayers/ipv4';
import type { TimerService } from './clock.js';
import { tcpV4Err } from './icmp-err.js';
import { TcpStack, type TcpNetOps, type TcpStackOptions, type TcpRoute } from './stack.js';

/** Options of {@link attachTcp}: the TcpStack options without clock/net (taken from the IP stack). */
export type AttachTcpOptions = Omit<TcpStackOptions, 'net' | 'clock'> & { clock?: TimerService };

/**
 * Creates a TCP instance on top of an IPv4 stack and registers it for protocol 6.
 * @returns the TCP stack (use it with the socket API, node:net layer or zero-copy API)
 */
export function attachTcp(ip: IpStack, opts: AttachTcpOptions = {}): TcpStack {
  const dst = new DstCache();
  const net: TcpNetOps = {
    maxHeader: MAX_HEADER,
    route(daddr: number, saddr: number): TcpRoute | undefined {
      const r = ipRouteOutput(ip, daddr, saddr === 0 ? undefined : saddr);
      if (typeof r === 'string') return undefined;
      const f = r.features;
      return { saddr: r.saddr, mtu: r.mtu, csumOffload: f.hwCsum, tso: f.tso, gsoMaxSize: f.gsoMaxSize };
    },
    queueXmit(skb, saddr, daddr) {
      ipQueueXmit(ip, skb, { daddr, saddr, protocol: 6, dst });
    },
  };
  const tcp = new TcpStack({ ...opts, clock: opts.clock ?? ip.clock, net });
  ip.registerProtocol(6, {
    handler(skb) {
      const b = skb.buf;
      const n = skb.networkHeader;
      const saddr = ((b[n + 12]! << 24) | (b[n + 13]! << 16) | (b[n + 14]! << 8) | b[n + 15]!) >>> 0;
      const daddr = ((b[n + 16]! << 24) | (b[n + 17]! << 16) | (b[n + 18]! << 8) | b[n + 19]!) >>> 0;
      tcp.tcpV4Rcv(skb, saddr, daddr);
    },
    errHandler(_skb, err) {
      tcpV4Err(tcp, err.quoted.src, err.quoted.dst, err.quotedL4, err.type, err.code, err.info);
    },
  });
  return tcp;
}
