/**
 * TCP timers (Linux `net/ipv4/tcp_timer.c`), all on the stack's timer wheel:
 * retransmission with exponential backoff up to `retries2` then ETIMEDOUT
 * (RFC 6298 §5, `tcp_retransmit_timer`), SYN and SYN-ACK retransmission, the
 * persist timer sending zero-window probes (`tcp_probe_timer`), delayed ACKs
 * (`tcp_delack_timer`, which also drains a prequeue nobody read), and the
 * keepalive / FIN-WAIT-2 / TIME-WAIT timer (`tcp_keepalive_timer`), and the
 * tail-loss-probe / RACK reordering timer (`lossTimer`, tlp.ts and rack.ts).
 *
 * @module
 */

import { tcpPrequeueProcess } from './input.js';
import {
  currentRto,
  resetRtxTimer,
  TCP_FORCE_PROBE,
  TCP_NAGLE_PUSH,
  tcpEnterLoss,
  tcpRetransmitSkb,
  tcpSendAck,
  tcpSendActiveReset,
  tcpSendProbe0,
  tcpSendSynAck,
  tcpWriteXmit,
} from './output.js';
import { tcpDestroySock, tcpDone, tcpTwKill, tcpWriteErr } from './proto.js';
import { tcpRackReoTimeout } from './rack.js';
import { tcpClearLossTimer, tcpLossProbeInsteadOfRto, tcpSendLossProbe } from './tlp.js';
import { tcpUndoEnterLoss } from './undo.js';
import { CB_FLAGS } from './skb-cb.js';
import type { TcpSock } from './sock.js';
import { TcpState } from './state.js';
import { TcpFlags } from './wire/tcp.js';

/** The timer callbacks a socket's wheel timers dispatch to. */
export interface TcpTimerOps {
  retransmitTimer: (sk: TcpSock) => void;
  delackTimer: (sk: TcpSock) => void;
  keepaliveTimer: (sk: TcpSock) => void;
  /** Tail-loss probe or RACK reordering timeout (`ICSK_TIME_LOSS_PROBE` / `ICSK_TIME_REO_TIMEOUT`). */
  lossTimer: (sk: TcpSock) => void;
}

function synAckTimer(sk: TcpSock): void {
  const cfg = sk.stack.config;
  if (sk.synRetrans >= cfg.synAckRetries) {
    sk.stack.mib.synAckTimeouts++;
    tcpDestroySock(sk);
    return;
  }
  sk.synRetrans++;
  sk.stack.mib.retransSegs++;
  sk.rttTime = -1; // Karn: the handshake's ACK may answer either SYN-ACK
  tcpSendSynAck(sk);
  resetRtxTimer(sk, 1, Math.min(cfg.synAckTimeout * 2 ** sk.synRetrans, cfg.rtoMax));
}

function probeTimer(sk: TcpSock): void {
  const cfg = sk.stack.config;
  if (sk.writeQueue.qlen === 0 || sk.rtxQueue.qlen > 0) {
    sk.pendingTimer = 0;
    return;
  }
  // a usable but small window: send what fits (`tcp_write_wakeup`), breaking SWS
  // avoidance; corked or Nagle-held data leaves this way too, with PSH as in Linux
  const head = sk.writeQueue.peek()!;
  if (sk.sndWnd > 0 && head.len > 0) head.cb[CB_FLAGS] = head.cb[CB_FLAGS]! | TcpFlags.PSH;
  if (sk.sndWnd > 0 && tcpWriteXmit(sk, TCP_NAGLE_PUSH | TCP_FORCE_PROBE) > 0) {
    sk.stack.mib.probes++;
    if (sk.rtxQueue.qlen > 0 && sk.pendingTimer !== 1) resetRtxTimer(sk, 1, currentRto(sk));
    return;
  }
  if (sk.probesOut >= cfg.retries2) {
    tcpWriteErr(sk, 'ETIMEDOUT');
    return;
  }
  sk.probesOut++;
  sk.backoff++;
  sk.stack.mib.probes++;
  tcpSendProbe0(sk);
  resetRtxTimer(sk, 2, currentRto(sk));
}

/** `tcp_retransmit_timer` (+ `tcp_write_timeout`). */
function retransmitTimer(sk: TcpSock): void {
  const stack = sk.stack;
  const cfg = stack.config;
  const what = sk.pendingTimer;
  sk.pendingTimer = 0;
  if (sk.dead || sk.state === TcpState.CLOSE || sk.state === TcpState.LISTEN) return;
  if (sk.state === TcpState.SYN_RECV && sk.parent !== null) {
    synAckTimer(sk);
    return;
  }
  if (what === 2) {
    probeTimer(sk);
    return;
  }
  if (sk.rtxQueue.qlen === 0) return;
  const limit = sk.state === TcpState.SYN_SENT || sk.state === TcpState.SYN_RECV ? cfg.synRetries : cfg.retries2;
  if (sk.retransmits >= limit) {
    stack.mib.timeoutAborts++;
    tcpWriteErr(sk, 'ETIMEDOUT');
    return;
  }
  if (tcpLossProbeInsteadOfRto(sk)) return; // PTO capped at the RTO: the probe goes first (tlp.ts)
  stack.mib.timeouts++;
  // the RTO supersedes a pending probe / reordering timer; an outstanding probe episode ends
  tcpClearLossTimer(sk);
  sk.tlpPending = false;
  if (sk.state === TcpState.SYN_SENT || sk.state === TcpState.SYN_RECV) {
    tcpRetransmitSkb(sk, sk.rtxQueue.peek()!);
  } else {
    tcpUndoEnterLoss(sk); // undo record and F-RTO, before cwnd is reduced (undo.ts)
    if (sk.caState !== 4 || sk.retransmits === 0 || sk.sackOk) tcpEnterLoss(sk); // SACK: marks lost, no go-back-N
    else {
      sk.sndCwnd = sk.mss;
      sk.rtxQueue.spliceTail(sk.writeQueue);
      sk.writeQueue.spliceTail(sk.rtxQueue);
      sk.sndNxt = sk.sndUna;
    }
    tcpWriteXmit(sk, TCP_NAGLE_PUSH);
  }
  sk.backoff++;
  sk.retransmits++;
  resetRtxTimer(sk, 1, currentRto(sk));
}

/** `tcp_delack_timer`: send the pending ACK; drain a prequeue the reader left. */
function delackTimer(sk: TcpSock): void {
  if (sk.dead || sk.state === TcpState.CLOSE) return;
  if (sk.prequeue.qlen > 0) {
    sk.stack.mib.prequeueTimeouts++;
    tcpPrequeueProcess(sk);
  }
  if (sk.ackPending) {
    sk.stack.mib.delayedAcks++;
    tcpSendAck(sk);
  }
}

/** `tcp_keepalive_timer`: TIME-WAIT end, orphaned FIN-WAIT-2 timeout, keepalive probes. */
function keepaliveTimer(sk: TcpSock): void {
  const stack = sk.stack;
  if (sk.dead) return;
  if (sk.state === TcpState.TIME_WAIT) {
    tcpTwKill(sk);
    return;
  }
  if (sk.state === TcpState.FIN_WAIT2 && sk.orphan) {
    tcpDone(sk);
    return;
  }
  if (!sk.keepalive || sk.state === TcpState.CLOSE || sk.state === TcpState.LISTEN || sk.state === TcpState.SYN_SENT) return;
  const idle = stack.clock.now() - sk.lastRcvTime;
  if (sk.rtxQueue.qlen > 0 || sk.writeQueue.qlen > 0) {
    stack.wheel.mod(sk.kaTimer, sk.keepIdleMs);
    return;
  }
  if (idle >= sk.keepIdleMs + sk.kaProbes * sk.keepIntvlMs - 0.5) {
    if (sk.kaProbes >= sk.keepCnt) {
      tcpSendActiveReset(sk);
      tcpWriteErr(sk, 'ETIMEDOUT');
      return;
    }
    sk.kaProbes++;
    stack.mib.keepaliveProbes++;
    tcpSendProbe0(sk);
    stack.wheel.mod(sk.kaTimer, sk.keepIntvlMs);
  } else {
    stack.wheel.mod(sk.kaTimer, sk.keepIdleMs - idle);
  }
}

/** The probe / reordering timer (`tcp_write_timer_handler` for `ICSK_TIME_LOSS_PROBE` / `REO_TIMEOUT`). */
function lossTimer(sk: TcpSock): void {
  const kind = sk.lossTimerKind;
  sk.lossTimerKind = 0;
  if (sk.dead || sk.state === TcpState.CLOSE || sk.state === TcpState.LISTEN || sk.rtxQueue.qlen === 0) return;
  if (kind === 3) tcpSendLossProbe(sk);
  else if (kind === 4) tcpRackReoTimeout(sk);
}

/** The timer callbacks. */
export const tcpTimers: TcpTimerOps = { retransmitTimer, delackTimer, keepaliveTimer, lossTimer };
