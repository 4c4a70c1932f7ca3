/**
 * `@netlayers/netdev-ring/testing` — building blocks for property-based tests
 * of stacks built on this device layer: fast-check arbitraries (impairment
 * profiles, frame streams, TCP segment streams, ring operation interleavings),
 * frame builders, and {@link RecordingDevice}. `fast-check` is an optional
 * peer dependency needed only by this subpath.
 *
 * @module
 */
export {
  arbImpairmentProfile,
  arbFrame,
  arbFrameStream,
  arbTcpSegmentStream,
  arbRingOps,
  type ImpairmentArbOptions,
  type RingOp,
} from './arbitraries.js';
export {
  buildTcpFrame,
  tcpFrameChecksumsOk,
  skbFromBytes,
  skbToBytes,
  TEST_ADDR_A,
  TEST_ADDR_B,
  type TcpFrameSpec,
} from './frames.js';
export { RecordingDevice, type RecordedFrame, type RecordingDeviceOptions } from './recording-device.js';
