/**
 * Adapter between the IPv4 {@link Stack} and `@netlayers/netdev-ring` devices
 * (DevicePair ends, LoopbackDevice, any `NetDevice`): the stack transmits with
 * `dev.queueXmit` and registers packet_type handlers for ETH_P_IP and ETH_P_ARP
 * (Linux `dev_add_pack(&ip_packet_type)`, `arp_packet_type`).
 *
 * @module
 */
import { NETIF_F, type NetDevice } from '@netlayers/netdev-ring';
import type { SkBuff } from '@netlayers/skbuff';
import type { DeviceFeatures, LinkDevice } from './device.js';
import type { Interface, InterfaceConfig, Stack } from './stack.js';
import { EtherType } from './wire/ethernet.js';

/** Wraps a netdev-ring device as a {@link LinkDevice}. */
export function netdevLink(dev: NetDevice): LinkDevice {
  return {
    get name() {
      return dev.name;
    },
    get mtu() {
      return dev.mtu;
    },
    get macAddr() {
      return dev.mac;
    },
    linkType: dev.type === 'none' ? 'raw' : dev.type === 'loopback' ? 'loopback' : 'ether',
    get features(): Partial<DeviceFeatures> {
      return {
        sg: dev.hasFeature(NETIF_F.SG),
        hwCsum: dev.hasFeature(NETIF_F.HW_CSUM),
        tso: dev.hasFeature(NETIF_F.TSO) || dev.hasFeature(NETIF_F.GSO),
        gsoMaxSize: 65536,
      };
    },
    xmit(skb: SkBuff): boolean {
      return dev.queueXmit(skb) !== 'DROP';
    },
  };
}

/** Arguments of {@link attachNetDevice}: an interface config without the device. */
export type AttachOptions = Omit<InterfaceConfig, 'dev'>;

/**
 * Adds `dev` to `stack` as an interface and registers the receive handlers.
 * @returns the interface; `detach()` on it is available via the returned function
 */
export function attachNetDevice(stack: Stack, dev: NetDevice, opts: AttachOptions = {}): Interface & { detach(): void } {
  const iface = stack.addInterface({ ...opts, dev: netdevLink(dev) });
  const offIp = dev.addPacketHandler(EtherType.IPV4, (skb) => stack.receiveIp(iface, skb));
  const offArp = dev.addPacketHandler(EtherType.ARP, (skb) => stack.receiveArp(iface, skb));
  return Object.assign(iface, {
    detach(): void {
      offIp();
      offArp();
      stack.removeInterface(iface);
    },
  });
}
