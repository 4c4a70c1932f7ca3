/**
 * `@netlayers/netdev-ring` — the device layer: descriptor rings (also across
 * worker threads), net devices, NAPI, qdisc, loopback, impaired device pairs,
 * pcap capture, GSO/GRO.
 *
 * @module
 */
export { NetdevError, isNetdevError, type NetdevErrorCode } from './errors.js';
export { Ring, type RingStats } from './ring.js';
export {
  SharedRing,
  type SharedRingOptions,
  type SharedRingStats,
  type RingWaitResult,
  type RingFrame,
} from './shared-ring.js';
export { Xoshiro128ss, splitmix32 } from './prng.js';
export {
  Impairment,
  flipBit,
  type ImpairmentProfile,
  type Delivery,
  type Decision,
  type ImpairmentDrop,
  type ImpairmentStats,
} from './impairment.js';
export {
  parsePcap,
  encodePcapHeader,
  encodeRecordHeader,
  LINKTYPE,
  PCAP_MAGIC_NS,
  PCAP_MAGIC_US,
  PCAP_FILE_HEADER_LEN,
  PCAP_RECORD_HEADER_LEN,
  type PcapLinkType,
  type PcapOptions,
  type PcapRecord,
  type PcapFile,
} from './pcap-format.js';
export {
  Napi,
  Softnet,
  NAPI_POLL_WEIGHT,
  type NapiPollFn,
  type NapiStats,
  type NapiOptions,
  type SoftnetOptions,
  type SoftnetStats,
  type NetRxRound,
  type TxSchedulable,
  type BacklogTarget,
} from './napi.js';
export { PfifoQdisc, type QdiscStats } from './qdisc.js';
export {
  ETH_HLEN,
  ETH_ALEN,
  ETH_P,
  ETH_P_802_3_MIN,
  PACKET,
  ETH_BROADCAST,
  ETH_ZERO,
  ethTypeTrans,
  rawIpTypeTrans,
  ethHeader,
  formatMac,
  parseMac,
  type EtherDeviceInfo,
} from './ether.js';
export {
  NetDevice,
  PacketTypes,
  NETIF_F,
  DEFAULT_FEATURES,
  NetdevTx,
  NetXmit,
  NetRx,
  safeFree,
  type DeviceType,
  type DropReason,
  type NetDeviceStats,
  type NetDeviceOptions,
  type PacketHandler,
  type PacketTap,
} from './netdevice.js';
export { RingNetDevice, type RingNetDeviceOptions } from './ring-device.js';
export { LoopbackDevice, LOOPBACK_FEATURES, type LoopbackOptions } from './loopback.js';
export { DevicePair, VethDevice, VETH_FEATURES, type DevicePairOptions, type VethEndOptions } from './device-pair.js';
export { ImpairedLink, type LinkSink } from './link.js';
export { skbChecksumHelp } from './csum-help.js';
export {
  skbGsoSegment,
  skbIsGsoTcp,
  tcpFrameLayout,
  IP,
  TCP,
  TCP_FLAG,
  IPPROTO_TCP,
  NET_SKB_PAD,
  type GsoOptions,
  type TcpFrameLayout,
} from './gso.js';
export { GroList, MAX_GRO_SKBS, type GroStats } from './gro.js';
export { PcapWriter, type PcapWriterOptions } from './pcap-writer.js';
export {
  SharedRingDevice,
  createSharedLink,
  type SharedLinkBuffers,
  type SharedRingDeviceOptions,
} from './shared-device.js';
