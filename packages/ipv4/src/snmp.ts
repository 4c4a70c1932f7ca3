/**
 * SNMP-style counters (RFC 4293 IP-MIB / Linux `/proc/net/snmp` "Ip:", "Icmp:",
 * "Udp:" lines). Every drop in this package increments exactly one reason
 * counter, so a test can account for every packet.
 *
 * @module
 */

/** The `Ip:` line of `/proc/net/snmp` (plus Linux `IpExt` InTruncatedPkts/InCsumErrors). */
export class IpMib {
  /** Datagrams handed to ipRcv (before any check). */
  InReceives = 0;
  /** Header errors: bad version/IHL/checksum/total length, TTL expired on forward. */
  InHdrErrors = 0;
  /** Header checksum failures (also counted in InHdrErrors, like Linux IpExt InCsumErrors). */
  InCsumErrors = 0;
  /** skb shorter than the total length field (Linux IPSTATS_MIB_INTRUNCATEDPKTS). */
  InTruncatedPkts = 0;
  /** Destination not local and forwarding off, or martian source/destination. */
  InAddrErrors = 0;
  /** No route for a datagram to forward. */
  InNoRoutes = 0;
  /** Local delivery to a protocol nobody registered. */
  InUnknownProtos = 0;
  /** Discarded for lack of resources or by a hook (no header problem). */
  InDiscards = 0;
  /** Delivered to an upper-layer protocol (including ICMP). */
  InDelivers = 0;
  /** Forwarded (ip_forward_finish). */
  ForwDatagrams = 0;
  /** Locally generated datagrams handed to ipLocalOut. */
  OutRequests = 0;
  /** Locally generated datagrams dropped for lack of a route. */
  OutNoRoutes = 0;
  /** Output discards (hook DROP, neighbour failure, device busy, no headroom). */
  OutDiscards = 0;
  /** Fragments received needing reassembly. */
  ReasmReqds = 0;
  /** Datagrams reassembled. */
  ReasmOKs = 0;
  /** Reassembly failures (timeout, overlap, limits, memory eviction). */
  ReasmFails = 0;
  /** Reassembly timeouts (also in ReasmFails; Linux IPSTATS_MIB_REASMTIMEOUT). */
  ReasmTimeout = 0;
  /** Reassembly overlaps (also in ReasmFails; Linux IPSTATS_MIB_REASM_OVERLAPS). */
  ReasmOverlaps = 0;
  /** Datagrams fragmented successfully. */
  FragOKs = 0;
  /** Datagrams that needed fragmenting but could not be (DF set, or failure). */
  FragFails = 0;
  /** Fragments created. */
  FragCreates = 0;

  /** A plain snapshot of every counter. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}

/** The `Icmp:` line. */
export class IcmpMib {
  InMsgs = 0;
  InErrors = 0;
  InCsumErrors = 0;
  InDestUnreachs = 0;
  InRedirects = 0;
  InTimeExcds = 0;
  InEchos = 0;
  InEchoReps = 0;
  OutMsgs = 0;
  OutErrors = 0;
  OutRateLimited = 0;
  OutDestUnreachs = 0;
  OutRedirects = 0;
  OutTimeExcds = 0;
  OutEchos = 0;
  OutEchoReps = 0;
  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}

/** The `Udp:` line. */
export class UdpMib {
  InDatagrams = 0;
  NoPorts = 0;
  InErrors = 0;
  InCsumErrors = 0;
  RcvbufErrors = 0;
  OutDatagrams = 0;
  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}

/** The `Arp` counters (not in /proc/net/snmp; like `ip -s neigh` / ndisc stats). */
export class ArpMib {
  InRequests = 0;
  InReplies = 0;
  InErrors = 0;
  OutRequests = 0;
  OutReplies = 0;
  /** Packets dropped because the resolution queue was full (Linux unresolved_discards). */
  UnresolvedDiscards = 0;
  /** Resolutions that failed (entry went FAILED). */
  ResFailed = 0;
  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this)) as Record<string, number>;
  }
}
