/**
 * The link-layer glue: Ethernet receive demux (Linux `eth_type_trans` +
 * `__netif_receive_skb` packet_type dispatch) and Ethernet header output
 * (`neigh_hh_output` / `dev_hard_header` + `dev_queue_xmit`).
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';
import { LL_MAX_HEADER } from './device.js';
import { arpRcv } from './arp.js';
import { ipRcv } from './input.js';
import type { Interface, Stack } from './stack.js';
import type { MacAddr } from './wire/addr.js';
import { readU16, writeU16 } from './wire/addr.js';
import { ETH_HLEN, EtherType } from './wire/ethernet.js';

/** `skb->pkt_type` values (Linux `PACKET_*`). */
export const PacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4 } as const;

/**
 * Receives a frame from `iface`'s device: classifies it (HOST / BROADCAST /
 * MULTICAST / OTHERHOST), pulls the Ethernet header and hands IPv4 to
 * {@link ipRcv} and ARP to {@link arpRcv}. Takes ownership.
 */
export function ipRcvFromDevice(stack: Stack, iface: Interface, skb: SkBuff): void {
  skb.dev = iface;
  if (!iface.up) {
    skb.free();
    return;
  }
  if (!iface.isEther) {
    skb.protocol = EtherType.IPV4;
    skb.pktType = PacketType.HOST;
    ipRcv(stack, skb, iface);
    return;
  }
  if (!skb.mayPull(ETH_HLEN)) {
    stack.rxLinkErrors++;
    skb.free();
    return;
  }
  const b = skb.buf;
  const d = skb.data;
  const mac = iface.mac;
  let t: number = PacketType.HOST;
  if (b[d]! & 1) {
    t = b[d] === 0xff && b[d + 1] === 0xff && b[d + 2] === 0xff && b[d + 3] === 0xff && b[d + 4] === 0xff && b[d + 5] === 0xff ? PacketType.BROADCAST : PacketType.MULTICAST;
  } else if (iface.noArp) {
    t = PacketType.HOST;
  } else if (b[d] !== mac[0] || b[d + 1] !== mac[1] || b[d + 2] !== mac[2] || b[d + 3] !== mac[3] || b[d + 4] !== mac[4] || b[d + 5] !== mac[5]) {
    t = PacketType.OTHERHOST;
  }
  const type = readU16(b, d + 12);
  skb.resetMacHeader();
  skb.pullRcsum(ETH_HLEN);
  skb.protocol = type;
  skb.pktType = t;
  if (t === PacketType.OTHERHOST) {
    stack.rxOtherHost++;
    skb.free();
    return;
  }
  if (type === EtherType.IPV4) ipRcv(stack, skb, iface);
  else if (type === EtherType.ARP) arpRcv(stack, iface, skb);
  else {
    stack.rxUnknownEthertype++;
    skb.free();
  }
}

/**
 * Pushes an Ethernet header for `dstMac` and transmits on `iface` (or, on a raw
 * link, transmits the bare datagram). `skb.data` is at the network header.
 * Takes ownership. Device drops count as `OutDiscards`.
 */
export function ipFinishOutputNeigh(iface: Interface, skb: SkBuff, dstMac: MacAddr, ethertype: number = EtherType.IPV4): void {
  if (iface.isEther) {
    if (skb.headroom() < ETH_HLEN || skb.headerCloned()) skb.cowHead(LL_MAX_HEADER);
    const o = skb.pushOff(ETH_HLEN);
    const b = skb.buf;
    b.set(dstMac.subarray(0, 6), o);
    b.set(iface.mac.subarray(0, 6), o + 6);
    writeU16(b, o + 12, ethertype);
    skb.resetMacHeader();
  }
  skb.protocol = ethertype;
  skb.dev = iface;
  if (!iface.dev.xmit(skb)) iface.stack.ipMib.OutDiscards++;
}
