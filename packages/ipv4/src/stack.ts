/**
 * `Stack`: one IPv4 host or router — interfaces, FIB, neighbour tables,
 * reassembly, hooks, protocol demux and counters (Linux: one network namespace).
 *
 * ```ts
 * const stack = new Stack({ clock });
 * const eth0 = stack.addInterface({ dev, addr: ipv4('198.18.0.2'), prefixLen: 24 });
 * stack.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.0.1'), iface: eth0 });
 * stack.registerProtocol(IpProtocol.TCP, { handler: (skb) => tcpV4Rcv(skb) });
 * // device RX: stack.netifReceive(eth0, skb)
 * ```
 *
 * The stack is sans-I/O: frames enter through {@link Stack.netifReceive} (or the
 * netdev-ring adapter), leave through each interface's {@link LinkDevice.xmit},
 * and every timer runs on the injected {@link TimerService}. Packets addressed
 * to the stack itself loop through an internal backlog drained before each
 * top-level call returns (like `lo` + `netif_rx`), so deliveries never recurse.
 *
 * @module
 */
import type { TimerService } from '@netlayers/clock';
import type { SkBuff } from '@netlayers/skbuff';
import { IpDefrag, type DefragOptions } from './defrag.js';
import { DEFAULT_LINK_FEATURES, type DeviceFeatures, type LinkDevice } from './device.js';
import { Fib, type Route, type RouteSpec } from './fib.js';
import type { DstEntry } from './route.js';
import { NeighTable, type NeighParams } from './neighbour.js';
import { Netfilter } from './netfilter.js';
import { ArpMib, IcmpMib, IpMib, UdpMib } from './snmp.js';
import type { Ipv4Addr, MacAddr } from './wire/addr.js';
import { IPV4_BROADCAST, prefixMask } from './wire/addr.js';
import type { Ipv4Packet } from './wire/ipv4.js';
import { arpRcv, arpSendRequest, arpSendGratuitous } from './arp.js';
import { ipFinishOutputNeigh, ipRcvFromDevice } from './link.js';
import { icmpRcv, icmpSendHostUnreach, icmpSendReasmTimeout } from './icmp.js';
import { ipRcv } from './input.js';
import { UdpTable } from './udp.js';
import { IpIdents } from './ident.js';

/** Details of an ICMP error given to {@link InetProtocol.errHandler}. */
export interface IcmpErrorInfo {
  /** ICMP type (3 unreachable, 11 time exceeded, 12 parameter problem, 5 redirect…). */
  readonly type: number;
  readonly code: number;
  /** Next-hop MTU for FRAG_NEEDED, pointer for PARAMETER_PROB, gateway for REDIRECT. */
  readonly info: number;
  /** The quoted (offending) IPv4 header as a view. */
  readonly quoted: Ipv4Packet;
  /** At least the first 8 bytes of the quoted transport header (ports / sequence). */
  readonly quotedL4: Uint8Array;
}

/**
 * An L4 protocol registered with {@link Stack.registerProtocol} (Linux `struct
 * net_protocol` in `inet_protos[]`).
 */
export interface InetProtocol {
  /**
   * Receives a datagram addressed to this host. On entry `skb.data ===
   * skb.transportHeader` (start of the L4 header), `skb.networkHeader` marks the
   * IPv4 header (read it with `ipHdr(skb)`), `skb.dev` is the input
   * {@link Interface}, `skb.len` is the L4 length (link padding trimmed) and
   * `skb.ipSummed` tells whether the L4 checksum still needs verifying. The
   * handler owns the skb (free it when done). Linux: `tcp_v4_rcv`, `udp_rcv`.
   */
  handler(skb: SkBuff): void;
  /**
   * ICMP error about a datagram this protocol sent (Linux `err_handler`, e.g.
   * `tcp_v4_err`). Must not free `skb` (the ICMP message, data at its header).
   */
  errHandler?(skb: SkBuff, err: IcmpErrorInfo): void;
}

/** Arguments of {@link Stack.addInterface}. */
export interface InterfaceConfig {
  dev: LinkDevice;
  /** Interface address; omit for an unnumbered link. */
  addr?: Ipv4Addr;
  prefixLen?: number;
  /** Override the device MTU for IPv4. */
  mtu?: number;
  /** Add the connected route for the subnet (default true). */
  connectedRoute?: boolean;
  /** Announce the address with a gratuitous ARP (default true on Ethernet). */
  gratuitousArp?: boolean;
}

/** An IPv4 interface: a device with an address (Linux `in_device` + `in_ifaddr`). */
export class Interface {
  /** The ARP cache of this link. */
  readonly neigh: NeighTable;
  up = true;
  constructor(
    readonly stack: Stack,
    readonly ifindex: number,
    readonly dev: LinkDevice,
    readonly addr: Ipv4Addr,
    readonly prefixLen: number,
    private readonly mtuOverride: number | undefined,
  ) {
    this.neigh = new NeighTable(
      {
        localAddr: () => this.addr,
        sendArpRequest: (target, dstMac) => arpSendRequest(this, target, dstMac),
        xmitTo: (skb, mac) => ipFinishOutputNeigh(this, skb, mac),
        resolutionFailed: (skb) => icmpSendHostUnreach(stack, skb),
      },
      stack.clock,
      stack.arpMib,
      stack.neighParams,
    );
  }
  /** Device name. */
  get name(): string {
    return this.dev.name;
  }
  /** IPv4 MTU of the link. */
  get mtu(): number {
    return this.mtuOverride ?? this.dev.mtu;
  }
  /** Hardware address. */
  get mac(): MacAddr {
    return this.dev.macAddr;
  }
  /** Subnet mask. */
  get mask(): number {
    return prefixMask(this.prefixLen);
  }
  /** Directed broadcast address of the subnet. */
  get broadcast(): Ipv4Addr {
    return this.prefixLen >= 31 ? IPV4_BROADCAST : (this.addr | ~this.mask) >>> 0;
  }
  /** Offload features. */
  get features(): DeviceFeatures {
    const f = this.dev.features;
    return f ? { ...DEFAULT_LINK_FEATURES, ...f } : DEFAULT_LINK_FEATURES;
  }
  /** True for links with an Ethernet header (Ethernet and loopback). */
  get isEther(): boolean {
    return this.dev.linkType !== 'raw';
  }
  /** True when next hops need no resolution (loopback, raw links). */
  get noArp(): boolean {
    return this.dev.linkType === 'raw' || this.dev.linkType === 'loopback';
  }
}

/** Options of {@link Stack}. */
export interface StackOptions {
  /** Time source for every timer (neighbours, reassembly, ICMP rate limit, PMTU). */
  clock: TimerService;
  /** Forward datagrams between interfaces (`net.ipv4.ip_forward`, default false). */
  forwarding?: boolean;
  /** Default TTL (`ip_default_ttl`, 64). */
  defaultTtl?: number;
  /** Reassembly limits. */
  defrag?: DefragOptions;
  /** Neighbour tunables. */
  neigh?: Partial<NeighParams>;
  /** ICMP error rate limit: tokens per second and burst (`icmp_msgs_per_sec` 1000, `icmp_msgs_burst` 50). */
  icmpRateLimit?: { perSecond: number; burst: number };
  /** Learned path MTUs expire after this (`mtu_expires`, 600 s). */
  pmtuExpiresMs?: number;
  /** Seed for IP ID generation (deterministic tests). */
  idSeed?: number;
  /** Answer ICMP echo requests (default true; `icmp_echo_ignore_all` = !this). */
  echoReply?: boolean;
  /**
   * Fragments of a linear packet with less than this many payload bytes copy
   * the payload instead of sharing it (default 0: always share, zero copy).
   */
  fragCopyBelow?: number;
  /** Send ICMP redirects when forwarding back out the input link (`send_redirects`, default true). */
  sendRedirects?: boolean;
  /** Honour ICMP redirects from the current gateway (`accept_redirects`; default: true unless forwarding). */
  acceptRedirects?: boolean;
}

/** A learned path MTU (Linux FIB nexthop exception). */
interface PmtuEntry {
  mtu: number;
  expires: number;
}

/**
 * An IPv4 host/router. See the module documentation.
 */
export class Stack {
  readonly clock: TimerService;
  readonly fib = new Fib<Interface>();
  readonly netfilter = new Netfilter<Interface>();
  readonly ipMib = new IpMib();
  readonly icmpMib = new IcmpMib();
  readonly udpMib = new UdpMib();
  readonly arpMib = new ArpMib();
  readonly defrag: IpDefrag;
  readonly udp: UdpTable;
  /** @internal */
  readonly idents: IpIdents;
  readonly neighParams: Partial<NeighParams>;
  forwarding: boolean;
  defaultTtl: number;
  echoReply: boolean;
  sendRedirects: boolean;
  acceptRedirects: boolean;
  /** See {@link StackOptions.fragCopyBelow}. */
  fragCopyBelow: number;
  /** Frames with an EtherType nobody handles. */
  rxUnknownEthertype = 0;
  /** Frames for another MAC (PACKET_OTHERHOST) dropped. */
  rxOtherHost = 0;
  /** Malformed link-layer frames (shorter than the link header, bad ARP). */
  rxLinkErrors = 0;
  /** Called with every ICMP echo reply received (ping clients). Does not own the skb. */
  onEchoReply: ((skb: SkBuff, ident: number, seq: number, from: Ipv4Addr) => void) | undefined;

  private readonly ifaces: Interface[] = [];
  private readonly protos: Array<InetProtocol | undefined> = new Array(256).fill(undefined);
  private readonly localAddrs = new Map<Ipv4Addr, Interface>();
  private readonly pmtu = new Map<Ipv4Addr, PmtuEntry>();
  private readonly redirects = new Map<Ipv4Addr, { gateway: Ipv4Addr; expires: number }>();
  /** @internal input dsts of local addresses, validated by genid. */
  readonly localDstCache = new Map<Ipv4Addr, DstEntry>();
  /** @internal one-entry cache in front of {@link Stack.localDstCache}. */
  lastLocalDst: DstEntry | undefined;
  /** @internal generation of route-affecting state besides the FIB (PMTU, addresses). */
  extraGen = 0;
  private readonly backlog: Array<[SkBuff, Interface | undefined]> = [];
  private draining = false;
  private nextIfindex = 1;
  readonly pmtuExpiresMs: number;
  /** @internal ICMP token bucket */
  icmpTokens: number;
  /** @internal */
  icmpLast: number;
  readonly icmpRate: { perSecond: number; burst: number };

  constructor(opts: StackOptions) {
    this.clock = opts.clock;
    this.forwarding = opts.forwarding ?? false;
    this.defaultTtl = opts.defaultTtl ?? 64;
    this.echoReply = opts.echoReply ?? true;
    this.sendRedirects = opts.sendRedirects ?? true;
    this.fragCopyBelow = opts.fragCopyBelow ?? 0;
    this.acceptRedirects = opts.acceptRedirects ?? !this.forwarding;
    this.neighParams = opts.neigh ?? {};
    this.pmtuExpiresMs = opts.pmtuExpiresMs ?? 600_000;
    this.icmpRate = opts.icmpRateLimit ?? { perSecond: 1000, burst: 50 };
    this.icmpTokens = this.icmpRate.burst;
    this.icmpLast = this.clock.now();
    this.idents = new IpIdents(opts.idSeed ?? 0x9e3779b9);
    this.defrag = new IpDefrag(this.clock, this.ipMib, opts.defrag, (first) => icmpSendReasmTimeout(this, first));
    this.udp = new UdpTable(this);
    this.registerProtocol(1, { handler: (skb) => icmpRcv(this, skb) });
    this.registerProtocol(17, { handler: (skb) => this.udp.rcv(skb), errHandler: (skb, e) => this.udp.err(skb, e) });
  }

  /** Interfaces in ifindex order. */
  get interfaces(): readonly Interface[] {
    return this.ifaces;
  }

  /**
   * Adds an interface (`ip link add` + `ip addr add`): local route for the
   * address, connected route for the subnet, gratuitous ARP announcement.
   */
  addInterface(cfg: InterfaceConfig): Interface {
    const addr = (cfg.addr ?? 0) >>> 0;
    const prefixLen = cfg.prefixLen ?? 32;
    const iface = new Interface(this, this.nextIfindex++, cfg.dev, addr, prefixLen, cfg.mtu);
    this.ifaces.push(iface);
    if (addr !== 0) {
      this.localAddrs.set(addr, iface);
      this.fib.add({ prefix: addr, prefixLen: 32, type: 'local', iface, prefSrc: addr });
      if (cfg.connectedRoute ?? true) {
        const net = (addr & prefixMask(prefixLen)) >>> 0;
        if (prefixLen < 32) this.fib.add({ prefix: net, prefixLen, iface, prefSrc: addr });
        if (prefixLen < 31) this.fib.add({ prefix: iface.broadcast, prefixLen: 32, type: 'broadcast', iface, prefSrc: addr });
      }
      if (!iface.noArp && (cfg.gratuitousArp ?? true)) arpSendGratuitous(iface);
    }
    this.extraGen++;
    this.drain();
    return iface;
  }

  /** Takes an interface down: routes through it removed, neighbours flushed. */
  removeInterface(iface: Interface): void {
    const i = this.ifaces.indexOf(iface);
    if (i < 0) return;
    this.ifaces.splice(i, 1);
    iface.up = false;
    this.fib.flushIface(iface);
    if (this.localAddrs.get(iface.addr) === iface) this.localAddrs.delete(iface.addr);
    iface.neigh.flush();
    this.extraGen++;
    this.drain();
  }

  /** Adds a route (`ip route add`). */
  addRoute(spec: RouteSpec<Interface>): Route<Interface> {
    return this.fib.add(spec);
  }

  /** The interface owning local address `a`, if any. */
  localIface(a: Ipv4Addr): Interface | undefined {
    return this.localAddrs.get(a >>> 0);
  }

  /** True when `a` is one of our addresses. */
  isLocal(a: Ipv4Addr): boolean {
    return this.localAddrs.has(a >>> 0);
  }

  /**
   * Registers an L4 protocol (Linux `inet_add_protocol`).
   * @throws RangeError when the number is taken (unregister first)
   */
  registerProtocol(protocol: number, p: InetProtocol): void {
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) throw new RangeError(`protocol ${protocol}`);
    if (this.protos[protocol]) throw new RangeError(`protocol ${protocol} already registered`);
    this.protos[protocol] = p;
  }

  /** Removes an L4 protocol (`inet_del_protocol`). */
  unregisterProtocol(protocol: number): void {
    this.protos[protocol] = undefined;
  }

  /** The handler for `protocol` (`inet_protos[protocol]`). */
  protocolHandler(protocol: number): InetProtocol | undefined {
    return this.protos[protocol];
  }

  /**
   * Learned path MTU towards `daddr` (from ICMP frag-needed), if not expired.
   */
  pmtuFor(daddr: Ipv4Addr): number | undefined {
    const e = this.pmtu.get(daddr >>> 0);
    if (!e) return undefined;
    if (this.clock.now() >= e.expires) {
      this.pmtu.delete(daddr >>> 0);
      this.extraGen++;
      return undefined;
    }
    return e.mtu;
  }

  /**
   * Records a smaller path MTU (Linux `ip_rt_update_pmtu`; floor 552 like
   * `min_pmtu`). Invalidates cached dsts.
   */
  updatePmtu(daddr: Ipv4Addr, mtu: number): void {
    const m = Math.max(552, mtu);
    const cur = this.pmtuFor(daddr);
    if (cur !== undefined && cur <= m) return;
    this.pmtu.set(daddr >>> 0, { mtu: m, expires: this.clock.now() + this.pmtuExpiresMs });
    this.extraGen++;
  }

  /** Gateway learned from an ICMP redirect for `daddr`, if not expired (FIB nexthop exception). */
  redirectFor(daddr: Ipv4Addr): Ipv4Addr | undefined {
    const e = this.redirects.get(daddr >>> 0);
    if (!e) return undefined;
    if (this.clock.now() >= e.expires) {
      this.redirects.delete(daddr >>> 0);
      this.extraGen++;
      return undefined;
    }
    return e.gateway;
  }

  /** Records a redirect (Linux `__ip_do_redirect`); invalidates cached dsts. */
  learnRedirect(daddr: Ipv4Addr, gateway: Ipv4Addr): void {
    this.redirects.set(daddr >>> 0, { gateway: gateway >>> 0, expires: this.clock.now() + this.pmtuExpiresMs });
    this.extraGen++;
  }

  /** Route generation for dst revalidation (FIB changes + PMTU/address changes). */
  get genid(): number {
    return this.fib.genid * 65536 + this.extraGen;
  }

  /**
   * Entry point for a frame received on `iface` (Linux `netif_receive_skb` →
   * `eth_type_trans` → packet_type handler). `skb.data` is at the link header
   * (Ethernet) or the IPv4 header (raw links). Takes ownership.
   */
  netifReceive(iface: Interface, skb: SkBuff): void {
    ipRcvFromDevice(this, iface, skb);
    this.drain();
  }

  /**
   * Entry point for an IPv4 datagram already classified by the device layer
   * (`skb.data` at the IPv4 header, `skb.pktType` set): the packet_type handler
   * for ETH_P_IP. Takes ownership.
   */
  receiveIp(iface: Interface, skb: SkBuff): void {
    if (!iface.up) skb.free();
    else ipRcv(this, skb, iface);
    this.drain();
  }

  /** Like {@link Stack.receiveIp} for ARP (ETH_P_ARP handler). Takes ownership. */
  receiveArp(iface: Interface, skb: SkBuff): void {
    if (!iface.up) skb.free();
    else arpRcv(this, iface, skb);
    this.drain();
  }

  /** @internal queue a locally addressed datagram for delivery (loopback xmit). */
  loopback(skb: SkBuff, iface: Interface | undefined): void {
    this.backlog.push([skb, iface]);
  }

  /** @internal process the loopback backlog (bounded per call). */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let budget = 10_000;
      while (this.backlog.length && budget-- > 0) {
        const [skb, iface] = this.backlog.shift()!;
        ipRcv(this, skb, iface);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Releases every resource held (queued fragments, neighbour queues, socket queues). */
  close(): void {
    this.defrag.flush();
    for (const i of this.ifaces) i.neigh.flush();
    for (const [skb] of this.backlog.splice(0)) skb.free();
    this.udp.closeAll();
  }
}

