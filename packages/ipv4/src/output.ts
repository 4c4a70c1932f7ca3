/**
 * The IPv4 send path (thesis §2.2.2; Linux `net/ipv4/ip_output.c`):
 *
 * ```
 * ipQueueXmit ─ dst cache / route ─ build header ─▶ ipLocalOut ─(LOCAL_OUT)─┬─▶ loopback backlog (local dst)
 *                                                                          └─▶ ipOutput ─(POST_ROUTING)─▶ ipFinishOutput
 *   ipFinishOutput ─ len > mtu ? ipFragment : ipFinishOutput2 ─ checksum help / linearize ─▶ neighbour output ─▶ dev.xmit
 * ```
 *
 * @module
 */
import { IpSummed, skbChecksumHelp, type SkBuff } from '@netlayers/skbuff';
import { LL_MAX_HEADER } from './device.js';
import { ipFragment } from './fragment.js';
import { ipFinishOutputNeigh } from './link.js';
import { NfHook, NfVerdict } from './netfilter.js';
import { ipRouteOutput, type DstCache, type DstEntry, type RouteError } from './route.js';
import type { Stack } from './stack.js';
import type { Ipv4Addr } from './wire/addr.js';
import { MAC_BROADCAST, MAC_ZERO, writeIpv4, writeU16 } from './wire/addr.js';
import { checksum16, sum16 } from './wire/checksum.js';
import { IP_DF, IPV4_FIELD } from './wire/ipv4.js';

/**
 * Path-MTU discovery policy (Linux `IP_MTU_DISCOVER`): `want` sets DF when the
 * datagram fits the path MTU (and fragments locally otherwise), `do` always
 * sets DF (oversized sends fail with EMSGSIZE), `dont` never sets DF.
 */
export type PmtuDisc = 'want' | 'do' | 'dont';

/** Arguments of {@link ipQueueXmit}. */
export interface XmitOptions {
  /** Destination address. */
  daddr: Ipv4Addr;
  /** Source address; default: the route's preferred source. Must be local. */
  saddr?: Ipv4Addr;
  /** IP protocol number of the payload (6 for TCP). */
  protocol: number;
  /** TOS octet (default 0). */
  tos?: number;
  /** TTL (default the stack's `defaultTtl`). */
  ttl?: number;
  /** Force DF on/off; overrides {@link XmitOptions.pmtudisc}. */
  df?: boolean;
  /** PMTU discovery policy when `df` is not given (default `want`). */
  pmtudisc?: PmtuDisc;
  /** The socket's dst cache: reused while valid, refilled otherwise (`sk_dst_cache`). */
  dst?: DstCache;
  /** Queueing priority copied to `skb.priority`. */
  priority?: number;
}

/** Outcome of a send: `'OK'` or an errno-style reason (the skb is consumed either way). */
export type XmitStatus = 'OK' | RouteError | 'EMSGSIZE' | 'ENOBUFS' | 'EPERM';

/**
 * Sends an L4 segment (Linux `ip_queue_xmit` / `__ip_queue_xmit`).
 *
 * On entry `skb.data` is at the L4 header, which is complete (checksum filled,
 * or `ipSummed = PARTIAL` with `csumStart`/`csumOffset` for devices with
 * checksum offload — the stack completes it in software otherwise), and at least
 * {@link MAX_HEADER} bytes of headroom are reserved (less works but costs a
 * reallocation). A clone whose original called `headerRelease()` may be passed
 * (TCP retransmit queue pattern). Takes ownership of `skb` in every case.
 *
 * GSO skbs (`skb.gsoSize > 0`) are not fragmented; they are passed to the
 * device, which segments them (netdev-ring GSO) or uses TSO.
 */
export function ipQueueXmit(stack: Stack, skb: SkBuff, opts: XmitOptions): XmitStatus {
  const daddr = opts.daddr >>> 0;
  let dst = opts.dst?.check(stack, daddr);
  if (!dst) {
    const r = ipRouteOutput(stack, daddr, opts.saddr);
    if (typeof r === 'string') {
      stack.ipMib.OutNoRoutes++;
      skb.free();
      stack.drain();
      return r;
    }
    dst = r;
    opts.dst?.set(r);
  }
  const st = ipBuildHeader(stack, skb, dst, opts);
  if (st !== 'OK') {
    skb.free();
    stack.drain();
    return st;
  }
  const res = ipLocalOut(stack, skb, dst);
  stack.drain();
  return res;
}

/** Pushes and fills a 20-byte IPv4 header (Linux `__ip_queue_xmit` header part + `ip_select_ident` + `ip_send_check`). */
function ipBuildHeader(stack: Stack, skb: SkBuff, dst: DstEntry, opts: XmitOptions): XmitStatus {
  const hadTransport = skb.transportHeader >= 0;
  const thOff = hadTransport ? skb.transportHeader - skb.data : 0;
  if (skb.headroom() < 20 + LL_MAX_HEADER || skb.headerCloned()) skb.cowHead(20 + LL_MAX_HEADER);
  const totLen = skb.len + 20;
  if (totLen > 0xffff && skb.gsoSize === 0) return 'EMSGSIZE';
  const o = skb.pushOff(20);
  const b = skb.buf;
  const saddr = (opts.saddr || dst.saddr) >>> 0;
  let df: boolean;
  if (opts.df !== undefined) df = opts.df;
  else {
    const pol = opts.pmtudisc ?? 'want';
    df = pol === 'do' || (pol === 'want' && (totLen <= dst.mtu || skb.gsoSize > 0));
  }
  if (df && totLen > dst.mtu && skb.gsoSize === 0 && dst.kind !== 'local') {
    stack.ipMib.OutDiscards++;
    stack.ipMib.FragFails++;
    return 'EMSGSIZE';
  }
  const segs = skb.gsoSize > 0 ? Math.max(1, skb.gsoSegs) : 1;
  const id = stack.idents.next(dst.daddr, saddr, opts.protocol, segs);
  b[o] = 0x45;
  b[o + 1] = opts.tos ?? 0;
  writeU16(b, o + IPV4_FIELD.LENGTH, totLen > 0xffff ? 0 : totLen);
  writeU16(b, o + IPV4_FIELD.IDENT, id);
  writeU16(b, o + IPV4_FIELD.FLG_OFF, df ? IP_DF : 0);
  b[o + IPV4_FIELD.TTL] = opts.ttl ?? stack.defaultTtl;
  b[o + IPV4_FIELD.PROTOCOL] = opts.protocol;
  writeU16(b, o + IPV4_FIELD.CHECKSUM, 0);
  writeIpv4(b, o + IPV4_FIELD.SRC_ADDR, saddr);
  writeIpv4(b, o + IPV4_FIELD.DST_ADDR, dst.daddr);
  writeU16(b, o + IPV4_FIELD.CHECKSUM, checksum16(sum16(b, o, 20)));
  skb.networkHeader = o;
  skb.transportHeader = hadTransport ? o + 20 + thOff : o + 20;
  skb.protocol = 0x0800;
  skb.cbRef = dst;
  if (opts.priority !== undefined) skb.priority = opts.priority;
  return 'OK';
}

/**
 * Local output (Linux `__ip_local_out` + `ip_local_out`): LOCAL_OUT hook, then
 * loopback delivery for local destinations or {@link ipOutput}.
 * `skb.data` at the (complete) IPv4 header. Takes ownership.
 */
export function ipLocalOut(stack: Stack, skb: SkBuff, dst: DstEntry): XmitStatus {
  stack.ipMib.OutRequests++;
  if (stack.netfilter.active(NfHook.LOCAL_OUT)) {
    const v = stack.netfilter.run(NfHook.LOCAL_OUT, skb, undefined, dst.iface);
    if (v === NfVerdict.DROP) {
      stack.ipMib.OutDiscards++;
      skb.free();
      return 'EPERM';
    }
    if (v === NfVerdict.STOLEN) return 'OK';
  }
  if (dst.kind === 'local') {
    // The loopback "device": checksums need not be computed or verified (lo's RXCSUM).
    if (skb.ipSummed === IpSummed.PARTIAL || skb.ipSummed === IpSummed.NONE) skb.ipSummed = IpSummed.UNNECESSARY;
    skb.pktType = 0;
    stack.loopback(skb, undefined);
    return 'OK';
  }
  return ipOutput(stack, skb, dst);
}

/** Linux `ip_output`: POST_ROUTING, then {@link ipFinishOutput}. */
export function ipOutput(stack: Stack, skb: SkBuff, dst: DstEntry): XmitStatus {
  skb.dev = dst.iface ?? null;
  if (stack.netfilter.active(NfHook.POST_ROUTING)) {
    const v = stack.netfilter.run(NfHook.POST_ROUTING, skb, undefined, dst.iface);
    if (v === NfVerdict.DROP) {
      stack.ipMib.OutDiscards++;
      skb.free();
      return 'EPERM';
    }
    if (v === NfVerdict.STOLEN) return 'OK';
  }
  return ipFinishOutput(stack, skb, dst);
}

/** Linux `ip_finish_output`: fragment when larger than the path MTU. */
export function ipFinishOutput(stack: Stack, skb: SkBuff, dst: DstEntry): XmitStatus {
  if (skb.len > dst.mtu && skb.gsoSize === 0) return ipFragment(stack, skb, dst, (f) => ipFinishOutput2(stack, f, dst));
  return ipFinishOutput2(stack, skb, dst);
}

/**
 * Linux `ip_finish_output2` + the `dev_queue_xmit` preparation
 * (`validate_xmit_skb`): completes CHECKSUM_PARTIAL in software when the
 * device cannot, linearizes for non-SG devices, then resolves the next hop.
 */
export function ipFinishOutput2(stack: Stack, skb: SkBuff, dst: DstEntry): XmitStatus {
  const iface = dst.iface;
  if (!iface) {
    skb.free();
    return 'ENETUNREACH';
  }
  const feat = iface.features;
  if (skb.ipSummed === IpSummed.PARTIAL && !feat.hwCsum && skb.gsoSize === 0) skbChecksumHelp(skb);
  if (skb.dataLen > 0 && !feat.sg) skb.linearize();
  if (!iface.isEther) {
    skb.protocol = 0x0800;
    skb.dev = iface;
    if (!iface.dev.xmit(skb)) {
      stack.ipMib.OutDiscards++;
      return 'ENOBUFS';
    }
    return 'OK';
  }
  if (iface.noArp) {
    ipFinishOutputNeigh(iface, skb, MAC_ZERO);
    return 'OK';
  }
  if (dst.kind === 'broadcast') {
    ipFinishOutputNeigh(iface, skb, MAC_BROADCAST);
    return 'OK';
  }
  const r = iface.neigh.output(skb, dst.nexthop);
  return r === 'dropped' ? 'ENOBUFS' : 'OK';
}
