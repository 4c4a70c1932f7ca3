/**
 * SYN cookies (RFC 4987 §3.6, Linux `net/ipv4/syncookies.c`): when a listener's
 * SYN queue is full, the SYN-ACK's initial sequence number encodes what the
 * listener would have stored, so it keeps no state until the peer's ACK returns
 * the cookie (as `ack − 1`) and proves the peer saw the SYN-ACK.
 *
 * ```
 *  cookie = H1(tuple) + peer ISN + (count << 24) + ((H2(tuple, count) + mssIndex) mod 2²⁴)
 * ```
 *
 * `count` is a minute counter; a cookie is accepted for {@link COOKIE_MAX_AGE}
 * counts (Linux `MAX_SYNCOOKIE_AGE`, 2). Only the MSS survives, as an index into
 * {@link COOKIE_MSS_TABLE}. Linux carries window scale and SACK-permitted in the
 * low bits of the timestamp value ({@link cookieTsEncode}); a connection without
 * timestamps made from a cookie has neither, and its SYN-ACK offers neither.
 *
 * @module
 */

import { type HashKey, hsiphash } from './hash.js';

/** MSS values a cookie can carry (Linux `msstab`). */
export const COOKIE_MSS_TABLE: readonly number[] = [536, 1300, 1440, 1460];
/** Minute counts a cookie stays valid (Linux `MAX_SYNCOOKIE_AGE`). */
export const COOKIE_MAX_AGE = 2;
const COOKIE_BITS = 24;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;
const MINUTE_MS = 60_000;

/** The 4-tuple a cookie is bound to, as the listener sees it. */
export interface CookieTuple {
  /** Peer address and port. */
  saddr: number;
  sport: number;
  /** Listener address and port. */
  daddr: number;
  dport: number;
}

function h(key: HashKey, t: CookieTuple, c: number): number {
  return hsiphash(key, t.saddr, t.daddr, ((t.sport << 16) | t.dport) >>> 0, c);
}

/** Index of the largest table MSS not above `mss` (`__cookie_v4_init_sequence`). */
export function cookieMssIndex(mss: number): number {
  let i = COOKIE_MSS_TABLE.length - 1;
  while (i > 0 && mss < COOKIE_MSS_TABLE[i]!) i--;
  return i;
}

/**
 * The cookie ISN for a SYN with sequence `peerIsn` and MSS option `mss`
 * (`cookie_v4_init_sequence`), at time `nowMs`.
 */
export function cookieInitSequence(key: HashKey, nowMs: number, t: CookieTuple, peerIsn: number, mss: number): number {
  const count = Math.floor(nowMs / MINUTE_MS) >>> 0;
  const data = cookieMssIndex(mss);
  return (h(key, t, 0x5ca1ab1e) + peerIsn + ((count << COOKIE_BITS) >>> 0) + ((h(key, t, count) + data) & COOKIE_MASK)) >>> 0;
}

/**
 * Checks the cookie returned in an ACK (`cookie = ack − 1`, `peerIsn = seq − 1`;
 * `__cookie_v4_check`).
 * @returns the MSS it carries, or 0 when the cookie is invalid or too old
 */
export function cookieCheck(key: HashKey, nowMs: number, t: CookieTuple, peerIsn: number, cookie: number): number {
  const count = Math.floor(nowMs / MINUTE_MS) >>> 0;
  const c = (cookie - h(key, t, 0x5ca1ab1e) - peerIsn) >>> 0;
  const sent = c >>> COOKIE_BITS;
  const age = (count - sent) & 0xff;
  if (age >= COOKIE_MAX_AGE) return 0;
  const data = (c - h(key, t, (count - age) >>> 0)) & COOKIE_MASK;
  return data < COOKIE_MSS_TABLE.length ? COOKIE_MSS_TABLE[data]! : 0;
}

/** Options a cookie can carry in the timestamp value. */
export interface CookieTsOptions {
  /** Peer's window scale, or undefined when it offered none. */
  wscale?: number | undefined;
  sackOk: boolean;
}

const TS_OPT_BITS = 6;
const TS_OPT_MASK = (1 << TS_OPT_BITS) - 1;
const TS_WSCALE_NONE = 0xf;
const TS_SACK = 1 << 4;

/**
 * The TS value of a cookie SYN-ACK (`cookie_init_timestamp`): the low 6 bits carry
 * the window scale (4 bits, 0xf = none) and SACK-permitted; the value never runs
 * ahead of the clock `tsNow`.
 */
export function cookieTsEncode(tsNow: number, o: CookieTsOptions): number {
  const opts = (o.wscale === undefined ? TS_WSCALE_NONE : o.wscale & 0xf) | (o.sackOk ? TS_SACK : 0);
  let ts = ((tsNow & ~TS_OPT_MASK) | opts) >>> 0;
  if (ts > tsNow >>> 0) ts = (ts - (1 << TS_OPT_BITS)) >>> 0;
  return ts;
}

/** Recovers the options from the TS echo reply of the cookie ACK (`cookie_timestamp_decode`). */
export function cookieTsDecode(tsecr: number): CookieTsOptions {
  const w = tsecr & 0xf;
  return { wscale: w === TS_WSCALE_NONE ? undefined : w, sackOk: (tsecr & TS_SACK) !== 0 };
}
