/**
 * `@netlayers/ipv4/testing` — fast-check arbitraries and helpers for users'
 * property-based tests (fast-check is an optional peer dependency used only here).
 * @module
 */
export * from './wire-arbitraries.js';
export * from './net.js';
export * from './frag-arbitraries.js';
export * from './hub.js';
export * from './raw-fragment.js';
