/**
 * Ethernet II framing at the device boundary: `eth_type_trans` (receive) and
 * `eth_header` (transmit), plus ethertype / packet-type constants.
 *
 * ```
 *  0      6      12     14
 *  | dst  | src  | type | payload …
 * ```
 *
 * Linux counterparts: `net/ethernet/eth.c` (`eth_type_trans`, `eth_header`),
 * `include/uapi/linux/if_ether.h`, `include/uapi/linux/if_packet.h`.
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';

/** Ethernet header length. */
export const ETH_HLEN = 14;
/** Ethernet address length. */
export const ETH_ALEN = 6;
/** Minimum ethertype value (smaller values are 802.3 lengths). */
export const ETH_P_802_3_MIN = 0x0600;

/** Ethertypes (`ETH_P_*`, host order). */
export const ETH_P = {
  /** Every protocol: taps (packet sockets) register for this. */
  ALL: 0x0003,
  /** 802.3 frames (length field instead of an ethertype). */
  '802_3': 0x0001,
  IP: 0x0800,
  ARP: 0x0806,
  IPV6: 0x86dd,
} as const;

/** `skb.pktType` values (`PACKET_*`). */
export const PACKET = {
  HOST: 0,
  BROADCAST: 1,
  MULTICAST: 2,
  OTHERHOST: 3,
  OUTGOING: 4,
  LOOPBACK: 5,
} as const;

/** The all-ones broadcast address. */
export const ETH_BROADCAST: Readonly<Uint8Array> = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** The all-zeros address (used by loopback). */
export const ETH_ZERO: Readonly<Uint8Array> = new Uint8Array(6);

/** Formats a MAC address as `aa:bb:cc:dd:ee:ff`. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separated). @returns undefined if malformed */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i] as string;
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return undefined;
    out[i] = parseInt(p, 16);
  }
  return out;
}

/** What {@link ethTypeTrans} needs of a device. */
export interface EtherDeviceInfo {
  readonly mac: Uint8Array;
  /** True for a loopback device (frames are always for this host). */
  readonly isLoopback: boolean;
}

/**
 * `eth_type_trans`: classifies a received Ethernet frame whose `data` points at
 * the MAC header. Sets `macHeader`, `pktType` (HOST / BROADCAST / MULTICAST /
 * OTHERHOST), `protocol` (the ethertype, or `ETH_P['802_3']` for a length
 * field), pulls the 14-byte header and resets the network header.
 *
 * @returns false if the frame is shorter than an Ethernet header (nothing changed;
 *   the caller drops it and counts `rxLengthErrors`)
 */
export function ethTypeTrans(skb: SkBuff, dev: EtherDeviceInfo): boolean {
  if (skb.tail - skb.data < ETH_HLEN && (skb.len < ETH_HLEN || !skb.mayPull(ETH_HLEN))) return false;
  const b = skb.buf;
  const d = skb.data;
  skb.macHeader = d;
  if (((b[d] as number) & 1) !== 0) {
    let bcast = true;
    for (let i = 0; i < 6; i++) if (b[d + i] !== 0xff) bcast = false;
    skb.pktType = bcast ? PACKET.BROADCAST : PACKET.MULTICAST;
  } else if (dev.isLoopback) {
    skb.pktType = PACKET.HOST;
  } else {
    const mac = dev.mac;
    let mine = true;
    for (let i = 0; i < 6; i++) if (b[d + i] !== mac[i]) mine = false;
    skb.pktType = mine ? PACKET.HOST : PACKET.OTHERHOST;
  }
  const type = ((b[d + 12] as number) << 8) | (b[d + 13] as number);
  skb.protocol = type >= ETH_P_802_3_MIN ? type : ETH_P['802_3'];
  skb.pullUnchecked(ETH_HLEN);
  skb.networkHeader = skb.data;
  return true;
}

/**
 * Classifies a received raw-IP frame (no link header; `ARPHRD_NONE` devices such
 * as TUN): protocol from the IP version nibble, `pktType` HOST.
 * @returns false if the frame is empty or not IPv4/IPv6
 */
export function rawIpTypeTrans(skb: SkBuff): boolean {
  if (skb.len < 1 || !skb.mayPull(1)) return false;
  const v = (skb.buf[skb.data] as number) >> 4;
  if (v !== 4 && v !== 6) return false;
  skb.macHeader = skb.data;
  skb.networkHeader = skb.data;
  skb.protocol = v === 4 ? ETH_P.IP : ETH_P.IPV6;
  skb.pktType = PACKET.HOST;
  return true;
}

/**
 * `eth_header`: pushes a 14-byte Ethernet header onto `skb` (which needs 14
 * bytes of private headroom) and sets `skb.protocol` and `macHeader`.
 * @param type ethertype in host order (e.g. `ETH_P.IP`)
 * @param daddr destination MAC
 * @param saddr source MAC
 * @throws SkbError `SKB_UNDER` without headroom, `SKB_SHARED` on a shared header
 */
export function ethHeader(skb: SkBuff, type: number, daddr: Uint8Array, saddr: Uint8Array): void {
  const off = skb.pushOff(ETH_HLEN);
  const b = skb.buf;
  b.set(daddr.subarray(0, 6), off);
  b.set(saddr.subarray(0, 6), off + 6);
  b[off + 12] = (type >> 8) & 0xff;
  b[off + 13] = type & 0xff;
  skb.macHeader = off;
  skb.protocol = type;
}
