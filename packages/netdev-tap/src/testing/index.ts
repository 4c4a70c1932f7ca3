/**
 * Test and benchmark helpers: a network namespace holding the kernel's end of
 * a TAP device with our stack on the other end ({@link createTapNetns}),
 * prerequisite checks that fail under `CI=true`, and pcap decoding by tshark.
 *
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
