/**
 * Interop harness (Linux kernel over TAP inside a network namespace): the
 * namespace/TAP helpers come from `@netlayers/netdev-tap/testing`; the bulk
 * pattern and the kernel-side python peer live here.
 * @module
 */
export * from '@netlayers/netdev-tap/testing';
export { patternStream, hashUntilEnd, sha256OfPattern, PY_TCP_PEER } from './bulk.js';
