/**
 * Incoming SACK blocks applied to the retransmit queue (Linux
 * `tcp_sacktag_write_queue`, `tcp_sacktag_one`, `tcp_match_skb_to_sack`,
 * `tcp_check_dsack`; RFC 2018, RFC 2883, RFC 6675 §5 "update the scoreboard"):
 * the sender half of SACK, where sack.ts is the receiver half.
 *
 * - A first block below the cumulative ACK, or inside the second block, is a
 *   DSACK (RFC 2883 §4): counted in `sk.sb.dsacks` (and `dsackRetrans` when it
 *   covers a retransmitted segment) for undo, never tagged.
 * - Other blocks are clamped to [snd_una, snd_max); blocks beyond snd_max or
 *   empty are ignored (`tcp_is_sackblock_valid`).
 * - An skb a block covers only in part is split at the block's edge
 *   (`tcp_fragment` without copying: frags move to the new skb), so bits are per
 *   whole skb; at most two splits per block, four blocks per ACK.
 * - A newly SACKed skb loses LOST and SACKED_RETRANS and gains SACKED_ACKED;
 *   the byte counters follow (scoreboard.ts).
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { tcpFragment } from './output.js';
import { skbSeqLen } from './scoreboard.js';
import { seqGe, seqGt, seqLe, seqLt } from './seq.js';
import { CB_DOFF, CB_END_SEQ, CB_SACKED, CB_SEQ, TCPCB_EVER_RETRANS, TCPCB_LOST, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS } from './skb-cb.js';
import type { TcpSock } from './sock.js';
import { field, parseTcpOptions, type SackBlock, TCP_HEADER_LEN } from './wire/tcp.js';

/**
 * Hooks other loss detectors register (kept visible here so they need no import
 * cycle): `skbSacked` runs for every skb newly SACKed (RACK's `tcp_rack_advance`).
 */
export const sacktagHooks: { skbSacked: ((sk: TcpSock, skb: SkBuff) => void) | null } = { skbSacked: null };

const NO_BLOCKS: readonly SackBlock[] = [];

/** The SACK blocks of a received segment whose header is just before `skb.data` (none without options). */
export function tcpSackBlocksOf(skb: SkBuff): readonly SackBlock[] {
  const doff = skb.cb[CB_DOFF]!;
  if (doff <= TCP_HEADER_LEN) return NO_BLOCKS;
  return parseTcpOptions(skb.buf, skb.data - doff + field.OPTIONS, skb.data).sack ?? NO_BLOCKS;
}

/** Whether the first block reports a duplicate (`tcp_check_dsack`, RFC 2883 §4). */
export function tcpIsDsack(blocks: readonly SackBlock[], ack: number): boolean {
  const b0 = blocks[0];
  if (b0 === undefined) return false;
  if (seqLt(b0.left, ack)) return true;
  const b1 = blocks[1];
  return b1 !== undefined && seqGe(b0.left, b1.left) && seqLe(b0.right, b1.right);
}

/** A DSACK block: counted, and whether it covers a retransmitted skb still queued. */
function tcpCountDsack(sk: TcpSock, b: SackBlock): void {
  const sb = sk.sb;
  sb.dsacks++;
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) {
    if (!seqLt(skb.cb[CB_SEQ]!, b.right)) break;
    if (seqGt(skb.cb[CB_END_SEQ]!, b.left) && (skb.cb[CB_SACKED]! & TCPCB_EVER_RETRANS) !== 0) {
      sb.dsackRetrans++;
      return;
    }
  }
}

/** Tags one skb SACKed (`tcp_sacktag_one`). @returns its bytes if newly SACKed, else 0 */
function tcpSacktagOne(sk: TcpSock, skb: SkBuff): number {
  const s = skb.cb[CB_SACKED]!;
  if ((s & TCPCB_SACKED_ACKED) !== 0) return 0;
  const sb = sk.sb;
  const n = skbSeqLen(skb);
  if ((s & TCPCB_LOST) !== 0) sb.lostOut -= n;
  if ((s & TCPCB_SACKED_RETRANS) !== 0) sb.retransOut -= n;
  skb.cb[CB_SACKED] = (s | TCPCB_SACKED_ACKED) & ~(TCPCB_LOST | TCPCB_SACKED_RETRANS);
  sb.sackedOut += n;
  const end = skb.cb[CB_END_SEQ]!;
  if (sb.sackedOut === n || seqGt(end, sb.highSacked)) sb.highSacked = end;
  sacktagHooks.skbSacked?.(sk, skb);
  return n;
}

/** Tags the skbs [left, right) covers, from `skb` on, splitting at the edges. @returns the skb to resume from and bytes newly SACKed */
function tcpSacktagBlock(sk: TcpSock, from: SkBuff | null, left: number, right: number): [SkBuff | null, number] {
  let skb = from;
  let n = 0;
  while (skb !== null && seqLe(skb.cb[CB_END_SEQ]!, left)) skb = skb.next;
  while (skb !== null && seqLt(skb.cb[CB_SEQ]!, right)) {
    const seq = skb.cb[CB_SEQ]!;
    if ((skb.cb[CB_SACKED]! & TCPCB_SACKED_ACKED) !== 0) {
      skb = skb.next;
      continue;
    }
    if (seqLt(seq, left)) {
      const cut = (left - seq) | 0;
      if (cut < skb.len) tcpFragment(sk, skb, cut);
      skb = skb.next;
      continue;
    }
    if (seqGt(skb.cb[CB_END_SEQ]!, right)) {
      const cut = (right - seq) | 0;
      if (cut <= 0 || cut >= skb.len) break; // only the FIN lies past the block
      tcpFragment(sk, skb, cut);
    }
    n += tcpSacktagOne(sk, skb);
    skb = skb.next;
  }
  return [skb, n];
}

/**
 * Applies the ACK's SACK blocks (`tcp_sacktag_write_queue`), after the cumulative
 * ACK `ack` was processed. @returns bytes newly SACKed
 */
export function tcpSacktagWriteQueue(sk: TcpSock, blocks: readonly SackBlock[], ack: number): number {
  if (blocks.length === 0) return 0;
  let first = 0;
  if (tcpIsDsack(blocks, ack)) {
    tcpCountDsack(sk, blocks[0]!);
    first = 1;
  }
  const valid: SackBlock[] = [];
  for (let i = first; i < blocks.length; i++) {
    const b = blocks[i]!;
    const left = seqLt(b.left, sk.sndUna) ? sk.sndUna : b.left;
    if (!seqLt(left, b.right) || seqGt(b.right, sk.sndMax)) continue;
    valid.push({ left, right: b.right });
  }
  if (valid.length > 1) valid.sort((a, b) => (a.left - b.left) | 0);
  let skb = sk.rtxQueue.peek();
  let n = 0;
  for (const b of valid) {
    const [next, tagged] = tcpSacktagBlock(sk, skb, b.left, b.right);
    n += tagged;
    skb = next;
    if (skb === null) break;
  }
  return n;
}
