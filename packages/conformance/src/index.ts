/**
 * `@netlayers/conformance` — proves the netlayers stack behaves like Linux: a
 * packetdrill-script interpreter running Linux's own TCP tests against an
 * in-memory stack in virtual time (`packetdrill/`), and an interop suite against
 * the kernel over TAP (`interop/`).
 *
 * @packageDocumentation
 */
export * from './packetdrill/index.js';
