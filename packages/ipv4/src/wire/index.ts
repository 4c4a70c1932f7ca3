/**
 * Wire formats: zero-copy `XPacket` views + plain `XRepr` objects.
 * @module
 */
export * from './error.js';
export * from './addr.js';
export * from './checksum.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './icmpv4.js';
export * from './udp.js';
