/**
 * Congestion control (RFC 5681 slow start / congestion avoidance, RFC 6582 NewReno
 * fast recovery), behind an ops interface shaped like Linux `struct tcp_congestion_ops`
 * so CUBIC, Vegas or BBR can be plugged in later without touching the core.
 *
 * Windows are in bytes. The core calls `ssthresh()` on entering recovery or on an
 * RTO, `congAvoid()` on every ACK that advances `snd_una` outside recovery, and
 * `undoCwnd`/`cwndEvent` hooks are reserved.
 *
 * @module
 */

/** The congestion state a controller sees (a view of the socket). */
export interface CongState {
  /** Congestion window in bytes. */
  sndCwnd: number;
  /** Slow-start threshold in bytes. */
  sndSsthresh: number;
  /** Current sender MSS. */
  readonly mss: number;
  /** Bytes in flight (snd_nxt − snd_una). */
  readonly inFlight: number;
  /** Appropriate byte counting accumulator (RFC 3465), owned by the controller. */
  bytesAcked: number;
}

/** Pluggable congestion control (Linux `tcp_congestion_ops`). */
export interface CongestionOps {
  readonly name: string;
  /** Called once per connection at establishment. */
  init?(s: CongState): void;
  /** New ssthresh on loss (`ssthresh`). */
  ssthresh(s: CongState): number;
  /** Window growth on an ACK of `acked` new bytes (`cong_avoid`). */
  congAvoid(s: CongState, acked: number): void;
  /** Events: 'loss' (RTO), 'recovery-exit', 'idle-restart' (`cwnd_event`). */
  cwndEvent?(s: CongState, ev: 'loss' | 'recovery-exit' | 'idle-restart'): void;
}

/** RFC 5681 §3.1 initial window (RFC 6928's IW10 is the Linux default). */
export function initialWindow(mss: number): number {
  return 10 * mss;
}

/**
 * Reno (Linux `tcp_reno_cong_ops`): slow start grows cwnd by the bytes acked (ABC,
 * L = 2·MSS per ACK); congestion avoidance adds one MSS per window of acked bytes.
 */
export const renoCongestionOps: CongestionOps = {
  name: 'reno',
  ssthresh(s) {
    return Math.max(Math.floor(s.inFlight / 2), 2 * s.mss);
  },
  congAvoid(s, acked) {
    if (s.sndCwnd < s.sndSsthresh) {
      s.sndCwnd += Math.min(acked, 2 * s.mss); // RFC 5681 eq. 2 with RFC 3465 L=2
      return;
    }
    s.bytesAcked += acked;
    if (s.bytesAcked >= s.sndCwnd) {
      s.bytesAcked -= s.sndCwnd;
      s.sndCwnd += s.mss; // RFC 5681 eq. 3
    }
  },
};
