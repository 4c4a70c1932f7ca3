/**
 * Loss recovery state machine (Linux `tcp_fastretrans_alert`, `tcp_enter_recovery`,
 * `tcp_time_to_recover`): per ACK, after the cumulative ACK and the SACK blocks
 * were applied to the scoreboard (ack.ts, sacktag.ts), decide the congestion
 * state, mark losses and send what PRR allows.
 *
 * ```
 *  OPEN ──SACK / dupACK──▶ DISORDER ──loss marked──▶ RECOVERY
 *    ▲   (limited transmit     │ all SACKs gone          │ ack ≥ high_seq (full ACK): cwnd = ssthresh
 *    │    via the pipe)        ▼                         │
 *    └─────────────────────────┴─────────────────────────┘
 *  any ──RTO──▶ LOSS ──ack ≥ high_seq──▶ OPEN
 * ```
 *
 * - With SACK, loss is RFC 6675 IsLost: an skb with more than (DupThresh − 1) · MSS
 *   bytes SACKed above it (scoreboard.ts); recovery starts once one is marked.
 * - Without SACK, NewReno (RFC 6582): DupThresh duplicate ACKs with the ACK above
 *   "recover" (high_seq) enter recovery; the head MSS is lost, and again after
 *   every partial ACK. Duplicate ACKs count as SACKed bytes in the pipe.
 * - In recovery cwnd follows PRR (prr.ts); the retransmission loop (retransmit.ts)
 *   sends lost segments one MSS at a time or in bursts within cwnd, new data follows.
 * - Disorder: the pipe excludes SACKed/dup-ACKed bytes, so new data keeps flowing
 *   with cwnd unchanged (limited transmit, RFC 3042).
 *
 * Hooks for RACK-TLP and undo (undo.ts, rack.ts) run in ack.ts around this call;
 * {@link tcpEnterRecovery} is the one entry to recovery for every detector.
 *
 * @module
 */

import { tcpCwndReduction, tcpEndCwndReduction, tcpInitCwndReduction } from './prr.js';
import { tcpXmitRetransmitQueue } from './retransmit.js';
import { tcpAddRenoSack, tcpNewrenoMarkLost, tcpRemoveRenoSacks, tcpUpdateScoreboard } from './scoreboard.js';
import { seqGe } from './seq.js';
import { CaState, type TcpSock } from './sock.js';

/** Enters fast recovery (`tcp_enter_recovery`): ssthresh, PRR start, recover = snd_max. */
export function tcpEnterRecovery(sk: TcpSock): void {
  sk.stack.mib.fastRetrans++;
  tcpInitCwndReduction(sk);
  sk.highSeq = sk.sndMax;
  sk.caState = CaState.RECOVERY;
}

/** Leaves recovery on the full ACK (`tcp_end_cwnd_reduction` + `tcp_set_ca_state`). */
function tcpExitRecovery(sk: TcpSock): void {
  tcpEndCwndReduction(sk);
  sk.caState = sk.sb.sackedOut > 0 && sk.sackOk ? CaState.DISORDER : CaState.OPEN;
  sk.dupAcks = 0;
  if (!sk.sackOk) sk.sb.sackedOut = 0;
  sk.ca.cwndEvent?.(sk, 'recovery-exit');
}

/**
 * One ACK (`tcp_fastretrans_alert` + `tcp_cong_control`): `acked` bytes newly
 * acknowledged cumulatively, `sacked` bytes newly SACKed, `dup` a duplicate ACK
 * (RFC 5681 §2). Runs for every ACK; the common case (OPEN, empty scoreboard) is
 * congestion avoidance only.
 */
export function tcpFastRetransAlert(sk: TcpSock, ack: number, acked: number, sacked: number, dup: boolean): void {
  const sb = sk.sb;
  const stack = sk.stack;
  if (dup) {
    sk.dupAcks++;
    stack.mib.dupAcks++;
  }
  let delivered = acked + sacked;
  if (!sk.sackOk) {
    if (dup) {
      tcpAddRenoSack(sk);
      delivered = sk.mss;
    } else if (acked > 0 && sb.sackedOut > 0) delivered = tcpRemoveRenoSacks(sk, acked);
  }
  if (acked > 0) sk.dupAcks = 0;
  const state = sk.caState;
  if (state === CaState.OPEN && sb.sackedOut === 0 && sb.lostOut === 0 && !dup) {
    if (acked > 0) sk.ca.congAvoid(sk, acked);
    return;
  }
  if (state === CaState.RECOVERY) {
    if (seqGe(ack, sk.highSeq)) {
      tcpExitRecovery(sk); // full acknowledgment (RFC 6582 §3.2 step 3, RFC 6675 §5)
      return;
    }
    // partial ACK or more SACKs: mark what is now lost, PRR, retransmit
    let lost = 0;
    if (sk.sackOk) lost = tcpUpdateScoreboard(sk);
    else if (acked > 0) lost = tcpNewrenoMarkLost(sk); // RFC 6582 §3.2 step 4
    tcpCwndReduction(sk, delivered, lost, acked > 0);
    tcpXmitRetransmitQueue(sk);
    return;
  }
  if (state === CaState.LOSS) {
    if (seqGe(ack, sk.highSeq)) sk.caState = sb.sackedOut > 0 && sk.sackOk ? CaState.DISORDER : CaState.OPEN;
    if (acked > 0) sk.ca.congAvoid(sk, delivered);
    tcpXmitRetransmitQueue(sk);
    return;
  }
  // OPEN or DISORDER
  sk.caState = sb.sackedOut > 0 || sk.dupAcks > 0 ? CaState.DISORDER : CaState.OPEN;
  let lost = 0;
  let recover = false;
  if (sk.sackOk) {
    lost = tcpUpdateScoreboard(sk);
    recover = sb.lostOut > 0; // `tcp_time_to_recover`
  } else if (sk.dupAcks >= stack.config.dupThresh && seqGe(ack, sk.highSeq)) {
    // RFC 6582 §3.2 step 2: the cumulative ACK covers more than recover (= highSeq − 1)
    lost = tcpNewrenoMarkLost(sk);
    recover = true;
  }
  if (recover) {
    tcpEnterRecovery(sk);
    tcpCwndReduction(sk, delivered, lost, acked > 0);
    tcpXmitRetransmitQueue(sk);
  } else if (acked > 0) sk.ca.congAvoid(sk, delivered);
}
