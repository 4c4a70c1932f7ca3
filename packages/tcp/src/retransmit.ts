/**
 * The retransmission loop (Linux `tcp_xmit_retransmit_queue`): segments the
 * scoreboard marks lost and not yet retransmitted go out, in sequence order,
 * while the pipe (RFC 6675) is below cwnd; each in one burst of as many MSS as
 * cwnd allows (`tcp_retransmit_skb` splits the rest off). New data follows in
 * `tcpWriteXmit`, which calls this first so lost data always has priority.
 *
 * @module
 */

import { currentRto, resetRtxTimer, tcpRetransmitSkb } from './output.js';
import { skbSeqLen, tcpPacketsInFlight, tcpSkbMarkRetrans } from './scoreboard.js';
import { seqGe } from './seq.js';
import { CB_SACKED, CB_SEQ, TCPCB_EVER_RETRANS, TCPCB_LOST, TCPCB_SACKED_ACKED, TCPCB_SACKED_RETRANS } from './skb-cb.js';
import { CaState, type TcpSock } from './sock.js';

/** Retransmits lost segments up to cwnd (`tcp_xmit_retransmit_queue`). @returns segments (bursts) sent */
export function tcpXmitRetransmitQueue(sk: TcpSock): number {
  if (sk.frtoHold) return 0; // F-RTO step 2b (RFC 5682): new data instead, this ACK (undo.ts)
  if (sk.sb.lostOut <= 0) return 0;
  const mss = sk.mss;
  const wndEnd = (sk.sndUna + sk.sndWnd) >>> 0;
  let sent = 0;
  let headSent = false;
  for (let skb = sk.rtxQueue.peek(); skb !== null; skb = skb.next) {
    const s = skb.cb[CB_SACKED]!;
    if ((s & TCPCB_LOST) === 0 || (s & (TCPCB_SACKED_RETRANS | TCPCB_SACKED_ACKED)) !== 0) continue;
    const pipe = tcpPacketsInFlight(sk);
    if (pipe >= sk.sndCwnd) break;
    if (seqGe(skb.cb[CB_SEQ]!, wndEnd) && skb.len > 0) break; // beyond the peer's window
    const segs = Math.max(1, Math.floor((sk.sndCwnd - pipe) / mss));
    if (skb === sk.rtxQueue.peek()) headSent = true;
    tcpRetransmitSkb(sk, skb, segs);
    tcpSkbMarkRetrans(sk, skb, TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS);
    if (sk.caState === CaState.RECOVERY) sk.sb.prrOut += skbSeqLen(skb);
    sent++;
  }
  if (headSent) resetRtxTimer(sk, 1, currentRto(sk)); // `tcp_xmit_retransmit_queue` rearms for the head
  return sent;
}
