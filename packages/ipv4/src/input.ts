/**
 * The IPv4 receive path (thesis §2.2.1; Linux `net/ipv4/ip_input.c`):
 *
 * ```
 * ipRcv ─(PRE_ROUTING)─▶ ipRcvFinish ─ route ─┬─▶ ipLocalDeliver ─ defrag ─(LOCAL_IN)─▶ ipLocalDeliverFinish ─▶ inetProtos[p].handler
 *                                              └─▶ ipForward ─(FORWARD)─▶ ipForwardFinish ─▶ ipOutput
 * ```
 *
 * `ipRcv` applies the checks of `ip_rcv_core` (≥ 20 bytes, version 4, IHL ≥ 5,
 * header checksum, total length ≤ skb length and ≥ IHL·4), trims link padding
 * and counts every drop under one reason in {@link IpMib}.
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';
import { LL_MAX_HEADER } from './device.js';
import { icmpSend } from './icmp.js';
import { PacketType } from './link.js';
import { NfHook, NfVerdict } from './netfilter.js';
import { ipOutput } from './output.js';
import { ipRouteInput, type DstEntry } from './route.js';
import type { Interface, Stack } from './stack.js';
import { readIpv4, readU16 } from './wire/addr.js';
import { checksumReplace16, fold16, sum16 } from './wire/checksum.js';
import { IcmpRedirectCode, IcmpTimeExceededCode, IcmpType, IcmpUnreachCode } from './wire/icmpv4.js';
import { IP_DF, IP_MF, IP_OFFSET, IPV4_FIELD, parseIpv4Options } from './wire/ipv4.js';
import { ParseError } from './wire/error.js';

/**
 * Receives one IPv4 datagram (Linux `ip_rcv` + `ip_rcv_core`). `skb.data` is at
 * the IPv4 header; `iface` is the input interface (undefined on the internal
 * loopback path). Takes ownership.
 */
export function ipRcv(stack: Stack, skb: SkBuff, iface: Interface | undefined): void {
  const mib = stack.ipMib;
  mib.InReceives++;
  if (skb.pktType === PacketType.OTHERHOST) {
    skb.free();
    return;
  }
  if (!skb.mayPull(20)) return hdrError(stack, skb);
  let b = skb.buf;
  let nh = skb.data;
  const vihl = b[nh]!;
  const ihl = (vihl & 0x0f) << 2;
  if (vihl >>> 4 !== 4 || ihl < 20) return hdrError(stack, skb);
  if (ihl > 20) {
    if (!skb.mayPull(ihl)) return hdrError(stack, skb);
    b = skb.buf;
    nh = skb.data;
  }
  if (fold16(sum16(b, nh, ihl)) !== 0xffff) {
    mib.InCsumErrors++;
    return hdrError(stack, skb);
  }
  const tot = (b[nh + 2]! << 8) | b[nh + 3]!;
  if (skb.len < tot) {
    mib.InTruncatedPkts++;
    skb.free();
    return;
  }
  if (tot < ihl) return hdrError(stack, skb);
  if (skb.len > tot) skb.trimRcsum(tot);
  skb.networkHeader = nh;
  skb.transportHeader = nh + ihl;
  skb.protocol = 0x0800;
  skb.dev = iface ?? null;
  if (stack.netfilter.active(NfHook.PRE_ROUTING)) {
    const v = stack.netfilter.run(NfHook.PRE_ROUTING, skb, iface, undefined);
    if (v === NfVerdict.DROP) return void (stack.ipMib.InDiscards++, skb.free());
    if (v === NfVerdict.STOLEN) return;
  }
  ipRcvFinish(stack, skb, iface);
}

function hdrError(stack: Stack, skb: SkBuff): void {
  stack.ipMib.InHdrErrors++;
  skb.free();
}

/**
 * Routes a received datagram and processes options (Linux `ip_rcv_finish` →
 * `ip_route_input_noref` → `ip_rcv_options` → `dst_input`).
 */
export function ipRcvFinish(stack: Stack, skb: SkBuff, iface: Interface | undefined): void {
  const b = skb.buf;
  const nh = skb.networkHeader;
  const ihl = (b[nh]! & 0x0f) << 2;
  if (ihl > 20) {
    // ip_rcv_options: malformed options are header errors (RFC 1122 §3.2.1.8).
    try {
      parseIpv4Options(b.subarray(nh + 20, nh + ihl));
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      return hdrError(stack, skb);
    }
  }
  const daddr = readIpv4(b, nh + IPV4_FIELD.DST_ADDR);
  const saddr = readIpv4(b, nh + IPV4_FIELD.SRC_ADDR);
  const dst = ipRouteInput(stack, daddr, saddr, iface);
  if (typeof dst === 'string') {
    const mib = stack.ipMib;
    switch (dst) {
      case 'martian':
      case 'noforward':
        mib.InAddrErrors++;
        break;
      case 'noroute':
        mib.InNoRoutes++;
        icmpSend(stack, skb, IcmpType.DEST_UNREACH, IcmpUnreachCode.NET, 0);
        break;
      case 'unreachable':
        mib.InNoRoutes++;
        icmpSend(stack, skb, IcmpType.DEST_UNREACH, IcmpUnreachCode.HOST, 0);
        break;
    }
    skb.free();
    return;
  }
  skb.cbRef = dst;
  if (dst.kind === 'unicast') ipForward(stack, skb, dst, iface);
  else ipLocalDeliver(stack, skb, dst, iface);
}

/**
 * Local delivery (Linux `ip_local_deliver`): reassembles fragments, runs
 * LOCAL_IN, then {@link ipLocalDeliverFinish}.
 */
export function ipLocalDeliver(stack: Stack, skb: SkBuff, dst: DstEntry, iface: Interface | undefined): void {
  const fw = readU16(skb.buf, skb.networkHeader + IPV4_FIELD.FLG_OFF);
  if (fw & (IP_MF | IP_OFFSET)) {
    const whole = stack.defrag.defrag(skb);
    if (!whole) return;
    skb = whole;
    skb.cbRef = dst;
  }
  if (stack.netfilter.active(NfHook.LOCAL_IN)) {
    const v = stack.netfilter.run(NfHook.LOCAL_IN, skb, iface, undefined);
    if (v === NfVerdict.DROP) return void (stack.ipMib.InDiscards++, skb.free());
    if (v === NfVerdict.STOLEN) return;
  }
  ipLocalDeliverFinish(stack, skb, dst);
}

/**
 * Hands the datagram to its L4 protocol (Linux `ip_local_deliver_finish` →
 * `ip_protocol_deliver_rcu`): pulls the IP header, sets the transport header
 * and calls `inetProtos[protocol].handler(skb)`; unknown protocols get ICMP
 * protocol unreachable (not for broadcasts) and count InUnknownProtos.
 */
export function ipLocalDeliverFinish(stack: Stack, skb: SkBuff, dst: DstEntry): void {
  const nh = skb.networkHeader;
  const ihl = (skb.buf[nh]! & 0x0f) << 2;
  const proto = skb.buf[nh + IPV4_FIELD.PROTOCOL]!;
  skb.pull(ihl);
  skb.resetTransportHeader();
  const p = stack.protocolHandler(proto);
  if (p) {
    stack.ipMib.InDelivers++;
    p.handler(skb);
    return;
  }
  stack.ipMib.InUnknownProtos++;
  if (dst.kind !== 'broadcast') icmpSend(stack, skb, IcmpType.DEST_UNREACH, IcmpUnreachCode.PROTOCOL, 0);
  skb.free();
}

/**
 * Forwards a datagram (Linux `ip_forward`): TTL check (ICMP time exceeded),
 * DF vs path MTU (ICMP fragmentation needed), private copy of the header, TTL
 * decrement with an RFC 1624 incremental checksum update, FORWARD hook, then
 * {@link ipOutput}.
 */
export function ipForward(stack: Stack, skb: SkBuff, dst: DstEntry, iface: Interface | undefined): void {
  const mib = stack.ipMib;
  if (skb.pktType !== PacketType.HOST) {
    mib.InAddrErrors++;
    skb.free();
    return;
  }
  let b = skb.buf;
  let nh = skb.networkHeader;
  const ttl = b[nh + IPV4_FIELD.TTL]!;
  if (ttl <= 1) {
    mib.InHdrErrors++;
    icmpSend(stack, skb, IcmpType.TIME_EXCEEDED, IcmpTimeExceededCode.TTL, 0);
    skb.free();
    return;
  }
  const fw = readU16(b, nh + IPV4_FIELD.FLG_OFF);
  if (skb.len > dst.mtu && fw & IP_DF && skb.gsoSize === 0) {
    mib.FragFails++;
    icmpSend(stack, skb, IcmpType.DEST_UNREACH, IcmpUnreachCode.FRAG_NEEDED, dst.mtu);
    skb.free();
    return;
  }
  // RFC 1812 §5.2.7.2 / ip_rt_send_redirect: the datagram leaves by the link it
  // came from and source and next hop share that link → tell the source.
  if (stack.sendRedirects && iface !== undefined && dst.iface === iface && iface.prefixLen < 32) {
    const m = iface.mask;
    const saddr = readIpv4(b, nh + IPV4_FIELD.SRC_ADDR);
    const net = (iface.addr & m) >>> 0;
    if (((saddr & m) >>> 0) === net && ((dst.nexthop & m) >>> 0) === net) {
      icmpSend(stack, skb, IcmpType.REDIRECT, IcmpRedirectCode.HOST, dst.nexthop);
    }
  }
  // skb_cow: make the header private (and leave room for the link header).
  const off = nh - skb.data;
  skb.cow(LL_MAX_HEADER);
  b = skb.buf;
  nh = skb.data + off;
  skb.networkHeader = nh;
  const oldWord = (ttl << 8) | b[nh + IPV4_FIELD.PROTOCOL]!;
  b[nh + IPV4_FIELD.TTL] = ttl - 1;
  const c = (b[nh + 10]! << 8) | b[nh + 11]!;
  const nc = checksumReplace16(c, oldWord, oldWord - 0x100);
  b[nh + 10] = nc >>> 8;
  b[nh + 11] = nc & 0xff;
  skb.cbRef = dst;
  if (stack.netfilter.active(NfHook.FORWARD)) {
    const v = stack.netfilter.run(NfHook.FORWARD, skb, iface, dst.iface);
    if (v === NfVerdict.DROP) return void (stack.ipMib.InDiscards++, skb.free());
    if (v === NfVerdict.STOLEN) return;
  }
  ipForwardFinish(stack, skb, dst);
}

/** Linux `ip_forward_finish`: counts and outputs. */
export function ipForwardFinish(stack: Stack, skb: SkBuff, dst: DstEntry): void {
  stack.ipMib.ForwDatagrams++;
  ipOutput(stack, skb, dst);
}
