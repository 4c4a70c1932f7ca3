/**
 * The receive side of RFC 7323 timestamps (Linux `tcp_parse_aligned_timestamp`,
 * `tcp_paws_discard`, `tcp_replace_ts_recent`): reading the peer's TSval/TSecr,
 * PAWS (§5) and keeping TS.Recent (§4.3). Only for connections that negotiated
 * timestamps (`sk.tstampOk`).
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { seqGt } from './seq.js';
import { CB_ACK, CB_DOFF, CB_FLAGS, CB_SEQ, CB_WINDOW } from './skb-cb.js';
import type { TcpSock } from './sock.js';
import { field, parseTcpOptions, TCP_HEADER_LEN, TcpFlags, type TcpTimestamps } from './wire/tcp.js';

/** TS.Recent older than this (24 days, RFC 7323 §5.5, `TCP_PAWS_24DAYS`) no longer rejects anything. */
export const TCP_PAWS_24DAYS_MS = 24 * 24 * 3600 * 1000;
/** Slack of the PAWS test in ticks (`TCP_PAWS_WINDOW`). */
const TCP_PAWS_WINDOW = 1;

/** Reads 4 bytes big-endian. */
function get32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/**
 * The timestamps option of the segment in `skb` (its header is just before
 * `skb.data`), or undefined. The `nop,nop,TS` layout every Linux segment uses is
 * read directly; other layouts go through the full option parser.
 */
export function tcpRcvTimestamps(skb: SkBuff): TcpTimestamps | undefined {
  const doff = skb.cb[CB_DOFF]!;
  if (doff <= TCP_HEADER_LEN) return undefined;
  const b = skb.buf;
  const o = skb.data - doff + field.OPTIONS;
  if (doff === TCP_HEADER_LEN + 12 && b[o] === 1 && b[o + 1] === 1 && b[o + 2] === 8 && b[o + 3] === 10) {
    return { tsval: get32(b, o + 4), tsecr: get32(b, o + 8) };
  }
  return parseTcpOptions(b, o, skb.data).timestamps;
}

/** Whether `tsval` is not older than TS.Recent by more than `slack` (`tcp_paws_check`). */
function pawsOk(sk: TcpSock, tsval: number, slack: number): boolean {
  if (((sk.tsRecent - tsval) | 0) <= slack) return true;
  return sk.stack.clock.now() >= sk.tsRecentStamp + TCP_PAWS_24DAYS_MS;
}

/**
 * A pure duplicate ACK that only arrived out of order (`tcp_disordered_ack`):
 * in sequence, acknowledging snd_una, not updating the window, and older than
 * TS.Recent by less than one RTO. PAWS lets these through.
 */
function disorderedAck(sk: TcpSock, skb: SkBuff, tsval: number): boolean {
  const cb = skb.cb;
  return (
    (cb[CB_FLAGS]! & TcpFlags.ACK) !== 0 &&
    skb.len === 0 &&
    cb[CB_SEQ] === sk.rcvNxt &&
    cb[CB_ACK] === sk.sndUna &&
    sk.stack.winScaled(cb[CB_WINDOW]!, sk.sndWscale) === sk.sndWnd &&
    ((sk.tsRecent - tsval) | 0) <= sk.rto
  );
}

/**
 * PAWS (RFC 7323 §5.3, `tcp_paws_discard`): a non-RST segment whose TSval is
 * older than TS.Recent is a duplicate from an earlier wrap of the sequence space
 * and is dropped (the caller answers with an ACK).
 */
export function tcpPawsDiscard(sk: TcpSock, skb: SkBuff, ts: TcpTimestamps): boolean {
  if ((skb.cb[CB_FLAGS]! & TcpFlags.RST) !== 0) return false;
  return !pawsOk(sk, ts.tsval, TCP_PAWS_WINDOW) && !disorderedAck(sk, skb, ts.tsval);
}

/**
 * After an acceptable segment (`tcp_replace_ts_recent`, RFC 7323 §4.3): TS.Recent
 * takes its TSval when the segment starts at or before the last ACK we sent
 * (rcv_wup) and the TSval is not older.
 */
export function tcpReplaceTsRecent(sk: TcpSock, skb: SkBuff, ts: TcpTimestamps): void {
  if (seqGt(skb.cb[CB_SEQ]!, sk.rcvWup)) return;
  if (!pawsOk(sk, ts.tsval, 0)) return;
  sk.tsRecent = ts.tsval;
  sk.tsRecentStamp = sk.stack.clock.now();
}
