/**
 * A stand-in socket for driving a congestion-control module directly: the
 * {@link CongState} fields, a settable clock, and round trips in which the
 * whole window is sent at once and acknowledged one ACK per `perAck` segments
 * after `rttMs` (a fluid model of a path; no packets, no stack).
 */
import type { AckSample, CongState, CongestionOps } from '../../src/cong.js';

export const MSS = 1000;
export const INFINITE_SSTHRESH = 0x7fffffff;

export class SimSock implements CongState {
  sndCwnd = 10 * MSS;
  sndSsthresh = INFINITE_SSTHRESH;
  readonly mss = MSS;
  bytesAcked = 0;
  sndUna = 1;
  sndNxt = 1;
  caState = 0;
  srtt = 0;
  priorCwnd = 0;
  lastSendTime = 0;
  caPriv: object | null = null;
  now = 0;
  readonly stack = { clock: { now: (): number => this.now } };

  constructor(readonly ops: CongestionOps) {
    ops.init?.(this);
  }

  get inFlight(): number {
    return this.sndNxt - this.sndUna;
  }

  get cwndSegs(): number {
    return this.sndCwnd / MSS;
  }

  /** Changes the congestion state as the core does (setState first). */
  setCaState(st: number): void {
    this.ops.setState?.(this, st);
    this.caState = st;
  }

  /**
   * One round trip: cwnd is sent now; ACKs of `perAck` segments arrive at
   * now + rtt, each with RTT sample `sampleMs` (default `rttMs`; −1 = none).
   */
  roundTrip(rttMs: number, perAck = 1, sampleMs = rttMs): void {
    if (this.sndNxt === this.sndUna) this.sndNxt = this.sndUna + this.sndCwnd;
    const window = this.sndNxt - this.sndUna;
    this.lastSendTime = this.now;
    this.now += rttMs;
    let left = window;
    while (left > 0) {
      const n = Math.min(left, perAck * MSS);
      const s: AckSample = { pktsAcked: Math.ceil(n / MSS), rttMs: sampleMs, inFlight: this.inFlight };
      this.ops.pktsAcked?.(this, s);
      this.sndUna += n;
      left -= n;
      this.ops.congAvoid(this, n);
      // ACK clocking: the window opened by this ACK is sent (it is acknowledged next round)
      this.sndNxt = Math.max(this.sndNxt, this.sndUna + this.sndCwnd);
    }
  }

  /** Fast-recovery style loss: ssthresh from the module, cwnd = ssthresh (the core's job). */
  loss(): void {
    this.priorCwnd = this.sndCwnd;
    this.sndNxt = this.sndUna + this.sndCwnd;
    this.sndSsthresh = this.ops.ssthresh(this);
    this.setCaState(3);
    this.sndCwnd = this.sndSsthresh;
    this.sndUna = this.sndNxt; // recovery done: nothing in flight
    this.setCaState(0);
  }

  /** RTO: ssthresh from the module, cwnd = 1 MSS, Loss state, then Open again. */
  rto(): void {
    this.priorCwnd = this.sndCwnd;
    this.sndSsthresh = this.ops.ssthresh(this);
    this.sndCwnd = MSS;
    this.setCaState(4);
    this.sndUna = this.sndNxt;
    this.setCaState(0);
  }
}
