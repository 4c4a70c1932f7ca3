/**
 * Loss recovery (Linux `tcp_fastretrans_alert`, `tcp_recovery.c`): duplicate-ACK
 * counting, NewReno fast retransmit and fast recovery (RFC 5681 §3.2, RFC 6582)
 * with partial and full acknowledgments, and the exit from RTO loss recovery.
 *
 * ```
 *  OPEN ──dupACK──▶ DISORDER ──dupThresh dupACKs, ack > recover──▶ RECOVERY
 *    ▲                 │ new data ACKed                              │ ack ≥ recover (full ACK)
 *    └─────────────────┴─────────────────────────────────────────────┘
 *  any ──RTO──▶ LOSS ──ack ≥ recover──▶ OPEN
 * ```
 *
 * @module
 */

import { tcpRetransmitSkb } from './output.js';
import { seqGe } from './seq.js';
import { CaState, type TcpSock } from './sock.js';

/**
 * An ACK that advanced snd_una by `acked` bytes to `ack`: full or partial
 * acknowledgment in recovery (RFC 6582 §3.2 steps 3 and 4), else congestion avoidance.
 */
export function tcpRecoveryAck(sk: TcpSock, ack: number, acked: number): void {
  if (sk.caState === CaState.RECOVERY) {
    if (seqGe(ack, sk.highSeq)) {
      // full acknowledgment (RFC 6582 §3.2 step 3)
      sk.sndCwnd = Math.max(Math.min(sk.sndSsthresh, sk.inFlight + sk.mss), 2 * sk.mss);
      sk.caState = CaState.OPEN;
      sk.dupAcks = 0;
      sk.ca.cwndEvent?.(sk, 'recovery-exit');
    } else {
      // partial acknowledgment (step 4): retransmit the next hole, deflate
      const head = sk.rtxQueue.peek();
      if (head !== null) tcpRetransmitSkb(sk, head);
      sk.sndCwnd = Math.max(sk.sndCwnd - acked + sk.mss, sk.mss);
    }
  } else {
    if (sk.caState === CaState.LOSS && seqGe(ack, sk.highSeq)) sk.caState = CaState.OPEN;
    if (sk.caState === CaState.DISORDER) sk.caState = CaState.OPEN;
    sk.dupAcks = 0;
    sk.ca.congAvoid(sk, acked);
  }
}

/** A duplicate ACK (RFC 5681 §2): inflate in recovery, or enter fast retransmit at the threshold. */
export function tcpDupAck(sk: TcpSock, ack: number): void {
  const stack = sk.stack;
  sk.dupAcks++;
  stack.mib.dupAcks++;
  if (sk.caState === CaState.RECOVERY) {
    sk.sndCwnd += sk.mss; // inflate (RFC 6582 step 3 of 5681 §3.2)
  } else if (sk.caState !== CaState.LOSS && sk.dupAcks >= stack.config.dupThresh && seqGe(ack, sk.highSeq)) {
    // RFC 6582 §3.2 step 2: the cumulative ACK covers more than recover (= highSeq − 1)
    sk.sndSsthresh = sk.ca.ssthresh(sk);
    sk.highSeq = sk.sndMax;
    sk.caState = CaState.RECOVERY;
    stack.mib.fastRetrans++;
    const head = sk.rtxQueue.peek();
    if (head !== null) tcpRetransmitSkb(sk, head);
    sk.sndCwnd = sk.sndSsthresh + 3 * sk.mss;
  } else if (sk.caState === CaState.OPEN) {
    sk.caState = CaState.DISORDER;
  }
}
