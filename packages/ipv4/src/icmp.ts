/**
 * ICMPv4 (RFC 792, RFC 1122 §3.2.2, RFC 1812 §4.3.2; Linux `net/ipv4/icmp.c`).
 *
 * Input ({@link icmpRcv}): checksum, echo → echo reply, errors → path-MTU update
 * (frag-needed, RFC 1191) and the quoted protocol's `errHandler`.
 *
 * Output ({@link icmpSend}): the RFC 1122 §3.2.2 "never send an error about"
 * rules (ICMP errors, non-first fragments, link-level broadcast/multicast,
 * non-unicast sources), a token-bucket rate limit (`icmp_msgs_per_sec` /
 * `icmp_msgs_burst`; frag-needed exempt), quoting as much of the offending
 * datagram as fits in 576 bytes.
 *
 * @module
 */
import { allocSkb, IpSummed, skbChecksum, type SkBuff } from '@netlayers/skbuff';
import { MAX_HEADER } from './device.js';
import { PacketType } from './link.js';
import { ipQueueXmit, type XmitStatus } from './output.js';
import type { IcmpErrorInfo, Stack } from './stack.js';
import { IPV4_BROADCAST, isMulticast, readIpv4, readU16, writeIpv4, writeU16 } from './wire/addr.js';
import { ipRouteOutput } from './route.js';
import { checksum16, fold16, sum16 } from './wire/checksum.js';
import { ICMP_HEADER_LEN, IcmpType, IcmpUnreachCode, IcmpTimeExceededCode, isIcmpError } from './wire/icmpv4.js';
import { IP_OFFSET, IPV4_FIELD, IpProtocol, Ipv4Packet } from './wire/ipv4.js';

/** Largest ICMP error datagram (RFC 1812 §4.3.2.3: 576 bytes). */
export const ICMP_ERROR_MAX = 576;

/**
 * Receives an ICMP message (Linux `icmp_rcv`). `skb.data` at the ICMP header.
 * Takes ownership.
 */
export function icmpRcv(stack: Stack, skb: SkBuff): void {
  const mib = stack.icmpMib;
  mib.InMsgs++;
  try {
    if (!skb.mayPull(ICMP_HEADER_LEN)) {
      mib.InErrors++;
      return;
    }
    if (skb.ipSummed !== IpSummed.UNNECESSARY && fold16(skbChecksum(skb, 0, skb.len, 0)) !== 0xffff) {
      mib.InCsumErrors++;
      mib.InErrors++;
      return;
    }
    const b = skb.buf;
    const d = skb.data;
    const type = b[d]!;
    const code = b[d + 1]!;
    switch (type) {
      case IcmpType.ECHO:
        mib.InEchos++;
        if (stack.echoReply && !isBroadcastDst(stack, skb)) icmpEchoReply(stack, skb);
        return;
      case IcmpType.ECHO_REPLY:
        mib.InEchoReps++;
        stack.onEchoReply?.(skb, readU16(b, d + 4), readU16(b, d + 6), readIpv4(b, skb.networkHeader + IPV4_FIELD.SRC_ADDR));
        return;
      case IcmpType.DEST_UNREACH:
        mib.InDestUnreachs++;
        icmpUnreach(stack, skb, type, code);
        return;
      case IcmpType.TIME_EXCEEDED:
        mib.InTimeExcds++;
        icmpUnreach(stack, skb, type, code);
        return;
      case IcmpType.REDIRECT:
        mib.InRedirects++;
        icmpRedirect(stack, skb);
        icmpUnreach(stack, skb, type, code);
        return;
      case IcmpType.PARAMETER_PROB:
      case IcmpType.SOURCE_QUENCH:
        icmpUnreach(stack, skb, type, code);
        return;
      default:
        return;
    }
  } finally {
    skb.free();
  }
}

function isBroadcastDst(stack: Stack, skb: SkBuff): boolean {
  const daddr = readIpv4(skb.buf, skb.networkHeader + IPV4_FIELD.DST_ADDR);
  return daddr === IPV4_BROADCAST || isMulticast(daddr) || !stack.isLocal(daddr) && !((daddr >>> 24) === 127);
}

/**
 * Linux `icmp_redirect` → `__ip_do_redirect`: accepted only when redirects are
 * enabled, the message comes from the gateway we currently use for that
 * destination, and the new gateway is on the same link and not ours.
 */
function icmpRedirect(stack: Stack, skb: SkBuff): void {
  if (!stack.acceptRedirects || !skb.mayPull(ICMP_HEADER_LEN + 20)) return;
  const b = skb.buf;
  const d = skb.data;
  const gw = readIpv4(b, d + 4);
  const target = readIpv4(b, d + ICMP_HEADER_LEN + IPV4_FIELD.DST_ADDR);
  const from = readIpv4(b, skb.networkHeader + IPV4_FIELD.SRC_ADDR);
  const r = ipRouteOutput(stack, target);
  if (typeof r === 'string' || r.kind !== 'unicast' || !r.iface || r.nexthop !== from || r.nexthop === target) return;
  const m = r.iface.mask;
  if (((gw & m) >>> 0) !== ((r.iface.addr & m) >>> 0) || stack.isLocal(gw) || isMulticast(gw) || gw === 0 || gw === IPV4_BROADCAST) return;
  stack.learnRedirect(target, gw);
}

/** Linux `icmp_unreach`: validates the quote, learns PMTU, notifies the protocol. */
function icmpUnreach(stack: Stack, skb: SkBuff, type: number, code: number): void {
  const mib = stack.icmpMib;
  if (!skb.mayPull(ICMP_HEADER_LEN + 20)) {
    mib.InErrors++;
    return;
  }
  let b = skb.buf;
  let d = skb.data;
  const qihl = (b[d + 8]! & 0x0f) << 2;
  if (b[d + 8]! >>> 4 !== 4 || qihl < 20 || !skb.mayPull(ICMP_HEADER_LEN + qihl + 8)) {
    mib.InErrors++;
    return;
  }
  b = skb.buf;
  d = skb.data;
  const quoted = Ipv4Packet.unchecked(b.subarray(d + 8, d + 8 + qihl + 8));
  const info = type === IcmpType.PARAMETER_PROB ? b[d + 4]! : type === IcmpType.REDIRECT ? readIpv4(b, d + 4) : readU16(b, d + 6);
  if (type === IcmpType.DEST_UNREACH && code === IcmpUnreachCode.FRAG_NEEDED && info >= 68) stack.updatePmtu(quoted.dst, info);
  const p = stack.protocolHandler(quoted.protocol);
  if (p?.errHandler) {
    const err: IcmpErrorInfo = { type, code, info, quoted, quotedL4: b.subarray(d + 8 + qihl, d + 8 + qihl + 8) };
    p.errHandler(skb, err);
  }
}

/** Linux `icmp_echo` → `icmp_reply`: answers with the same identifier, sequence and data. */
function icmpEchoReply(stack: Stack, skb: SkBuff): void {
  const len = skb.len;
  const r = allocSkb(MAX_HEADER + len);
  r.reserve(MAX_HEADER);
  const o = r.putOff(len);
  skb.copyBits(0, r.buf, len, o);
  r.buf[o] = IcmpType.ECHO_REPLY;
  r.buf[o + 1] = 0;
  writeU16(r.buf, o + 2, 0);
  writeU16(r.buf, o + 2, checksum16(sum16(r.buf, o, len)));
  r.resetTransportHeader();
  const nb = skb.buf;
  const nh = skb.networkHeader;
  const saddr = readIpv4(nb, nh + IPV4_FIELD.DST_ADDR);
  const daddr = readIpv4(nb, nh + IPV4_FIELD.SRC_ADDR);
  stack.icmpMib.OutMsgs++;
  stack.icmpMib.OutEchoReps++;
  ipQueueXmit(stack, r, { saddr, daddr, protocol: IpProtocol.ICMP, tos: nb[nh + 1]!, pmtudisc: 'dont' });
}

/**
 * Sends an ICMP error about `skbIn` (Linux `__icmp_send`). `skbIn.networkHeader`
 * must mark the offending IPv4 header (linear). Does not consume `skbIn`.
 *
 * @param info - next-hop MTU for FRAG_NEEDED, pointer for PARAMETER_PROB
 * @returns true when a message was sent
 */
export function icmpSend(stack: Stack, skbIn: SkBuff, type: number, code: number, info: number): boolean {
  const nh = skbIn.networkHeader;
  if (nh < 0) return false;
  const b = skbIn.buf;
  if (skbIn.pktType !== PacketType.HOST && skbIn.pktType !== PacketType.OUTGOING) return false;
  const ihl = (b[nh]! & 0x0f) << 2;
  const saddr = readIpv4(b, nh + IPV4_FIELD.SRC_ADDR);
  const daddr = readIpv4(b, nh + IPV4_FIELD.DST_ADDR);
  if (saddr === 0 || saddr === IPV4_BROADCAST || isMulticast(saddr) || isMulticast(daddr) || daddr === IPV4_BROADCAST) return false;
  // Only the first fragment may trigger an error.
  if (readU16(b, nh + IPV4_FIELD.FLG_OFF) & IP_OFFSET) return false;
  // Never an error about an ICMP error (or about an unknown ICMP type).
  const totLen = readU16(b, nh + IPV4_FIELD.LENGTH);
  const dataOff = nh + ihl - skbIn.data; // offset of the L4 header relative to data
  if (b[nh + IPV4_FIELD.PROTOCOL] === IpProtocol.ICMP) {
    const t = peekByte(skbIn, dataOff);
    if (t === undefined || isIcmpError(t) || t > IcmpType.TIMESTAMP_REPLY) return false;
  }
  if (!(type === IcmpType.DEST_UNREACH && code === IcmpUnreachCode.FRAG_NEEDED) && !rateAllow(stack)) {
    stack.icmpMib.OutRateLimited++;
    return false;
  }
  // Quote: IP header + as much payload as fits in 576 bytes (RFC 1812 §4.3.2.3).
  const avail = Math.min(totLen, ihl + Math.max(0, skbIn.len - Math.max(0, dataOff)));
  const qlen = Math.min(avail, ICMP_ERROR_MAX - 20 - ICMP_HEADER_LEN);
  const skb = allocSkb(MAX_HEADER + ICMP_HEADER_LEN + qlen);
  skb.reserve(MAX_HEADER);
  const o = skb.putOff(ICMP_HEADER_LEN + qlen);
  const ob = skb.buf;
  ob[o] = type;
  ob[o + 1] = code;
  writeU16(ob, o + 2, 0);
  if (type === IcmpType.REDIRECT) writeIpv4(ob, o + 4, info);
  else {
    writeU16(ob, o + 4, type === IcmpType.PARAMETER_PROB ? (info & 0xff) << 8 : 0);
    writeU16(ob, o + 6, type === IcmpType.DEST_UNREACH && code === IcmpUnreachCode.FRAG_NEEDED ? info & 0xffff : 0);
  }
  copyFromNetworkHeader(skbIn, ob, o + ICMP_HEADER_LEN, qlen);
  writeU16(ob, o + 2, checksum16(sum16(ob, o, ICMP_HEADER_LEN + qlen)));
  skb.resetTransportHeader();
  // Source: the address the offending datagram was sent to when it is ours,
  // else the route's preferred source towards the sender (inet_select_addr).
  const src = stack.isLocal(daddr) ? daddr : undefined;
  const mib = stack.icmpMib;
  mib.OutMsgs++;
  if (type === IcmpType.DEST_UNREACH) mib.OutDestUnreachs++;
  else if (type === IcmpType.TIME_EXCEEDED) mib.OutTimeExcds++;
  else if (type === IcmpType.REDIRECT) mib.OutRedirects++;
  const tos = ((b[nh + 1]! & 0x1e) | 0xc0) & 0xff; // IPTOS_PREC_INTERNETCONTROL
  const st = ipQueueXmit(stack, skb, src === undefined ? { daddr: saddr, protocol: IpProtocol.ICMP, tos, pmtudisc: 'dont' } : { daddr: saddr, saddr: src, protocol: IpProtocol.ICMP, tos, pmtudisc: 'dont' });
  if (st !== 'OK') mib.OutErrors++;
  return st === 'OK';
}

function peekByte(skb: SkBuff, off: number): number | undefined {
  if (off < 0) return skb.buf[skb.data + off];
  if (off >= skb.len) return undefined;
  if (off < skb.headlen) return skb.buf[skb.data + off];
  const one = new Uint8Array(1);
  skb.copyBits(off, one, 1);
  return one[0];
}

/** Copies `len` bytes starting at the network header (which may precede `data`). */
function copyFromNetworkHeader(skb: SkBuff, dst: Uint8Array, dstOff: number, len: number): void {
  const nh = skb.networkHeader;
  const rel = nh - skb.data;
  if (rel >= 0) {
    skb.copyBits(rel, dst, Math.min(len, skb.len - rel), dstOff);
    return;
  }
  // Header bytes before data (already pulled) are still in the linear buffer.
  const before = Math.min(len, -rel);
  dst.set(skb.buf.subarray(nh, nh + before), dstOff);
  if (len > before) skb.copyBits(0, dst, Math.min(len - before, skb.len), dstOff + before);
}

function rateAllow(stack: Stack): boolean {
  const now = stack.clock.now();
  const r = stack.icmpRate;
  stack.icmpTokens = Math.min(r.burst, stack.icmpTokens + ((now - stack.icmpLast) * r.perSecond) / 1000);
  stack.icmpLast = now;
  if (stack.icmpTokens < 1) return false;
  stack.icmpTokens -= 1;
  return true;
}

/**
 * Sends an ICMP echo request (what `ping` does). Replies are reported through
 * `stack.onEchoReply`.
 * @returns the `ipQueueXmit` status
 */
export function icmpSendEcho(stack: Stack, daddr: number, ident: number, seq: number, data: Uint8Array = new Uint8Array(0), opts: { saddr?: number; ttl?: number; tos?: number; df?: boolean } = {}): XmitStatus {
  const len = ICMP_HEADER_LEN + data.length;
  const skb = allocSkb(MAX_HEADER + len);
  skb.reserve(MAX_HEADER);
  const o = skb.putOff(len);
  const b = skb.buf;
  b[o] = IcmpType.ECHO;
  b[o + 1] = 0;
  writeU16(b, o + 2, 0);
  writeU16(b, o + 4, ident & 0xffff);
  writeU16(b, o + 6, seq & 0xffff);
  b.set(data, o + ICMP_HEADER_LEN);
  writeU16(b, o + 2, checksum16(sum16(b, o, len)));
  skb.resetTransportHeader();
  stack.icmpMib.OutMsgs++;
  stack.icmpMib.OutEchos++;
  return ipQueueXmit(stack, skb, { ...opts, daddr, protocol: IpProtocol.ICMP });
}

/** Neighbour resolution failed: ICMP host unreachable to the sender, then free (`ipv4_link_failure`). */
export function icmpSendHostUnreach(stack: Stack, skb: SkBuff): void {
  stack.ipMib.OutDiscards++;
  skb.pktType = PacketType.HOST;
  if (skb.networkHeader < 0) skb.resetNetworkHeader();
  icmpSend(stack, skb, IcmpType.DEST_UNREACH, IcmpUnreachCode.HOST, 0);
  skb.free();
}

/** Reassembly timed out: ICMP time exceeded (fragment reassembly) about the first fragment. */
export function icmpSendReasmTimeout(stack: Stack, first: SkBuff): void {
  icmpSend(stack, first, IcmpType.TIME_EXCEEDED, IcmpTimeExceededCode.FRAG_REASM, 0);
}
