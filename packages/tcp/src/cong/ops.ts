/**
 * The congestion-control module interface (Linux `struct tcp_congestion_ops`,
 * `include/net/tcp.h`) and the view of a socket a module sees.
 *
 * Windows are in bytes, like the core (`sk.sndCwnd`); a module that reasons in
 * segments divides by `mss`. Per-connection state lives in `caPriv` (Linux
 * `icsk_ca_priv`), owned by the module that runs on the socket. Time comes from
 * the stack's clock (`stack.clock.now()`, ms), never from the wall clock.
 *
 * Where the core calls each hook (as Linux does):
 * - `init` when the connection is established (`tcp_init_transfer`) or when the
 *   module is switched on a live connection; `release` when it is switched away;
 * - `pktsAcked` for every ACK that acknowledges new data, with an RTT sample of the
 *   newest never-retransmitted segment it covers (`tcp_clean_rtx_queue`);
 * - `congAvoid` for every ACK that advances snd_una outside recovery (`tcp_cong_avoid`);
 * - `ssthresh` on entering fast recovery or RTO loss (`tcp_init_cwnd_reduction`,
 *   `tcp_enter_loss`); `undoCwnd` when a reduction proves spurious (`tcp_undo_cwnd_reduction`);
 * - `setState` before every change of the congestion state (`tcp_set_ca_state`);
 * - `cwndEvent` for the events of {@link CaEvent} (`tcp_ca_event`).
 *
 * @module
 */

/** `TCP_CONG_NON_RESTRICTED`: any socket may select the module (it is "allowed"). */
export const TCP_CONG_NON_RESTRICTED = 0x1;
/** `TCP_CONG_NEEDS_ECN`: the module needs ECN (none of ours). */
export const TCP_CONG_NEEDS_ECN = 0x2;
/** Longest module name (`TCP_CA_NAME_MAX` − 1). */
export const TCP_CA_NAME_MAX = 15;

/** `tcp_ca_event`: transmission starts after idle, cwnd restart, CWR done, RTO loss, fast recovery done. */
export type CaEvent = 'tx-start' | 'cwnd-restart' | 'complete-cwr' | 'loss' | 'recovery-exit' | 'idle-restart';

/** What an ACK acknowledged (Linux `struct ack_sample`). */
export interface AckSample {
  /** Segments newly acknowledged (cumulatively). */
  pktsAcked: number;
  /** RTT sample in ms from the newest never-retransmitted segment acknowledged, −1 if none (Karn). */
  rttMs: number;
  /** Bytes in flight before this ACK. */
  inFlight: number;
}

/** The congestion state a module sees (a view of the socket, `TcpSock` implements it). */
export interface CongState {
  /** Congestion window in bytes. */
  sndCwnd: number;
  /** Slow-start threshold in bytes (0x7fffffff = none yet). */
  sndSsthresh: number;
  /** Current sender MSS. */
  readonly mss: number;
  /** Bytes in flight (snd_nxt − snd_una). */
  readonly inFlight: number;
  /** Appropriate byte counting accumulator (RFC 3465), owned by the module. */
  bytesAcked: number;
  /** Oldest unacknowledged sequence number (already advanced when `congAvoid` runs). */
  readonly sndUna: number;
  /** Next sequence number to send. */
  readonly sndNxt: number;
  /** `icsk_ca_state` (Open 0, Disorder 1, CWR 2, Recovery 3, Loss 4). */
  readonly caState: number;
  /** Smoothed RTT in ms (0 before the first sample). */
  readonly srtt: number;
  /** When a segment was last sent (ms, `lsndtime`). */
  readonly lastSendTime: number;
  /** cwnd when the last reduction started (`prior_cwnd`), for `undoCwnd`. */
  readonly priorCwnd: number;
  /** The module's per-connection state (`icsk_ca_priv`); null until its `init`. */
  caPriv: object | null;
  /** The stack's clock (ms). */
  readonly stack: { readonly clock: { now(): number } };
}

/** A pluggable congestion-control module (Linux `struct tcp_congestion_ops`). */
export interface CongestionOps {
  /** Name used by `TCP_CONGESTION` and the `congestionControl` tunable (at most 15 characters). */
  readonly name: string;
  /** `TCP_CONG_*` bits. */
  readonly flags?: number;
  /** Sets up `caPriv` (connection established, or module switched on a live socket). */
  init?(s: CongState): void;
  /** Drops `caPriv` (module switched away or socket destroyed). */
  release?(s: CongState): void;
  /** New ssthresh in bytes on loss (required). */
  ssthresh(s: CongState): number;
  /** Window growth on an ACK of `acked` new bytes outside recovery (required). */
  congAvoid(s: CongState, acked: number): void;
  /** Called before the congestion state changes to `newState`. */
  setState?(s: CongState, newState: number): void;
  /** Congestion events. */
  cwndEvent?(s: CongState, ev: CaEvent): void;
  /** cwnd to restore when a reduction was spurious (bytes). */
  undoCwnd?(s: CongState): number;
  /** Every ACK of new data, with its RTT sample. */
  pktsAcked?(s: CongState, sample: AckSample): void;
}

/** `TCP_INFINITE_SSTHRESH`. */
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;

/** RFC 6928 initial window: IW10, Linux's `TCP_INIT_CWND` (bytes). */
export function initialWindow(mss: number): number {
  return 10 * mss;
}

/** cwnd below ssthresh (`tcp_in_slow_start`). */
export function tcpInSlowStart(s: CongState): boolean {
  return s.sndCwnd < s.sndSsthresh;
}

/**
 * Linux `tcp_slow_start`: cwnd grows by the bytes acknowledged, at most to
 * ssthresh. @returns the acknowledged bytes left over for congestion avoidance
 */
export function tcpSlowStart(s: CongState, acked: number): number {
  const cwnd = Math.min(s.sndCwnd + acked, Math.max(s.sndSsthresh, s.sndCwnd));
  const left = acked - (cwnd - s.sndCwnd);
  s.sndCwnd = cwnd;
  return left;
}

/**
 * The per-connection state of class `Priv` on `s` (`inet_csk_ca`), made afresh
 * when missing or another module's (ACKs before `init`, a switch).
 */
export function tcpCaPriv<T extends object>(s: CongState, Priv: new (sndNxt: number) => T): T {
  if (s.caPriv instanceof Priv) return s.caPriv;
  const p = new Priv(s.sndNxt);
  s.caPriv = p;
  return p;
}

/** Linux `tcp_reno_undo_cwnd`: back to the cwnd before the reduction. */
export function tcpRenoUndoCwnd(s: CongState): number {
  return Math.max(s.sndCwnd, s.priorCwnd);
}
