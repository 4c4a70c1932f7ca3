/**
 * Route resolution and the dst cache (Linux `ip_route_output_key`,
 * `ip_route_input_noref`, `struct dst_entry`, `__sk_dst_check`).
 *
 * A {@link DstEntry} is the result of one lookup: kind, output interface, next
 * hop, source address and path MTU. It carries the stack's route generation;
 * once the FIB, an address or a learned path MTU changes, the entry is stale and
 * {@link DstCache.check} makes `ipQueueXmit` look the route up again — the
 * socket-level dst cache of the thesis's `ip_queue_xmit`.
 *
 * @module
 */
import type { DeviceFeatures } from './device.js';
import type { Route } from './fib.js';
import type { Interface, Stack } from './stack.js';
import type { Ipv4Addr } from './wire/addr.js';
import { IPV4_BROADCAST, isLoopback, isMulticast } from './wire/addr.js';

/** Kinds of destinations. */
export type DstKind = 'local' | 'unicast' | 'broadcast';

/** Why an output route lookup failed (errno names, as Linux returns them). */
export type RouteError = 'ENETUNREACH' | 'EHOSTUNREACH' | 'EACCES' | 'EINVAL';

/** MTU of the internal loopback path (like `lo`). */
export const LOOPBACK_MTU = 65535;

/** A resolved route (Linux `struct rtable`). Immutable; check {@link DstEntry.genid}. */
export class DstEntry {
  constructor(
    readonly kind: DstKind,
    /** Output interface (for local: the interface owning the address, or undefined for 127/8). */
    readonly iface: Interface | undefined,
    readonly daddr: Ipv4Addr,
    /** Next hop: the gateway, or the destination itself on a connected route. */
    readonly nexthop: Ipv4Addr,
    /** Source address to use for locally generated traffic. */
    readonly saddr: Ipv4Addr,
    /** Path MTU (route metric, device MTU and learned PMTU, the smallest). */
    readonly mtu: number,
    /** Route generation this entry was computed at. */
    readonly genid: number,
    /** The FIB route used (undefined for 127/8 and limited broadcast). */
    readonly route: Route<Interface> | undefined,
  ) {}

  /** Offload features of the output device (all false for the loopback path's checksums: not needed). */
  get features(): DeviceFeatures {
    if (this.kind === 'local' || !this.iface) return { sg: true, hwCsum: true, tso: true, gsoMaxSize: 65536 };
    return this.iface.features;
  }

  /** Whether the entry is still valid for `stack` (`dst_check`). */
  valid(stack: Stack): boolean {
    return this.genid === stack.genid && (this.iface === undefined || this.iface.up);
  }
}

/**
 * A socket's cached route (Linux `sk->sk_dst_cache`). TCP keeps one per
 * connection and passes it to every `ipQueueXmit`.
 */
export class DstCache {
  dst: DstEntry | undefined;
  /** Number of times the cache had to be refilled (observability). */
  refills = 0;

  /** `__sk_dst_check`: the cached dst if still valid for `daddr`, else undefined (and cleared). */
  check(stack: Stack, daddr: Ipv4Addr): DstEntry | undefined {
    const d = this.dst;
    if (d && d.daddr === daddr >>> 0 && d.valid(stack)) return d;
    this.dst = undefined;
    return undefined;
  }

  /** `sk_dst_set`. */
  set(dst: DstEntry): void {
    this.dst = dst;
    this.refills++;
  }

  /** `sk_dst_reset`. */
  reset(): void {
    this.dst = undefined;
  }
}

/**
 * Output route lookup (Linux `ip_route_output_key`).
 * @param saddr - requested source; must be local when given (else `EINVAL`)
 * @returns a dst or the errno-style reason
 */
export function ipRouteOutput(stack: Stack, daddr: Ipv4Addr, saddr?: Ipv4Addr): DstEntry | RouteError {
  const d = daddr >>> 0;
  const gen = stack.genid;
  if (saddr !== undefined && saddr !== 0 && !stack.isLocal(saddr) && !isLoopback(saddr)) return 'EINVAL';
  if (isLoopback(d)) return new DstEntry('local', undefined, d, d, saddr || d, LOOPBACK_MTU, gen, undefined);
  if (d === IPV4_BROADCAST) {
    const iface = (saddr ? stack.localIface(saddr) : undefined) ?? stack.interfaces.find((i) => i.up && i.addr !== 0);
    if (!iface) return 'ENETUNREACH';
    return new DstEntry('broadcast', iface, d, d, saddr || iface.addr, iface.mtu, gen, undefined);
  }
  if (isMulticast(d)) return 'ENETUNREACH';
  const r = stack.fib.lookup(d);
  if (!r) return 'ENETUNREACH';
  switch (r.type) {
    case 'unreachable':
      return 'EHOSTUNREACH';
    case 'prohibit':
      return 'EACCES';
    case 'blackhole':
      return 'EINVAL';
    default:
      break;
  }
  const iface = r.iface!;
  if (!iface.up) return 'ENETUNREACH';
  const src = saddr || r.prefSrc || iface.addr;
  if (r.type === 'local') return new DstEntry('local', iface, d, d, saddr || d, LOOPBACK_MTU, gen, r);
  if (r.type === 'broadcast') return new DstEntry('broadcast', iface, d, d, src, iface.mtu, gen, r);
  let mtu = Math.min(r.mtu ?? iface.mtu, iface.mtu);
  const p = stack.pmtuFor(d);
  if (p !== undefined && p < mtu) mtu = p;
  const redirected = r.gateway !== undefined ? stack.redirectFor(d) : undefined;
  return new DstEntry('unicast', iface, d, redirected ?? r.gateway ?? d, src, mtu, stack.genid, r);
}

/** Why an input route lookup refused a datagram. */
export type InputRouteError = 'martian' | 'noforward' | 'noroute' | 'unreachable';

/**
 * Input route decision (Linux `ip_route_input_slow`): local, broadcast or
 * forward, or a reason to drop.
 */
export function ipRouteInput(stack: Stack, daddr: Ipv4Addr, saddr: Ipv4Addr, iface: Interface | undefined): DstEntry | InputRouteError {
  const d = daddr >>> 0;
  const s = saddr >>> 0;
  const gen = stack.genid;
  // Martian sources: multicast, limited broadcast, (non-loopback-path) 127/8.
  if (isMulticast(s) || s === IPV4_BROADCAST) return 'martian';
  if (iface && (isLoopback(s) || isLoopback(d))) return 'martian';
  if (d === IPV4_BROADCAST || (iface && d === iface.broadcast && iface.prefixLen < 31)) {
    return new DstEntry('broadcast', iface, d, d, iface?.addr ?? 0, iface?.mtu ?? LOOPBACK_MTU, gen, undefined);
  }
  if (isMulticast(d)) return 'martian';
  if (s === 0) return 'martian';
  if (isLoopback(d)) return new DstEntry('local', undefined, d, d, d, LOOPBACK_MTU, gen, undefined);
  const last = stack.lastLocalDst;
  if (last !== undefined && last.daddr === d && last.genid === gen) return last;
  const cached = stack.localDstCache.get(d);
  if (cached !== undefined && cached.genid === gen) return (stack.lastLocalDst = cached);
  const r = stack.fib.lookup(d);
  if (r && r.type === 'local') {
    // Input routes to our own addresses are shared (Linux caches them in the nexthop).
    const e = new DstEntry('local', r.iface, d, d, d, LOOPBACK_MTU, gen, r);
    stack.localDstCache.set(d, e);
    stack.lastLocalDst = e;
    return e;
  }
  if (r && r.type === 'broadcast') return new DstEntry('broadcast', r.iface, d, d, r.prefSrc ?? 0, r.iface?.mtu ?? 1500, gen, r);
  if (!stack.forwarding) return 'noforward';
  if (!r) return 'noroute';
  if (r.type !== 'unicast' || !r.iface || !r.iface.up) return 'unreachable';
  let mtu = Math.min(r.mtu ?? r.iface.mtu, r.iface.mtu);
  const p = stack.pmtuFor(d);
  if (p !== undefined && p < mtu) mtu = p;
  return new DstEntry('unicast', r.iface, d, r.gateway ?? d, r.prefSrc ?? r.iface.addr, mtu, gen, r);
}
