/**
 * The receiver's SACK and DSACK blocks (RFC 2018, RFC 2883; Linux
 * `tcp_sack_new_ofo_skb`, `tcp_sack_remove`, `tcp_dsack_set`/`extend`): which
 * out-of-order ranges we hold, most recent first, and the duplicate range to
 * report once. Only on connections that negotiated SACK (`sk.sackOk`).
 *
 * @module
 */

import { seqGt, seqLt } from './seq.js';
import type { TcpSock } from './sock.js';
import type { SackBlock } from './wire/tcp.js';

/** SACK blocks a socket remembers (`TCP_NUM_SACKS`). */
export const TCP_NUM_SACKS = 4;

/** Grows `b` to cover [seq, end) when they overlap or touch (`tcp_sack_extend`). */
function sackExtend(b: SackBlock, seq: number, end: number): boolean {
  if (seqGt(b.left, end) || seqGt(seq, b.right)) return false;
  if (seqLt(seq, b.left)) b.left = seq;
  if (seqGt(end, b.right)) b.right = end;
  return true;
}

/** Merges the first block with any others it now overlaps (`tcp_sack_maybe_coalesce`). */
function sackMaybeCoalesce(blocks: SackBlock[]): void {
  const head = blocks[0]!;
  for (let i = 1; i < blocks.length; ) {
    const b = blocks[i]!;
    if (sackExtend(head, b.left, b.right)) blocks.splice(i, 1);
    else i++;
  }
}

/**
 * An out-of-order segment [seq, end) was queued (`tcp_sack_new_ofo_skb`): it
 * extends the block it touches, which moves to the front, or becomes a new first
 * block (the oldest falls off beyond {@link TCP_NUM_SACKS}).
 */
export function tcpSackNewOfoSkb(sk: TcpSock, seq: number, end: number): void {
  const blocks = sk.selectiveAcks;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    if (sackExtend(b, seq, end)) {
      blocks.splice(i, 1);
      blocks.unshift(b);
      if (blocks.length > 1) sackMaybeCoalesce(blocks);
      return;
    }
  }
  if (blocks.length >= TCP_NUM_SACKS) blocks.pop();
  blocks.unshift({ left: seq, right: end });
}

/** rcv_nxt advanced (`tcp_sack_remove`): blocks it covers go; none stay once the out-of-order queue is empty. */
export function tcpSackRemove(sk: TcpSock): void {
  const blocks = sk.selectiveAcks;
  if (sk.ofoQueue.length === 0) {
    blocks.length = 0;
    return;
  }
  for (let i = 0; i < blocks.length; ) {
    if (!seqLt(sk.rcvNxt, blocks[i]!.left)) blocks.splice(i, 1);
    else i++;
  }
}

/** Reports [seq, end) as received twice in our next segment (`tcp_dsack_set`, RFC 2883). */
export function tcpDsackSet(sk: TcpSock, seq: number, end: number): void {
  if (!sk.sackOk) return;
  sk.dsack = { left: seq, right: end };
}

/** Adds [seq, end) to the pending DSACK block when it touches it, or starts one (`tcp_dsack_extend`). */
export function tcpDsackExtend(sk: TcpSock, seq: number, end: number): void {
  if (!sk.sackOk) return;
  if (sk.dsack === null) sk.dsack = { left: seq, right: end };
  else sackExtend(sk.dsack, seq, end);
}

/**
 * The blocks our next segment carries (`tcp_established_options`): the DSACK
 * block first, then the most recent SACK blocks, as many as fit beside the other
 * options (3 with timestamps, 4 without). The DSACK block is reported once.
 */
export function tcpSackBlocksToSend(sk: TcpSock): SackBlock[] | undefined {
  if (sk.dsack === null && sk.selectiveAcks.length === 0) return undefined;
  const room = sk.tstampOk ? 3 : 4;
  const out: SackBlock[] = [];
  if (sk.dsack !== null) {
    out.push(sk.dsack);
    sk.dsack = null;
  }
  for (const b of sk.selectiveAcks) {
    if (out.length >= room) break;
    out.push({ left: b.left, right: b.right });
  }
  return out;
}
