/**
 * Connection opening and the mini-socket states (Linux `tcp_minisocks.c`, with the
 * listener half of `tcp_ipv4.c` and `tcp_connect_init`): SYN options, the listener's
 * SYN queue (`tcp_v4_conn_request`), SYN-RECV → ESTABLISHED (`tcp_check_req`) and
 * TIME-WAIT input (`tcp_timewait_state_process`).
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { initialWindow } from './cong.js';
import { tcpCleanRtxQueue } from './ack.js';
import { tcpDestroySock, tcpDone, tcpSetState, tcpTwKill } from './proto.js';
import {
  clearRtxTimer,
  resetRtxTimer,
  tcpNewWindow,
  tcpSendAck,
  tcpSendActiveReset,
  tcpSendSynAck,
  tcpSyncMss,
  tcpV4SendReset,
  tcpV4SendSynAckStateless,
} from './output.js';
import { tcpInitBufferSpace } from './rcv-space.js';
import { seqAdd, seqGt } from './seq.js';
import { CB_ACK, CB_DOFF, CB_END_SEQ, CB_FLAGS, CB_SEQ, CB_WINDOW } from './skb-cb.js';
import { CaState, NO_SOCKS, type TcpSock } from './sock.js';
import { TcpState } from './state.js';
import type { TcpStack } from './stack.js';
import { field, parseTcpOptions, TCP_HEADER_LEN, type TcpOptions, TcpFlags } from './wire/tcp.js';
import { tcpRcvStateProcess } from './input.js';
import { COOKIE_MAX_AGE, cookieCheck, cookieInitSequence, cookieTsDecode, cookieTsEncode, type CookieTuple } from './syncookies.js';


export function synOptions(skb: SkBuff): TcpOptions {
  const doff = skb.cb[CB_DOFF]!;
  if (doff <= TCP_HEADER_LEN) return {};
  const start = skb.data - doff;
  return parseTcpOptions(skb.buf, start + field.OPTIONS, start + doff);
}

/**
 * Window scale we offer (`tcp_select_initial_window`): for the largest buffer the
 * socket may grow to, or, once SO_RCVBUF fixed it, for that buffer's window
 * (`tcp_full_space`; so 20000 bytes give scale 0, as on Linux).
 */
function chooseRcvWscale(sk: TcpSock): number {
  let space = Math.max(sk.rcvbuf, sk.stack.config.rcvbufMax);
  if (sk.rcvbufLock) space = Math.floor(sk.rcvbuf * sk.scalingRatio);
  let ws = 0;
  while (space > 65535 && ws < 14) {
    space >>>= 1;
    ws++;
  }
  return ws;
}

/** Per-connection TSval offset, derived from our ISN (Linux: `secure_tcp_ts_off`). */
export function tcpTsOffset(iss: number): number {
  return Math.imul(iss, 0x9e3779b1) >>> 0;
}

/** Sets up a socket for the first SYN it sends (`tcp_connect_init`). */
export function tcpConnectInit(sk: TcpSock): void {
  sk.tsOffset = tcpTsOffset(sk.iss);
  sk.rcvWscale = chooseRcvWscale(sk);
  sk.windowClamp = 65535 * 2 ** sk.rcvWscale;
  if (sk.rcvbufLock) sk.windowClamp = Math.min(sk.windowClamp, Math.floor(sk.rcvbuf * sk.scalingRatio));
  tcpSyncMss(sk);
  sk.advMss = Math.min(sk.pmtu, 65535) - 40;
  if (sk.userMss > 0) sk.advMss = Math.min(sk.advMss, sk.userMss);
  sk.rcvWnd = Math.min(tcpNewWindow(sk) || sk.advMss, 65535);
}

/** Connection established: congestion state and MSS (`tcp_init_transfer`). */
export function tcpInitTransfer(sk: TcpSock): void {
  tcpSyncMss(sk);
  sk.sndCwnd = initialWindow(sk.mss);
  sk.sndSsthresh = 0x7fffffff;
  sk.caState = CaState.OPEN;
  sk.highSeq = sk.sndUna; // recover = ISS (RFC 6582 §3.2 step 1): highSeq is recover + 1
  sk.quickAcks = 0; // granted at the first data segment (tcpIncrQuickack in input.ts)
  sk.lastRcvTime = sk.stack.clock.now();
  sk.ca.init?.(sk);
  if (sk.keepalive) sk.stack.wheel.mod(sk.kaTimer, sk.keepIdleMs);
  tcpInitBufferSpace(sk);
}

/** Applies the peer's SYN options (`tcp_parse_options` on SYN / `tcp_openreq_init`). */
export function applySynOptions(sk: TcpSock, opts: TcpOptions, weOffered: boolean): void {
  sk.peerMss = opts.mss ?? 536;
  if (opts.windowScale !== undefined && weOffered) {
    sk.sndWscale = opts.windowScale;
    sk.wscaleOk = true;
  } else {
    sk.sndWscale = 0;
    sk.rcvWscale = 0;
    sk.wscaleOk = false;
    sk.windowClamp = Math.min(sk.windowClamp, 65535);
  }
  sk.sackOk = opts.sackPermitted === true && sk.stack.config.sack;
  sk.tstampOk = opts.timestamps !== undefined && sk.stack.config.timestamps;
  if (sk.tstampOk) {
    sk.tsRecent = opts.timestamps!.tsval;
    sk.tsRecentStamp = sk.stack.clock.now();
  }
}

/**
 * A SYN on a listener (`tcp_v4_conn_request`): checks the accept and SYN queue
 * bounds (dropping on overflow like Linux without syncookies), creates the child
 * in SYN-RECV in the connection table and answers SYN-ACK.
 */
export function tcpV4ConnRequest(lsk: TcpSock, skb: SkBuff): void {
  const stack = lsk.stack;
  const flags = skb.cb[CB_FLAGS]!;
  const seq = skb.cb[CB_SEQ]!;
  const saddr = stack.rxSaddr;
  const daddr = stack.rxDaddr;
  const sport = stack.rxSport;
  const dport = stack.rxDport;
  if ((flags & TcpFlags.RST) !== 0) {
    skb.free();
    return;
  }
  if ((flags & TcpFlags.ACK) !== 0) {
    if ((flags & (TcpFlags.SYN | TcpFlags.FIN)) === 0 && cookieRecentlySent(lsk) && tcpCookieAck(lsk, skb)) return;
    tcpV4SendReset(stack, saddr, daddr, sport, dport, seq, skb.cb[CB_ACK]!, flags, (skb.cb[CB_END_SEQ]! - seq) >>> 0);
    skb.free();
    return;
  }
  if ((flags & TcpFlags.SYN) === 0) {
    skb.free();
    return;
  }
  if (lsk.acceptQueue.length >= lsk.maxAckBacklog) {
    stack.mib.listenOverflows++;
    stack.mib.listenDrops++;
    skb.free();
    return;
  }
  if (lsk.synQueueLen >= Math.max(lsk.maxAckBacklog, stack.config.minSynBacklog)) {
    if (stack.config.syncookies) tcpSendCookieSynAck(lsk, skb);
    else stack.mib.listenDrops++;
    skb.free();
    return;
  }
  const c = tcpOpenreqChild(lsk, skb, seq, stack.isn(daddr, saddr, dport, sport), synOptions(skb));
  if (c === null) {
    skb.free();
    return;
  }
  stack.mib.passiveOpens++;
  tcpSendSynAck(c);
  // RTT sample from this SYN-ACK to the handshake's ACK (`tcp_synack_rtt_meas`)
  c.rttTime = stack.clock.now();
  c.rttSeq = seqAdd(c.iss, 1);
  resetRtxTimer(c, 1, stack.config.synAckTimeout);
  skb.free();
}

/**
 * A child of `lsk` in SYN-RECV for the segment being demultiplexed
 * (`tcp_create_openreq_child`): peer ISN `irs`, our ISN `iss`, the peer's SYN
 * options; hashed, holding the port and counted in the SYN queue.
 * @returns the child, or null when its 4-tuple is taken
 */
function tcpOpenreqChild(lsk: TcpSock, skb: SkBuff, irs: number, iss: number, opts: TcpOptions): TcpSock | null {
  const stack = lsk.stack;
  const c = stack.newSock();
  c.sndbuf = lsk.sndbuf;
  c.rcvbuf = lsk.rcvbuf;
  c.rcvbufLock = lsk.rcvbufLock;
  c.nodelay = lsk.nodelay;
  c.ca = lsk.ca; // TCP_CONGESTION of the listener (`inet_csk_clone_lock` copies icsk_ca_ops)
  c.keepalive = lsk.keepalive;
  c.keepIdleMs = lsk.keepIdleMs;
  c.keepIntvlMs = lsk.keepIntvlMs;
  c.keepCnt = lsk.keepCnt;
  c.userMss = lsk.userMss;
  c.lingerOn = lsk.lingerOn;
  c.lingerSecs = lsk.lingerSecs;
  c.laddr = stack.rxDaddr;
  c.lport = stack.rxDport;
  c.raddr = stack.rxSaddr;
  c.rport = stack.rxSport;
  c.parent = lsk;
  c.irs = irs;
  c.rcvNxt = seqAdd(irs, 1);
  c.copiedSeq = c.rcvNxt;
  c.rcvWup = c.rcvNxt;
  c.iss = iss;
  c.sndUna = iss;
  c.sndNxt = seqAdd(iss, 1);
  c.sndMax = c.sndNxt;
  c.writeSeq = c.sndNxt;
  c.pushedSeq = c.writeSeq;
  c.sndSml = c.sndUna;
  c.sndWl1 = skb.cb[CB_SEQ]!;
  c.sndWnd = skb.cb[CB_WINDOW]!;
  c.maxWindow = c.sndWnd;
  tcpConnectInit(c);
  applySynOptions(c, opts, true);
  c.state = TcpState.SYN_RECV;
  if (!stack.table.insert(c)) {
    tcpDestroySock(c);
    return null;
  }
  c.hashed = true;
  stack.table.bindPort(c.lport); // the child holds the local port too (bind conflicts, SO_REUSEADDR)
  c.portBound = true;
  c.inSynQueue = true;
  lsk.synQueueLen++;
  (lsk.synQueue ??= new Set()).add(c);
  return c;
}

function rxTuple(stack: TcpStack): CookieTuple {
  return { saddr: stack.rxSaddr, sport: stack.rxSport, daddr: stack.rxDaddr, dport: stack.rxDport };
}

/** Whether `lsk` sent cookies recently enough for an ACK to carry a valid one (`tcp_synq_no_recent_overflow`). */
function cookieRecentlySent(lsk: TcpSock): boolean {
  return lsk.stack.config.syncookies && lsk.stack.clock.now() - lsk.lastCookieMs < COOKIE_MAX_AGE * 60_000;
}

/** The unscaled window of a cookie SYN-ACK (recomputed when the cookie returns). */
function cookieSynAckWindow(lsk: TcpSock): number {
  return Math.min(lsk.rcvbuf >>> 1, 65535);
}

/**
 * SYN queue full: answer with a SYN cookie and keep nothing (`tcp_conn_request`
 * with `want_cookie`). With timestamps, the peer's window scale and SACK-permitted
 * ride in the low bits of our TSval (`cookie_init_timestamp`) and the SYN-ACK
 * answers them; without, the cookie cannot carry them, so the SYN-ACK offers only
 * the MSS, as Linux does.
 */
function tcpSendCookieSynAck(lsk: TcpSock, skb: SkBuff): void {
  const stack = lsk.stack;
  const opts = synOptions(skb);
  const now = stack.clock.now();
  const peerMss = opts.mss ?? 536;
  const route = stack.net.route(stack.rxSaddr, stack.rxDaddr);
  let ourMss = Math.min(route?.mtu ?? 576, 65535) - 40;
  if (lsk.userMss > 0) ourMss = Math.min(ourMss, lsk.userMss);
  const seq = skb.cb[CB_SEQ]!;
  const isn = cookieInitSequence(stack.cookieKey, now, rxTuple(stack), seq, Math.min(peerMss, ourMss));
  lsk.lastCookieMs = now;
  stack.mib.syncookiesSent++;
  const out: TcpOptions = { mss: ourMss };
  if (opts.timestamps !== undefined && stack.config.timestamps) {
    const sackOk = opts.sackPermitted === true && stack.config.sack;
    if (sackOk) out.sackPermitted = true;
    const tsNow = (Math.floor(now) + tcpTsOffset(isn)) >>> 0;
    out.timestamps = { tsval: cookieTsEncode(tsNow, { wscale: opts.windowScale, sackOk }), tsecr: opts.timestamps.tsval };
    if (opts.windowScale !== undefined) out.windowScale = chooseRcvWscale(lsk); // what the child will compute
  }
  tcpV4SendSynAckStateless(stack, stack.rxSaddr, stack.rxDaddr, stack.rxSport, stack.rxDport, isn, seqAdd(seq, 1), out, cookieSynAckWindow(lsk));
}

/**
 * An ACK on a listener that may return a cookie (`cookie_v4_check`): a valid one
 * creates the child as if it had waited in the SYN queue, and the segment (which
 * may carry data) is processed by it.
 * @returns whether the cookie was valid (then `skb` was consumed)
 */
function tcpCookieAck(lsk: TcpSock, skb: SkBuff): boolean {
  const stack = lsk.stack;
  const seq = skb.cb[CB_SEQ]!;
  const ack = skb.cb[CB_ACK]!;
  const irs = (seq - 1) >>> 0;
  const iss = (ack - 1) >>> 0;
  const mss = cookieCheck(stack.cookieKey, stack.clock.now(), rxTuple(stack), irs, iss);
  if (mss === 0) {
    stack.mib.syncookiesFailed++;
    return false;
  }
  stack.mib.syncookiesRecv++;
  if (lsk.acceptQueue.length >= lsk.maxAckBacklog) {
    // like a full accept queue for a regular child: drop, the peer's next segment retries
    stack.mib.listenOverflows++;
    stack.mib.listenDrops++;
    skb.free();
    return true;
  }
  // with timestamps, the echoed TSval carries the peer's window scale and SACK-permitted
  const ackOpts = synOptions(skb);
  const opts: TcpOptions = { mss };
  if (ackOpts.timestamps !== undefined && stack.config.timestamps) {
    const t = cookieTsDecode(ackOpts.timestamps.tsecr);
    if (t.wscale !== undefined) opts.windowScale = t.wscale;
    if (t.sackOk) opts.sackPermitted = true;
    opts.timestamps = ackOpts.timestamps;
  }
  const c = tcpOpenreqChild(lsk, skb, irs, iss, opts);
  if (c === null) {
    skb.free();
    return true;
  }
  c.rcvWnd = Math.max(c.rcvWnd, cookieSynAckWindow(lsk)); // the window our SYN-ACK offered
  stack.mib.passiveOpens++;
  tcpRcvStateProcess(c, skb);
  if (c.state === TcpState.SYN_RECV) tcpDestroySock(c); // not established: keep no state
  return true;
}

/**
 * Rate limit for ACKs answering out-of-window pure ACKs (`tcp_oow_rate_limited`,
 * `tcp_invalid_ratelimit` 500 ms): two endpoints that each find the other's ACK
 * unacceptable must not ping-pong forever.
 */
export function tcpOowRateOk(sk: TcpSock): boolean {
  const now = sk.stack.clock.now();
  if (now - sk.lastOowAck < sk.stack.config.invalidRatelimitMs) {
    sk.stack.mib.oowRateLimited++;
    return false;
  }
  sk.lastOowAck = now;
  return true;
}


/**
 * SYN-RECV → ESTABLISHED on an acceptable ACK (`tcp_check_req` + `inet_csk_complete_hashdance`):
 * a passive child moves to the listener's accept queue — or, if it is full, the ACK
 * is dropped (the SYN-ACK will be retransmitted) unless `abortOnOverflow` asks for
 * a RST, as Linux's `tcp_abort_on_overflow`.
 */
export function tcpSynRecvEstablish(sk: TcpSock, skb: SkBuff): boolean {
  const stack = sk.stack;
  const p = sk.parent;
  if (p !== null) {
    if (p.state !== TcpState.LISTEN) {
      tcpSendActiveReset(sk);
      tcpDone(sk);
      return false;
    }
    if (p.acceptQueue.length >= p.maxAckBacklog) {
      stack.mib.listenOverflows++;
      if (stack.config.abortOnOverflow) {
        tcpSendActiveReset(sk);
        tcpDone(sk);
      }
      return false;
    }
  }
  const ack = skb.cb[CB_ACK]!;
  tcpCleanRtxQueue(sk, ack);
  sk.sndUna = ack;
  sk.sndWnd = stack.winScaled(skb.cb[CB_WINDOW]!, sk.sndWscale);
  sk.maxWindow = Math.max(sk.maxWindow, sk.sndWnd);
  sk.sndWl1 = skb.cb[CB_SEQ]!;
  sk.sndWl2 = ack;
  sk.retransmits = 0;
  sk.backoff = 0;
  if (sk.rtxQueue.qlen === 0) clearRtxTimer(sk);
  tcpSetState(sk, TcpState.ESTABLISHED);
  tcpInitTransfer(sk);
  if (p !== null) {
    sk.inSynQueue = false;
    p.synQueueLen--;
    p.synQueue?.delete(sk);
    sk.inAcceptQueue = true;
    if (p.acceptQueue === NO_SOCKS) p.acceptQueue = [];
    p.acceptQueue.push(sk);
    p.onAcceptReady?.(p);
  } else {
    sk.onStateChange?.(sk);
    sk.onWriteSpace?.(sk);
  }
  return true;
}


/**
 * TIME-WAIT input (`tcp_timewait_state_process`): a retransmitted FIN is ACKed
 * and restarts 2·MSL; an acceptable RST or a new SYN above rcv_nxt ends TIME-WAIT
 * (the SYN then goes to the listener); anything else gets an ACK.
 */
export function tcpTimewaitProcess(stack: TcpStack, sk: TcpSock, skb: SkBuff, saddr: number, daddr: number, sport: number, dport: number): void {
  const flags = skb.cb[CB_FLAGS]!;
  const seq = skb.cb[CB_SEQ]!;
  if ((flags & TcpFlags.RST) !== 0) {
    if (seq === sk.rcvNxt) tcpTwKill(sk);
    skb.free();
    return;
  }
  if ((flags & TcpFlags.SYN) !== 0 && (flags & TcpFlags.ACK) === 0 && seqGt(seq, sk.rcvNxt)) {
    tcpTwKill(sk);
    const l = stack.table.lookupListener(daddr, dport);
    if (l !== undefined) {
      stack.setRxTuple(saddr, daddr, sport, dport);
      tcpV4ConnRequest(l, skb);
    } else skb.free();
    return;
  }
  if ((flags & TcpFlags.FIN) !== 0 && skb.cb[CB_END_SEQ] === sk.rcvNxt) {
    // retransmitted FIN: ACK it again and restart 2·MSL
    stack.wheel.mod(sk.kaTimer, stack.config.timeWaitMs);
    tcpSendAck(sk);
  } else if (seq !== sk.rcvNxt || skb.len > 0) {
    // old duplicate or stray data: ACK (TCP_TW_ACK), rate-limited
    if (tcpOowRateOk(sk)) tcpSendAck(sk);
  }
  // an in-window pure ACK is absorbed silently (TCP_TW_SUCCESS): no ACK war in simultaneous close
  skb.free();
}
