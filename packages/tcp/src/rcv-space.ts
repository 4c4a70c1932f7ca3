/**
 * Receive-buffer autotuning, Linux's dynamic right-sizing (DRS, `tcp_rcv_space_adjust`,
 * `tcp_rcvbuf_grow`, `tcp_rcv_rtt_measure[_ts]` in `net/ipv4/tcp_input.c`).
 *
 * The receiver estimates the round-trip time on its own (from the peer's echo of our
 * TSval when timestamps are on, else by timing how long the peer takes to fill one
 * advertised window), and once per such RTT counts the bytes the application read.
 * When a round read more than the previous one, the buffer grows to hold twice the
 * round's bytes plus 16 segments of cushion, plus twice the growth (the sender may
 * still be in slow start), bounded by `rcvbufMax` (Linux `tcp_rmem[2]`, 6 MiB). The
 * window clamp follows. A buffer the user fixed with `SO_RCVBUF` (Linux
 * `SOCK_RCVBUF_LOCK`) and `moderateRcvbuf: false` (`tcp_moderate_rcvbuf = 0`)
 * leave it alone. Buffers only grow.
 *
 * Times are in ms of the stack's clock; the RTT is kept ×8 as Linux keeps `rtt_us`.
 *
 * @module
 */

import { seqAdd, seqLt } from './seq.js';
import type { TcpSock } from './sock.js';

/** Segments of cushion on top of twice a round's bytes (Linux: `16 * advmss`). */
const RCVWIN_CUSHION_SEGS = 16;
/** Initial per-round estimate in segments (`TCP_INIT_CWND`). */
const INIT_SPACE_SEGS = 10;

/** Per-socket DRS state (Linux `tp->rcvq_space` and `tp->rcv_rtt_est`). */
export class RcvSpace {
  /** Bytes read in the last measured round (`rcvq_space.space`). */
  space = 0;
  /** copied_seq at the start of the round (`rcvq_space.seq`). */
  seq = 0;
  /** Start of the round, ms (`rcvq_space.time`). */
  time = 0;
  /** Receiver RTT estimate ×8, ms; 0 = none yet (`rcv_rtt_est.rtt_us`). */
  rtt8 = 0;
  /** rcv_nxt that ends the current window-based RTT sample (`rcv_rtt_est.seq`). */
  rttSeq = 0;
  /** Start of that sample, ms; -1 = none running (`rcv_rtt_est.time`). */
  rttTime = -1;
  /** TSecr of the last timestamp-based sample (`rcv_rtt_last_tsecr`). */
  lastTsecr = -1;
}

/** Bytes of window a buffer of `space` bytes offers (`tcp_win_from_space`). */
export function tcpWinFromSpace(sk: TcpSock, space: number): number {
  return Math.floor(space * sk.scalingRatio);
}

/** Buffer needed to offer a window of `win` bytes (`tcp_space_from_win`). */
export function tcpSpaceFromWin(sk: TcpSock, win: number): number {
  return Math.ceil(win / sk.scalingRatio);
}

/** Starts DRS at establishment (`tcp_init_buffer_space`). */
export function tcpInitBufferSpace(sk: TcpSock): void {
  const r = sk.rcvSpace;
  r.space = Math.min(sk.rcvWnd > 0 ? sk.rcvWnd : Infinity, INIT_SPACE_SEGS * sk.advMss);
  r.seq = sk.copiedSeq;
  r.time = sk.stack.clock.now();
  r.rttTime = -1;
  r.lastTsecr = -1;
}

/** Folds one receiver RTT sample into the estimate (`tcp_rcv_rtt_update`). */
function rcvRttUpdate(r: RcvSpace, sample: number, winDep: boolean): void {
  if (r.rtt8 === 0) r.rtt8 = sample * 8;
  else if (!winDep) r.rtt8 += sample - r.rtt8 / 8; // EWMA, gain 1/8
  else r.rtt8 = Math.min(r.rtt8, sample * 8); // a window-based sample only ever lowers it
}

/**
 * Window-based receiver RTT (`tcp_rcv_rtt_measure`, per data segment): the time
 * until rcv_nxt passes the right edge offered when the sample started — the peer
 * needed about one RTT to send one window's worth.
 */
export function tcpRcvRttMeasure(sk: TcpSock): void {
  const r = sk.rcvSpace;
  const now = sk.stack.clock.now();
  if (r.rttTime >= 0) {
    if (seqLt(sk.rcvNxt, r.rttSeq)) return;
    rcvRttUpdate(r, Math.max(now - r.rttTime, 1), true);
  }
  r.rttSeq = seqAdd(sk.rcvNxt, sk.rcvWnd);
  r.rttTime = now;
}

/**
 * Timestamp-based receiver RTT (`tcp_rcv_rtt_measure_ts`): a full-sized data
 * segment echoing a new TSecr gives now − TSecr in our 1 ms ticks.
 */
export function tcpRcvRttMeasureTs(sk: TcpSock, len: number, tsecr: number, tsvalNow: number): void {
  const r = sk.rcvSpace;
  if (tsecr === r.lastTsecr) return;
  r.lastTsecr = tsecr;
  if (len < sk.rcvMss) return;
  const delta = (tsvalNow - tsecr) | 0;
  if (delta > 0) rcvRttUpdate(r, delta, false);
}

/**
 * After the application read (`tcp_rcv_space_adjust`): once per receiver RTT,
 * compares the bytes read in this round with the last and grows `rcvbuf` and the
 * window clamp (`tcp_rcvbuf_grow`).
 */
export function tcpRcvSpaceAdjust(sk: TcpSock): void {
  const r = sk.rcvSpace;
  const now = sk.stack.clock.now();
  if (r.rtt8 === 0 || now - r.time < r.rtt8 / 8) return;
  const copied = (sk.copiedSeq - r.seq) >>> 0;
  if (copied > r.space) {
    if (sk.stack.config.moderateRcvbuf && !sk.rcvbufLock) tcpRcvbufGrow(sk, copied, r.space);
    r.space = copied;
  }
  r.seq = sk.copiedSeq;
  r.time = now;
}

/** Grows the buffer for a round of `copied` bytes after one of `prev` (`tcp_rcvbuf_grow`). */
function tcpRcvbufGrow(sk: TcpSock, copied: number, prev: number): void {
  let rcvwin = 2 * copied + RCVWIN_CUSHION_SEGS * sk.advMss;
  if (prev > 0) rcvwin += 2 * Math.floor((rcvwin * (copied - prev)) / prev); // the sender may be in slow start
  const rcvbuf = Math.min(tcpSpaceFromWin(sk, rcvwin), sk.stack.config.rcvbufMax);
  if (rcvbuf <= sk.rcvbuf) return;
  sk.rcvbuf = rcvbuf;
  sk.windowClamp = Math.max(sk.windowClamp, tcpWinFromSpace(sk, rcvbuf)); // the clamp follows along
}
