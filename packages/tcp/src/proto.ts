/**
 * Connection-lifecycle helpers shared by input, output, timers and the socket
 * layer: the single `tcpSetState` choke point (Linux `tcp_set_state`), `tcpDone`,
 * `tcpReset`, `tcpFin`, TIME-WAIT entry, socket destruction and memory
 * (un)charging (`sock_rfree`, `sk_wmem_free_skb`).
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import type { Errno } from './errors.js';
import { clearRtxTimer, tcpSendAck } from './output.js';
import { CB_CHARGE } from './skb-cb.js';
import { seqAdd } from './seq.js';
import type { TcpSock } from './sock.js';
import { RCV_SHUTDOWN, SHUTDOWN_MASK, TcpState, tcpStateName } from './state.js';

/**
 * The one place where a socket changes state (`tcp_set_state`): traces
 * `old => new`, keeps the MIB counters, and unhashes on CLOSE.
 */
export function tcpSetState(sk: TcpSock, state: TcpState): void {
  const old = sk.state;
  if (old === state) return;
  const stack = sk.stack;
  if (stack.trace !== undefined) stack.trace(`sock ${sk.id}: ${tcpStateName(old)} => ${tcpStateName(state)}`);
  if (state === TcpState.ESTABLISHED) stack.mib.currEstab++;
  else if (old === TcpState.ESTABLISHED) stack.mib.currEstab--;
  if (state === TcpState.CLOSE && (old === TcpState.ESTABLISHED || old === TcpState.CLOSE_WAIT)) stack.mib.estabResets++;
  sk.state = state;
  if (state === TcpState.CLOSE) stack.unhash(sk);
}

/** Destructor for received skbs: uncharges `sk_rmem_alloc` (`sock_rfree`). */
export function sockRfree(skb: SkBuff): void {
  const sk = skb.sk as TcpSock | null;
  if (sk !== null && sk !== undefined) sk.rmemAlloc -= skb.truesize;
}

/** Charges a received skb to the socket and sets the destructor (`skb_set_owner_r`). */
export function skbSetOwnerR(skb: SkBuff, sk: TcpSock): void {
  skb.sk = sk;
  skb.destructor = sockRfree;
  sk.rmemAlloc += skb.truesize;
}

/** Frees a write-queue skb and uncharges `sk_wmem_queued` (`sk_wmem_free_skb`). */
export function skWmemFreeSkb(sk: TcpSock, skb: SkBuff): void {
  sk.wmemQueued -= skb.cb[CB_CHARGE]!;
  skb.free();
}

/** Purges the write and retransmit queues (`tcp_write_queue_purge`). */
export function tcpWriteQueuePurge(sk: TcpSock): void {
  for (let s = sk.writeQueue.dequeue(); s !== null; s = sk.writeQueue.dequeue()) skWmemFreeSkb(sk, s);
  for (let s = sk.rtxQueue.dequeue(); s !== null; s = sk.rtxQueue.dequeue()) skWmemFreeSkb(sk, s);
}

/** Purges every receive-side queue. */
export function tcpRcvQueuesPurge(sk: TcpSock): void {
  sk.receiveQueue.purge();
  sk.backlog.purge();
  sk.backlogLen = 0;
  sk.prequeue.purge();
  sk.prequeueLen = 0;
  sk.ofoQueue.purge();
}

/** Cancels every timer of the socket (`tcp_clear_xmit_timers`). */
export function tcpClearTimers(sk: TcpSock): void {
  clearRtxTimer(sk);
  sk.stack.wheel.del(sk.delackTimer);
  sk.stack.wheel.del(sk.kaTimer);
  sk.stack.wheel.del(sk.lossTimer);
  sk.lossTimerKind = 0;
}

/**
 * Final teardown of an orphaned, closed socket (`inet_csk_destroy_sock`): all
 * queues freed, timers cancelled, removed from the stack.
 */
export function tcpDestroySock(sk: TcpSock): void {
  if (sk.dead) return;
  if (sk.state !== TcpState.CLOSE) tcpSetState(sk, TcpState.CLOSE);
  tcpClearTimers(sk);
  sk.ca.release?.(sk); // tcp_cleanup_congestion_control
  tcpWriteQueuePurge(sk);
  tcpRcvQueuesPurge(sk);
  if (sk.parent !== null) {
    const p = sk.parent;
    if (sk.inSynQueue) {
      p.synQueueLen--;
      p.synQueue?.delete(sk);
      sk.inSynQueue = false;
    }
    if (sk.inAcceptQueue) {
      const i = p.acceptQueue.indexOf(sk);
      if (i >= 0) p.acceptQueue.splice(i, 1);
      sk.inAcceptQueue = false;
    }
    sk.parent = null;
  }
  sk.dead = true;
  sk.stack.forget(sk);
}

/**
 * The connection is finished (`tcp_done`): CLOSE, timers stopped, send queues
 * purged; an orphan is destroyed, otherwise the user is woken.
 */
export function tcpDone(sk: TcpSock): void {
  tcpSetState(sk, TcpState.CLOSE);
  tcpClearTimers(sk);
  tcpWriteQueuePurge(sk);
  sk.shutdownFlags = SHUTDOWN_MASK;
  // A child that was never accepted has no user: destroy it.
  if (sk.orphan || (sk.parent !== null && !sk.inAcceptQueue)) tcpDestroySock(sk);
  else {
    sk.onStateChange?.(sk);
    sk.onDataReady?.(sk);
    sk.onWriteSpace?.(sk);
  }
}

/** Reports an error to the user and finishes the connection (`tcp_write_err`). */
export function tcpWriteErr(sk: TcpSock, err: Errno): void {
  sk.err = err;
  sk.softErr = err;
  sk.onError?.(sk);
  tcpDone(sk);
}

/** A valid RST arrived (`tcp_reset`): the error depends on the state. */
export function tcpReset(sk: TcpSock): void {
  sk.stack.mib.inRsts++;
  let err: Errno | undefined;
  switch (sk.state) {
    case TcpState.SYN_SENT:
      err = 'ECONNREFUSED';
      break;
    case TcpState.CLOSE_WAIT:
      err = 'EPIPE';
      break;
    case TcpState.CLOSE:
    case TcpState.TIME_WAIT:
    case TcpState.LAST_ACK:
    case TcpState.CLOSING:
      err = undefined;
      break;
    case TcpState.SYN_RECV:
      err = sk.parent !== null ? undefined : 'ECONNREFUSED';
      break;
    default:
      err = 'ECONNRESET';
  }
  if (err !== undefined) tcpWriteErr(sk, err);
  else tcpDone(sk);
}

/** Enters TIME-WAIT for 2·MSL (`tcp_time_wait`). */
export function tcpTimeWait(sk: TcpSock): void {
  tcpSetState(sk, TcpState.TIME_WAIT);
  clearRtxTimer(sk);
  sk.stack.wheel.del(sk.delackTimer);
  tcpWriteQueuePurge(sk);
  sk.ofoQueue.purge();
  sk.stack.wheel.mod(sk.kaTimer, sk.stack.config.timeWaitMs);
  sk.onStateChange?.(sk);
}

/**
 * Processes an in-order FIN (`tcp_fin`, RFC 9293 §3.10.7.4 eighth step): advance
 * rcv_nxt over it, mark the receive side shut, ACK at once, move the state.
 */
export function tcpFin(sk: TcpSock): void {
  const noDataYet = sk.rcvNxt === seqAdd(sk.irs, 1);
  sk.rcvNxt = seqAdd(sk.rcvNxt, 1);
  sk.finSeen = true;
  sk.shutdownFlags |= RCV_SHUTDOWN;
  sk.ofoQueue.purge();
  sk.selectiveAcks.length = 0; // tcp_sack_reset: no SACK or DSACK blocks after a FIN
  sk.dsack = null;
  switch (sk.state) {
    case TcpState.SYN_RECV:
    case TcpState.ESTABLISHED:
      // Linux: the ACK is only scheduled and the socket enters pingpong mode (no
      // quick ACKs), so it waits for the delayed-ACK timer or rides on our FIN
      tcpSetState(sk, TcpState.CLOSE_WAIT);
      sk.quickAcks = 0;
      sk.ackPending = true;
      // no memory for the FIN (receive buffer full): ACK now (ICSK_ACK_NOW in tcp_data_queue);
      // before any data the delayed-ACK engine has no timeout yet (`icsk_ack.ato` 0), so
      // the timer Linux arms fires at once: ACK now too
      if (noDataYet || sk.rmemAlloc >= sk.rcvbuf) tcpSendAck(sk);
      break;
    case TcpState.FIN_WAIT1:
      tcpSetState(sk, TcpState.CLOSING); // simultaneous close
      tcpSendAck(sk);
      break;
    case TcpState.FIN_WAIT2:
      tcpSendAck(sk);
      tcpTimeWait(sk);
      sk.onDataReady?.(sk);
      return;
    default:
      tcpSendAck(sk);
      break;
  }
  sk.onStateChange?.(sk);
  sk.onDataReady?.(sk);
}

/**
 * Ends TIME-WAIT (`inet_twsk_kill`): an orphan is destroyed; a socket the user
 * still holds becomes CLOSED but keeps its unread data (in Linux the user's socket
 * is already TCP_CLOSE while a timewait minisock holds the 4-tuple).
 */
export function tcpTwKill(sk: TcpSock): void {
  if (sk.orphan) tcpDestroySock(sk);
  else tcpDone(sk);
}
