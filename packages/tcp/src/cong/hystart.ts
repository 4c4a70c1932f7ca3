/**
 * HyStart++ (RFC 9406): leaves slow start before it overshoots, on an RTT
 * increase. Slow start runs in rounds (one per window: a round ends when
 * `windowEnd`, snd_nxt at its start, is acknowledged). When a round's minimum
 * RTT, over at least N_RTT_SAMPLE samples, exceeds the previous round's by
 * RttThresh = clamp(lastRoundMinRTT / 8, 4 ms, 16 ms), the sender enters
 * Conservative Slow Start (CSS: growth divided by 4). If the RTT falls back
 * below the CSS baseline the increase was spurious and slow start resumes;
 * after CSS_ROUNDS rounds in CSS, ssthresh = cwnd and congestion avoidance
 * starts. A loss in slow start or CSS ends HyStart++ (the module's ssthresh).
 *
 * The RFC's cap L on the per-ACK increase is not applied (L = ∞, as the RFC
 * allows for paced senders and as Linux's `tcp_slow_start` does).
 *
 * @module
 */
import { seqGe } from '../seq.js';

/** RFC 9406 §4.3 constants (times in ms). */
export const HYSTART_MIN_RTT_THRESH = 4;
export const HYSTART_MAX_RTT_THRESH = 16;
export const HYSTART_MIN_RTT_DIVISOR = 8;
export const HYSTART_N_RTT_SAMPLE = 8;
export const HYSTART_CSS_GROWTH_DIVISOR = 4;
export const HYSTART_CSS_ROUNDS = 5;

/** Per-connection HyStart++ state. */
export class HystartState {
  /** snd_nxt when the current round started. */
  windowEnd: number;
  lastRoundMinRtt = Infinity;
  currentRoundMinRtt = Infinity;
  rttSampleCount = 0;
  /** In Conservative Slow Start. */
  css = false;
  cssBaselineMinRtt = Infinity;
  /** Rounds completed in CSS. */
  cssRounds = 0;
  /** Slow start is over for HyStart++ (CSS finished or a loss happened). */
  done = false;

  constructor(sndNxt: number) {
    this.windowEnd = sndNxt;
  }

  /** RttThresh of RFC 9406 for the previous round's minimum RTT. */
  static rttThresh(lastRoundMinRtt: number): number {
    return Math.max(HYSTART_MIN_RTT_THRESH, Math.min(lastRoundMinRtt / HYSTART_MIN_RTT_DIVISOR, HYSTART_MAX_RTT_THRESH));
  }

  /** One RTT sample during slow start: may enter CSS, or leave it as spurious. */
  sample(rttMs: number): void {
    if (this.done) return;
    if (rttMs < this.currentRoundMinRtt) this.currentRoundMinRtt = rttMs;
    this.rttSampleCount++;
    if (this.rttSampleCount < HYSTART_N_RTT_SAMPLE || this.lastRoundMinRtt === Infinity) return;
    if (!this.css) {
      if (this.currentRoundMinRtt >= this.lastRoundMinRtt + HystartState.rttThresh(this.lastRoundMinRtt)) {
        this.css = true;
        this.cssBaselineMinRtt = this.currentRoundMinRtt;
        this.cssRounds = 0;
      }
    } else if (this.currentRoundMinRtt < this.cssBaselineMinRtt) {
      this.css = false; // the RTT increase was spurious: back to slow start
      this.cssBaselineMinRtt = Infinity;
    }
  }

  /**
   * An ACK in slow start: starts a new round when `windowEnd` is acknowledged.
   * @returns true when CSS has run CSS_ROUNDS rounds (the caller enters congestion avoidance)
   */
  ack(sndUna: number, sndNxt: number): boolean {
    if (this.done || !seqGe(sndUna, this.windowEnd)) return false;
    this.lastRoundMinRtt = this.currentRoundMinRtt;
    this.currentRoundMinRtt = Infinity;
    this.rttSampleCount = 0;
    this.windowEnd = sndNxt;
    if (this.css && ++this.cssRounds >= HYSTART_CSS_ROUNDS) {
      this.done = true;
      this.css = false;
      return true;
    }
    return false;
  }

  /** A loss: HyStart++ is over for this slow start. */
  stop(): void {
    this.done = true;
    this.css = false;
  }
}
