/**
 * `@netlayers/skbuff/testing` — property-based testing helpers for users of the
 * sk_buff: fast-check arbitraries (operation sequences, payloads, chunkings), the
 * byte-array reference model our own tests use, a checker that runs a sequence
 * against both, builders for nonlinear skbs, and a naive RFC 1071 checksum.
 *
 * fast-check is a peer dependency of this subpath only.
 *
 * @packageDocumentation
 */
export type { SkbOp, SkbOpKind } from './ops.js';
export {
  arbSkbOps,
  arbPayload,
  arbChunking,
  arbChunkedPayload,
  chunkPayload,
  MODEL_PAGE_SIZE,
  DEFAULT_OP_WEIGHTS,
  type ArbSkbOpsOptions,
  type ArbPayloadOptions,
  type ArbChunkingOptions,
} from './arbitraries.js';
export { SkbModel, newModelCopyMeter, type ModelGroup, type ModelCopyMeter } from './model.js';
export {
  checkSkbOps,
  checkSkbAgainstModel,
  SkbModelMismatch,
  type CheckSkbOpsOptions,
} from './checker.js';
export { skbFromChunks, skbBytes, addFragOfBytes, type SkbFromChunksOptions } from './build.js';
export { naiveOnesSum, naiveChecksum } from './reference.js';
