/**
 * What the IPv4 layer needs from a link device, and the headroom constants
 * upper layers reserve.
 *
 * The stack talks to devices through the small {@link LinkDevice} interface
 * (Linux: `struct net_device` + `dev_queue_xmit`), so any transmit function can
 * sit below it; {@link attachNetDevice} (in `netdev.ts`) adapts a
 * `@netlayers/netdev-ring` device.
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';
import type { MacAddr } from './wire/addr.js';

/** Ethernet header room every layer above reserves (Linux `LL_MAX_HEADER`, rounded to 16). */
export const LL_MAX_HEADER = 32;
/** Largest IPv4 header (with options). */
export const IP_MAX_HEADER = 60;
/**
 * Headroom an upper layer must reserve below its own header so IPv4 and the
 * link layer can push theirs without reallocating (Linux `MAX_HEADER` +
 * IP header; TCP's `MAX_TCP_HEADER` adds its own 60 bytes on top).
 */
export const MAX_HEADER = LL_MAX_HEADER + IP_MAX_HEADER;

/** Offload features of a device (Linux `NETIF_F_*`). */
export interface DeviceFeatures {
  /** Scatter-gather: accepts skbs with frags/fragList (NETIF_F_SG). */
  readonly sg: boolean;
  /** Computes L4 checksums for CHECKSUM_PARTIAL skbs (NETIF_F_HW_CSUM). */
  readonly hwCsum: boolean;
  /** Segments large TCP skbs (NETIF_F_TSO / GSO at the device boundary). */
  readonly tso: boolean;
  /** Largest skb accepted for segmentation offload (gso_max_size). */
  readonly gsoMaxSize: number;
}

/** Defaults for a device that states nothing: SG yes, no checksum/TSO offload. */
export const DEFAULT_LINK_FEATURES: DeviceFeatures = { sg: true, hwCsum: false, tso: false, gsoMaxSize: 65536 };

/**
 * A link device as seen by the IPv4 stack.
 *
 * - `linkType: 'ether'` (default): the stack adds Ethernet II headers and
 *   resolves next hops with ARP.
 * - `linkType: 'raw'`: frames are bare IPv4 datagrams (tun, point to point); no ARP.
 * - `linkType: 'loopback'`: Ethernet header with zero MACs, no ARP (Linux `lo`).
 */
export interface LinkDevice {
  readonly name: string;
  /** Largest IPv4 datagram the link carries (Ethernet: 1500). */
  readonly mtu: number;
  /** Hardware address (zeros for raw links). */
  readonly macAddr: MacAddr;
  readonly linkType?: 'ether' | 'raw' | 'loopback';
  readonly features?: Partial<DeviceFeatures>;
  /**
   * Transmit one frame (`dev_queue_xmit`). The device takes ownership of `skb`
   * in every case (it frees it when dropped). `skb.data` is at the link header.
   * @returns true when queued/sent, false when dropped
   */
  xmit(skb: SkBuff): boolean;
}
