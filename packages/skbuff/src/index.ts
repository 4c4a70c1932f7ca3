/**
 * `@netlayers/skbuff` — the sk_buff network buffer with Linux semantics:
 * linear area with head/data/tail/end and reserve/put/push/pull/trim, paged
 * fragments on refcounted pages, frag_list, clone/copy/cow with dataref sharing,
 * `SkbQueue` (sk_buff_head), Internet checksum helpers and ip_summed states, and
 * pooled allocation with leak statistics.
 *
 * @packageDocumentation
 */
export { SkbError, type SkbErrorCode } from './errors.js';
export { Page, PagePool, defaultPagePool, type PagePoolOptions } from './page.js';
export { SkbPool, defaultSkbPool, SKB_MIN_CLASS, SKB_MAX_CLASS, SKB_MAX_ALLOC, type SkbAllocSite, type SkbPoolOptions, type SkbPoolStats } from './pool.js';
export { skbStats, type PoolStats, type SkbStats } from './stats.js';
export { copyStatsDelta, countSkbCopy, SKB_MAX_HEADER_COPY, type SkbCopyStats, type SkbCopyKinds } from './copy-stats.js';
export type { SkbFrag } from './shinfo.js';
export {
  SkBuff,
  allocSkb,
  allocSkbHead,
  MAX_SKB_FRAGS,
  SKB_CB_SLOTS,
  SKB_TRUESIZE,
  SKB_TRUESIZE_OVERHEAD,
  SKB_PULL_SLACK,
  type AllocSkbOptions,
  type SkbDestructor,
} from './skbuff.js';
export { SkbQueue } from './queue.js';
export {
  IpSummed,
  CHECKSUM_NONE,
  CHECKSUM_UNNECESSARY,
  CHECKSUM_COMPLETE,
  CHECKSUM_PARTIAL,
} from './ip-summed.js';
export {
  csumPartial,
  csumAdd,
  csumSub,
  csumBlockAdd,
  csumBlockSub,
  csumFold,
  csumFold16,
  csumUnfold,
  csumTcpUdpNofold,
  csumTcpUdpMagic,
  ipFastCsum,
  csumReplace2,
  csumReplace4,
} from './csum.js';
export { skbChecksum, skbChecksumHelp, skbChecksumComplete, skbChecksumStats, skbCopyAndCsumBits, skbPartialCsum } from './skb-csum.js';
export { skbBorrowLinear } from './borrow.js';
