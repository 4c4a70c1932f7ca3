/**
 * Congestion control: re-exports of `cong/` (kept so existing imports work).
 * See cong/ops.ts for the module interface and where the core calls it.
 *
 * @module
 */
export * from './cong/index.js';
