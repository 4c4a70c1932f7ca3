/**
 * `@netlayers/tcp/testing`: the testbed and fast-check arbitraries for users'
 * property-based tests of TCP behaviour (fast-check is an optional peer
 * dependency used only here).
 *
 * @module
 */
export { createTestbed, type Testbed, type TestbedOptions, type TestHost } from './testbed.js';
export { arbTcpOptions, arbTcpSegment, arbConnectionScript, arbImpairment, type ScriptOp } from './arbitraries.js';
