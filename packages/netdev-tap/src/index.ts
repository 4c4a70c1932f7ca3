/**
 * `@netlayers/netdev-tap` — a `NetDevice` backed by a Linux TAP interface
 * (`/dev/net/tun`), with optional virtio-net offloads (TSO/GSO frames up to
 * 64 KB, checksum offload), plus `createTapHost` (our full stack on it) and the
 * `netlayers-tap` CLI.
 *
 * @packageDocumentation
 */
export { TapError, isTapError, type TapErrorCode } from './errors.js';
export { tapSupport, type TapSupport } from './binding.js';
export {
  VnetHdr,
  VnetHdrRepr,
  VNET_HDR_LEN,
  VNET_F,
  VNET_GSO,
  SKB_GSO,
  TUN_F,
  field as vnetHdrField,
  vnetHdrFromSkb,
  vnetHdrToSkb,
} from './vnet-hdr.js';
export { TAP_MAX_FRAGS, TapDevice, type TapDeviceOptions, type TapStats } from './tap-device.js';
export { createTapHost, parseAddr, parseCidr, type TapHost, type TapHostOptions } from './host.js';
