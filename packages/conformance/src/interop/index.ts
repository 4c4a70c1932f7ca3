/**
 * Interop harness (Linux kernel over TAP inside a network namespace).
 * @module
 */
export {
  createTapNetns,
  findTool,
  missingPrerequisites,
  skipUnlessPeers,
  readPcapWithTool,
  KERNEL_ADDR,
  OUR_ADDR,
  type TapNetns,
  type TapNetnsOptions,
} from './netns.js';
export { waitFor, sleep } from './wait.js';
export { patternStream, hashUntilEnd, sha256OfPattern, PY_TCP_PEER } from './bulk.js';
