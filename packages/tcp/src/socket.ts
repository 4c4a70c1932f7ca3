/**
 * Socket operations on a {@link TcpSock} (Linux `net/ipv4/tcp.c`, `af_inet.c`,
 * `inet_connection_sock.c`): `tcpSendmsg` (copy into the write queue, coalescing
 * into the tail skb up to the size goal), `tcpRecvmsg` (copy out of the receive
 * queue, prequeue processed in the reader's context, window update on read),
 * connect / bind / listen / accept / shutdown / close. Errors are thrown as
 * {@link TcpError} with POSIX errno names. These are the building blocks of the
 * fd-based API (socket-api.ts), the node:net layer and the zero-copy API.
 *
 * @module
 */

import { allocSkb, countSkbCopy } from '@netlayers/skbuff';
import { TcpError } from './errors.js';
import { tcpConnectInit, tcpPrequeueProcess } from './input.js';
import {
  tcpConnectSend,
  tcpNewWindow,
  tcpPush,
  tcpPushFullSkb,
  tcpReceiveWindow,
  tcpSendAck,
  tcpSendActiveReset,
  tcpSendFin,
} from './output.js';
import { tcpDestroySock, tcpDone, tcpSetState } from './proto.js';
import { tcpRcvSpaceAdjust } from './rcv-space.js';
import { seqAdd } from './seq.js';
import { CB_CHARGE, CB_END_SEQ, CB_FLAGS, CB_PCSUM, CB_SEQ, TCPCB_EOR, tcpSkbCanCollapseTo } from './skb-cb.js';
import type { TcpSock } from './sock.js';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, TcpState } from './state.js';
import { TcpFlags } from './wire/tcp.js';

/** cb flag bit: never append user data to this skb (its buffer is borrowed). */
export const CB_FLAG_NO_COALESCE = 0x100;
/** Largest listen backlog (`net.core.somaxconn`). */
export const SOMAXCONN = 4096;

/** Throws the pending socket error, if any (`sock_error`). */
export function takeError(sk: TcpSock, syscall: string): void {
  const e = sk.err;
  if (e !== undefined) {
    sk.err = undefined;
    throw new TcpError(e, `${syscall}: ${e}`, syscall);
  }
}

/** `bind(2)` (`inet_bind`). Port 0 picks an ephemeral port at listen/connect. */
export function inetBind(sk: TcpSock, addr: number, port: number): void {
  if (sk.state !== TcpState.CLOSE || sk.lport !== 0) throw new TcpError('EINVAL', 'socket already bound', 'bind');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TcpError('EINVAL', `bad port ${port}`, 'bind');
  const table = sk.stack.table;
  if (port !== 0) {
    if (table.lookupListener(addr, port)?.laddr === addr || (table.portInUse(port) && !sk.reuseAddr)) {
      throw new TcpError('EADDRINUSE', `port ${port} in use`, 'bind');
    }
    table.bindPort(port);
    sk.portBound = true;
  }
  sk.laddr = addr >>> 0;
  sk.lport = port;
}

/** `listen(2)` (`inet_listen` → `inet_csk_listen_start`). */
export function inetListen(sk: TcpSock, backlog: number): void {
  const table = sk.stack.table;
  if (sk.state === TcpState.LISTEN) {
    sk.maxAckBacklog = Math.max(0, Math.min(backlog, SOMAXCONN));
    return;
  }
  if (sk.state !== TcpState.CLOSE) throw new TcpError('EINVAL', 'socket is connected', 'listen');
  if (sk.lport === 0) {
    const p = table.allocEphemeral(sk.laddr, 0, 0);
    if (p === undefined) throw new TcpError('EADDRINUSE', 'no free port', 'listen');
    table.bindPort(p);
    sk.portBound = true;
    sk.lport = p;
  }
  const other = table.lookupListener(sk.laddr, sk.lport);
  if (other !== undefined && other.laddr === sk.laddr) throw new TcpError('EADDRINUSE', `port ${sk.lport} already listening`, 'listen');
  sk.maxAckBacklog = Math.max(0, Math.min(backlog, SOMAXCONN));
  tcpSetState(sk, TcpState.LISTEN);
  table.addListener(sk);
  sk.hashed = true;
}

/** `accept(2)` (`inet_csk_accept`): the oldest established child, or EAGAIN. */
export function inetAccept(sk: TcpSock): TcpSock {
  if (sk.state !== TcpState.LISTEN) throw new TcpError('EINVAL', 'socket is not listening', 'accept');
  const child = sk.acceptQueue.shift();
  if (child === undefined) throw new TcpError('EAGAIN', 'no pending connection', 'accept');
  child.inAcceptQueue = false;
  child.parent = null;
  return child;
}

/**
 * `connect(2)` (`tcp_v4_connect`): route, source address, ephemeral port, ISN,
 * hash, SYN. Returns at once (the caller waits for ESTABLISHED or an error).
 */
export function inetConnect(sk: TcpSock, raddr: number, rport: number): void {
  const stack = sk.stack;
  if (sk.state === TcpState.SYN_SENT) throw new TcpError('EALREADY', 'connect in progress', 'connect');
  if (sk.state !== TcpState.CLOSE) throw new TcpError('EISCONN', 'socket is connected', 'connect');
  if (sk.dead) throw new TcpError('EBADF', 'socket closed', 'connect');
  if (!Number.isInteger(rport) || rport <= 0 || rport > 65535) throw new TcpError('EINVAL', `bad port ${rport}`, 'connect');
  const route = stack.net.route(raddr >>> 0, sk.laddr);
  if (route === undefined) throw new TcpError('EHOSTUNREACH', 'no route to host', 'connect');
  if (sk.laddr === 0) sk.laddr = route.saddr;
  sk.raddr = raddr >>> 0;
  sk.rport = rport;
  if (sk.lport === 0) {
    const p = stack.table.allocEphemeral(sk.laddr, sk.raddr, rport);
    if (p === undefined) throw new TcpError('EADDRNOTAVAIL', 'no ephemeral port', 'connect');
    stack.table.bindPort(p);
    sk.portBound = true;
    sk.lport = p;
  }
  if (!stack.table.insert(sk)) throw new TcpError('EADDRNOTAVAIL', '4-tuple in use', 'connect');
  sk.hashed = true;
  sk.iss = stack.isn(sk.laddr, sk.raddr, sk.lport, sk.rport);
  sk.sndUna = sk.iss;
  sk.sndNxt = sk.iss;
  sk.sndMax = sk.iss;
  sk.sndSml = sk.iss;
  sk.writeSeq = seqAdd(sk.iss, 1);
  sk.pushedSeq = sk.writeSeq;
  sk.highSeq = sk.iss;
  sk.err = undefined;
  sk.shutdownFlags = 0;
  tcpConnectInit(sk);
  tcpSetState(sk, TcpState.SYN_SENT);
  stack.mib.activeOpens++;
  tcpConnectSend(sk);
}

/**
 * `tcp_sendmsg`: copies `data` into the write queue — appended to the tail skb while
 * it is below the size goal (and not ended by MSG_EOR), else into new skbs of
 * `sizeGoal` payload — charged to `sndbuf`, then pushed. `more` is MSG_MORE (hold a
 * partial segment back); `eor` is MSG_EOR: when all of `data` was taken, its last skb
 * gets {@link TCPCB_EOR} so no later write coalesces into it (`tcp_sendmsg_locked`).
 * Returns how many bytes were taken (maybe fewer than offered when the send buffer fills).
 * @throws TcpError EAGAIN (nothing fitted / not yet connected), EPIPE, ENOTCONN, or a pending error
 */
export function tcpSendmsg(sk: TcpSock, data: Uint8Array, more = false, eor = false): number {
  const stack = sk.stack;
  stack.lockSock(sk);
  try {
    takeError(sk, 'send');
    if ((sk.shutdownFlags & SEND_SHUTDOWN) !== 0 || sk.finQueued) throw new TcpError('EPIPE', 'send after shutdown', 'send');
    const st = sk.state;
    if (st === TcpState.SYN_SENT || st === TcpState.SYN_RECV) throw new TcpError('EAGAIN', 'connection not yet established', 'send');
    if (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT) {
      throw new TcpError(st === TcpState.CLOSE || st === TcpState.LISTEN ? 'ENOTCONN' : 'EPIPE', 'not connected', 'send');
    }
    const len = data.length;
    const goal = sk.sizeGoal;
    let copied = 0;
    while (copied < len) {
      let skb = sk.writeQueue.peekTail();
      let room = 0;
      if (skb !== null && (skb.cb[CB_FLAGS]! & (TcpFlags.FIN | CB_FLAG_NO_COALESCE)) === 0 && tcpSkbCanCollapseTo(skb) && !skb.isCloned() && skb.dataLen === 0) {
        room = Math.min(goal - skb.len, skb.tailroom());
      }
      if (room <= 0) {
        // nothing is appended after a record's end (MSG_EOR): its last skb holds just its bytes
        const want = eor ? Math.min(goal, len - copied) : goal;
        const size = stack.maxTcpHeader + want;
        if (sk.wmemQueued + size > sk.sndbuf) {
          sk.writeBlocked = true;
          break;
        }
        skb = allocSkb(size, { pool: stack.pool });
        skb.reserve(stack.maxTcpHeader);
        skb.headerRelease();
        skb.cb[CB_SEQ] = sk.writeSeq;
        skb.cb[CB_END_SEQ] = sk.writeSeq;
        skb.cb[CB_FLAGS] = TcpFlags.ACK;
        skb.cb[CB_CHARGE] = skb.truesize;
        sk.wmemQueued += skb.truesize;
        sk.writeQueue.enqueueTail(skb);
        room = want;
      }
      const n = Math.min(room, len - copied);
      if (skb === null) break;
      const off = skb.putUnchecked(n);
      skb.buf.set(n === len ? data : data.subarray(copied, copied + n), off);
      countSkbCopy(skb, n); // the copy meter sees tcp_sendmsg's user→skb copy
      sk.writeQueue.bytes += n;
      skb.cb[CB_END_SEQ] = seqAdd(skb.cb[CB_END_SEQ]!, n);
      skb.cb[CB_PCSUM] = 0;
      sk.writeSeq = seqAdd(sk.writeSeq, n);
      copied += n;
      // a full segment at the send head: start transmitting now (tcp_push_one)
      if (copied < len && skb.len >= goal) tcpPushFullSkb(sk, skb);
    }
    if (copied === 0 && len > 0) throw new TcpError('EAGAIN', 'send buffer full', 'send');
    if (copied < len) sk.writeBlocked = true;
    else if (eor && len > 0) {
      const tail = sk.writeQueue.peekTail();
      if (tail !== null) tail.cb[CB_FLAGS] = tail.cb[CB_FLAGS]! | TCPCB_EOR;
    }
    tcpPush(sk, more);
    return copied;
  } finally {
    stack.releaseSock(sk);
  }
}

/**
 * Sends a window update when reading opened the window a lot (`tcp_cleanup_rbuf`),
 * and a pending ACK if one is due.
 */
export function tcpCleanupRbuf(sk: TcpSock, copied: number): void {
  if (sk.state === TcpState.CLOSE || sk.state === TcpState.LISTEN || sk.state === TcpState.SYN_SENT) return;
  let timeToAck = false;
  if (copied > 0 && (sk.shutdownFlags & RCV_SHUTDOWN) === 0) {
    const now = tcpReceiveWindow(sk);
    if (2 * now <= sk.windowClamp) {
      const nw = tcpNewWindow(sk);
      if (nw > 0 && nw >= 2 * now) timeToAck = true;
    }
  }
  if (sk.ackPending && sk.rcvSegsSinceAck >= 1 && sk.receiveQueue.qlen === 0) timeToAck = true;
  if (timeToAck) tcpSendAck(sk);
}

function recvPreamble(sk: TcpSock): void {
  if (sk.prequeue.qlen > 0) tcpPrequeueProcess(sk);
}

function recvEmpty(sk: TcpSock, syscall: string): number {
  if (sk.receiveQueue.qlen > 0) return -1;
  takeError(sk, syscall);
  if ((sk.shutdownFlags & RCV_SHUTDOWN) !== 0 || sk.finSeen) return 0;
  if (sk.state === TcpState.CLOSE) {
    if (sk.softErr !== undefined || sk.finSeen) return 0;
    throw new TcpError('ENOTCONN', 'not connected', syscall);
  }
  if (sk.state === TcpState.LISTEN) throw new TcpError('ENOTCONN', 'listening socket', syscall);
  throw new TcpError('EAGAIN', 'no data', syscall);
}

/**
 * `tcp_recvmsg`: copies up to `dst.length` bytes from the receive queue into `dst`
 * (after processing the prequeue in this, the reader's, context).
 * @returns bytes copied; 0 means end of stream (FIN received or read side shut)
 * @throws TcpError EAGAIN when no data is available yet, ECONNRESET etc. on errors
 */
export function tcpRecvmsg(sk: TcpSock, dst: Uint8Array): number {
  const stack = sk.stack;
  stack.lockSock(sk);
  try {
    recvPreamble(sk);
    let copied = 0;
    const want = dst.length;
    while (copied < want) {
      const skb = sk.receiveQueue.peek();
      if (skb === null) break;
      const offset = (sk.copiedSeq - skb.cb[CB_SEQ]!) >>> 0;
      const avail = skb.len - offset;
      const n = Math.min(avail, want - copied);
      if (n > 0) {
        if (offset + n <= skb.headlen) {
          dst.set(skb.buf.subarray(skb.data + offset, skb.data + offset + n), copied);
          countSkbCopy(skb, n); // tcp_recvmsg's skb→user copy, seen by the copy meter
        }
        else skb.copyBits(offset, dst, n, copied);
      }
      sk.copiedSeq = seqAdd(sk.copiedSeq, n);
      copied += n;
      if (offset + n >= skb.len) {
        sk.receiveQueue.unlink(skb);
        skb.free();
      }
    }
    if (copied === 0 && want > 0) {
      const r = recvEmpty(sk, 'recv');
      if (r === 0) return 0;
    }
    if (copied > 0) tcpRcvSpaceAdjust(sk);
    tcpCleanupRbuf(sk, copied);
    return copied;
  } finally {
    stack.releaseSock(sk);
  }
}

/**
 * The thesis's `tcp_recvskbuff()`: dequeues whole received skbs (payload only,
 * already uncharged from the socket: the caller owns and must free them) until at
 * least `maxBytes` bytes or the queue is empty. A skb is never split, so the total
 * may exceed `maxBytes`. An empty array with `eof` true means end of stream.
 * @throws TcpError EAGAIN when nothing is queued, or the pending error
 */
export function tcpRecvSkbs(sk: TcpSock, maxBytes: number): import('@netlayers/skbuff').SkBuff[] {
  const stack = sk.stack;
  stack.lockSock(sk);
  try {
    recvPreamble(sk);
    const out: import('@netlayers/skbuff').SkBuff[] = [];
    let total = 0;
    while (total < maxBytes || out.length === 0) {
      const skb = sk.receiveQueue.peek();
      if (skb === null) break;
      const offset = (sk.copiedSeq - skb.cb[CB_SEQ]!) >>> 0;
      sk.receiveQueue.unlink(skb);
      skb.orphan(); // sock_rfree: uncharge, no destructor for the new owner
      if (offset > 0) {
        if (offset <= skb.headlen) skb.pull(offset);
        else {
          skb.linearize();
          skb.pull(offset);
        }
      }
      sk.copiedSeq = seqAdd(sk.copiedSeq, skb.len);
      total += skb.len;
      out.push(skb);
    }
    if (out.length === 0) recvEmpty(sk, 'recvSkbs');
    if (total > 0) tcpRcvSpaceAdjust(sk);
    tcpCleanupRbuf(sk, total);
    return out;
  } finally {
    stack.releaseSock(sk);
  }
}

/**
 * `shutdown(2)` (`tcp_shutdown`): SHUT_RD (0) marks the read side shut, SHUT_WR (1)
 * queues our FIN (ESTABLISHED → FIN-WAIT-1, CLOSE-WAIT → LAST-ACK), SHUT_RDWR (2) both.
 */
export function tcpShutdown(sk: TcpSock, how: 0 | 1 | 2): void {
  const st = sk.state;
  if (st === TcpState.CLOSE || st === TcpState.LISTEN) throw new TcpError('ENOTCONN', 'not connected', 'shutdown');
  const stack = sk.stack;
  stack.lockSock(sk);
  try {
    if (how === 0 || how === 2) sk.shutdownFlags |= RCV_SHUTDOWN;
    if (how === 1 || how === 2) {
      sk.shutdownFlags |= SEND_SHUTDOWN;
      if (st === TcpState.SYN_SENT) {
        tcpDone(sk);
        return;
      }
      if (tcpCloseState(sk)) tcpSendFin(sk);
    }
    sk.onDataReady?.(sk);
  } finally {
    stack.releaseSock(sk);
  }
}

/** State move on close/shutdown(WR) (`tcp_close_state`); true if a FIN must be sent. */
function tcpCloseState(sk: TcpSock): boolean {
  switch (sk.state) {
    case TcpState.ESTABLISHED:
    case TcpState.SYN_RECV:
      tcpSetState(sk, TcpState.FIN_WAIT1);
      return true;
    case TcpState.CLOSE_WAIT:
      tcpSetState(sk, TcpState.LAST_ACK);
      return true;
    default:
      return false;
  }
}

/**
 * `close(2)` (`tcp_close`): the socket becomes an orphan. Unread data or SO_LINGER
 * with a zero timeout abort with RST (RFC 2525 §2.17, RFC 9293 §3.10.4); otherwise
 * our FIN is queued and the connection finishes in the background (FIN-WAIT-2 and
 * TIME-WAIT timers). A listener resets its queued children.
 */
export function tcpClose(sk: TcpSock): void {
  if (sk.dead) return;
  const stack = sk.stack;
  stack.lockSock(sk);
  try {
    sk.orphan = true;
    sk.onDataReady = sk.onWriteSpace = sk.onStateChange = sk.onError = sk.onAcceptReady = null;
    const st = sk.state;
    if (st === TcpState.LISTEN) {
      tcpSetState(sk, TcpState.CLOSE);
      const queued = sk.acceptQueue;
      sk.acceptQueue = [];
      for (const c of queued) {
        c.inAcceptQueue = false;
        c.orphan = true;
        if (c.state !== TcpState.CLOSE) tcpSendActiveReset(c);
        tcpDestroySock(c);
      }
      if (sk.synQueue !== null) for (const c of [...sk.synQueue]) tcpDestroySock(c);
      tcpDestroySock(sk);
      return;
    }
    const unread = sk.readable() > 0 || sk.receiveQueue.qlen > 0;
    sk.shutdownFlags = SHUTDOWN_MASK;
    if (st === TcpState.CLOSE) {
      tcpDestroySock(sk);
      return;
    }
    if (st === TcpState.SYN_SENT) {
      tcpDone(sk);
      return;
    }
    if (unread || (sk.lingerOn && sk.lingerSecs === 0)) {
      stack.mib.abortOnData++;
      if (st !== TcpState.TIME_WAIT) tcpSendActiveReset(sk);
      tcpDone(sk);
      return;
    }
    if (tcpCloseState(sk)) tcpSendFin(sk);
    if (sk.state === TcpState.FIN_WAIT2) stack.wheel.mod(sk.kaTimer, stack.config.finTimeoutMs);
    if (sk.state === TcpState.CLOSE) tcpDestroySock(sk);
  } finally {
    stack.releaseSock(sk);
  }
}

/** Abort with RST (`tcp_abort` / SO_LINGER 0 close). */
export function tcpAbort(sk: TcpSock): void {
  if (sk.dead) return;
  const st = sk.state;
  if (st !== TcpState.CLOSE && st !== TcpState.LISTEN && st !== TcpState.SYN_SENT && st !== TcpState.TIME_WAIT) tcpSendActiveReset(sk);
  sk.orphan = true;
  if (st === TcpState.LISTEN) {
    tcpClose(sk);
    return;
  }
  tcpDone(sk);
}
