/**
 * ARP input and output (RFC 826; Linux `net/ipv4/arp.c`: `arp_rcv`,
 * `arp_process`, `arp_send`, gratuitous ARP on address configuration).
 *
 * @module
 */
import { allocSkb, type SkBuff } from '@netlayers/skbuff';
import { LL_MAX_HEADER } from './device.js';
import { ipFinishOutputNeigh } from './link.js';
import type { Interface, Stack } from './stack.js';
import type { Ipv4Addr, MacAddr } from './wire/addr.js';
import { MAC_BROADCAST, MAC_ZERO, isLoopback, isMulticast } from './wire/addr.js';
import { ArpOperation, ArpPacket, ArpRepr } from './wire/arp.js';
import { ParseError } from './wire/error.js';
import { EtherType } from './wire/ethernet.js';

/** Builds and sends one ARP packet on `iface` (Linux `arp_send`). */
export function arpSend(iface: Interface, op: ArpOperation, tip: Ipv4Addr, dstMac: MacAddr, tha: MacAddr, sip: Ipv4Addr = iface.addr): void {
  const repr = new ArpRepr(op, iface.mac, sip, tha, tip);
  const skb = allocSkb(LL_MAX_HEADER + repr.bufferLen());
  skb.reserve(LL_MAX_HEADER);
  const o = skb.putOff(repr.bufferLen());
  repr.emit(ArpPacket.unchecked(skb.buf.subarray(o, o + repr.bufferLen())));
  skb.resetNetworkHeader();
  ipFinishOutputNeigh(iface, skb, dstMac, EtherType.ARP);
}

/** ARP request for `target` (broadcast, or unicast to `dstMac` when re-probing). */
export function arpSendRequest(iface: Interface, target: Ipv4Addr, dstMac: MacAddr): void {
  arpSend(iface, ArpOperation.REQUEST, target, dstMac, MAC_ZERO);
}

/** Gratuitous ARP announcing `iface.addr` (request with sender = target address). */
export function arpSendGratuitous(iface: Interface): void {
  iface.stack.arpMib.OutRequests++;
  arpSend(iface, ArpOperation.REQUEST, iface.addr, MAC_BROADCAST, MAC_ZERO);
}

/**
 * Processes a received ARP packet (`arp_rcv` → `arp_process`): validates it,
 * updates the neighbour table and answers requests for any local address
 * (arp_ignore = 0). Takes ownership.
 */
export function arpRcv(stack: Stack, iface: Interface, skb: SkBuff): void {
  const mib = stack.arpMib;
  try {
    if (!skb.mayPull(28)) {
      mib.InErrors++;
      return;
    }
    let repr: ArpRepr;
    try {
      repr = ArpRepr.parse(ArpPacket.checked(skb.buf.subarray(skb.data, skb.tail)));
    } catch (e) {
      if (e instanceof ParseError) {
        mib.InErrors++;
        return;
      }
      throw e;
    }
    const sha = repr.senderHardwareAddr;
    const sip = repr.senderProtocolAddr;
    if (sha[0]! & 1 || isMulticast(repr.targetProtocolAddr) || isLoopback(repr.targetProtocolAddr) || isMulticast(sip) || isLoopback(sip)) {
      mib.InErrors++;
      return;
    }
    // Someone claims one of our addresses: do not learn it (address conflict).
    if (stack.isLocal(sip) && sip !== 0) return;
    const forUs = stack.isLocal(repr.targetProtocolAddr);
    const reply = iface.neigh.arpInput(repr, forUs);
    if (reply) {
      mib.OutReplies++;
      arpSend(iface, ArpOperation.REPLY, sip, sha, sha, repr.targetProtocolAddr);
    }
  } finally {
    skb.free();
  }
}
