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
  type PcapLinkType,
  type PcapOptions,
  type PcapRecord,
  type PcapFile,
} from './pcap-format.js';
