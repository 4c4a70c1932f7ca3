/**
 * A seeded link impairment model: loss, duplication, reordering,
 * delay/jitter, corruption, rate limit and MTU clamp.
 *
 * The kernel on our CI machines has no `netem` qdisc (see interop.md), so links
 * are impaired in our own device layer instead. The model is *pure*: given the
 * seed, the sequence of frame lengths and the times at which they are offered,
 * {@link Impairment.decide} returns exactly the same decisions on every run and
 * every engine (it draws from a private xoshiro128** stream, see `prng.ts`).
 * {@link DevicePair} applies the decisions on an injected `TimerService`.
 *
 * Semantics follow `tc-netem(8)` where it has an equivalent:
 * - `loss p`: each frame is dropped with probability p (independent, "random" loss);
 * - `duplicate p`: a surviving frame is delivered twice with probability p;
 * - `corrupt p`: one random bit of the delivered copy is flipped with probability p;
 * - `delay d jitter j`: each copy is delivered after d + U(−j, +j) ms (clamped at 0);
 *   like netem, jitter alone can reorder frames;
 * - `reorder p gap g`: with probability p a frame is held back an extra g ms, so
 *   later frames overtake it;
 * - `rate r`: frames are serialised at r bits/s one after another (a frame departs
 *   when the previous one finished); a frame that would wait longer than
 *   `rateQueueMs` behind the others is dropped (a bounded device FIFO);
 * - `mtu m`: frames whose length exceeds m bytes are dropped (a narrower link in
 *   the path, e.g. to exercise PMTU handling above us).
 *
 * The order of random draws per frame is fixed (loss, duplicate, then per copy:
 * reorder, jitter, corrupt, corrupt-bit), so changing one probability to zero
 * changes which numbers later draws see — reproducibility is per *profile*.
 *
 * @module
 */
import { Xoshiro128ss } from './prng.js';
import { NetdevError } from './errors.js';

/** Parameters of an {@link Impairment}; every field is optional (default: a perfect link). */
export interface ImpairmentProfile {
  /** Seed of the random stream (default 1). */
  seed?: number;
  /** Probability in [0, 1] that a frame is lost. */
  loss?: number;
  /** Probability in [0, 1] that a delivered frame is duplicated. */
  duplicate?: number;
  /** Probability in [0, 1] that a frame is held back by `reorderGapMs`. */
  reorder?: number;
  /** Extra delay of a reordered frame in ms (default max(1, delayMs)). */
  reorderGapMs?: number;
  /** Fixed one-way delay in ms (default 0). */
  delayMs?: number;
  /** Uniform jitter ±ms around `delayMs` (default 0). */
  jitterMs?: number;
  /** Probability in [0, 1] that one bit of a delivered copy is flipped. */
  corrupt?: number;
  /** Link rate in bits per second (default unlimited). */
  rateBps?: number;
  /** Longest wait, in ms, of a frame behind the rate limiter before it is dropped (default 100). */
  rateQueueMs?: number;
  /** Largest frame length in bytes the link carries (default unlimited). */
  mtu?: number;
}

/** One copy of a frame to deliver. */
export interface Delivery {
  /** Absolute delivery time (ms on the link's clock). */
  atMs: number;
  /** If ≥ 0, the bit index (0 = MSB of byte 0) to flip in this copy. */
  corruptBit: number;
  /** True for the extra copy made by duplication. */
  duplicate: boolean;
}

/** Why a frame was dropped by the link, or `null` when delivered. */
export type ImpairmentDrop = 'loss' | 'mtu' | 'rate' | null;

/** Outcome of offering one frame to the link. */
export interface Decision {
  /** Drop reason, or null. */
  dropped: ImpairmentDrop;
  /** Copies to deliver (empty when dropped; two when duplicated). */
  deliveries: Delivery[];
}

/** Counters of an {@link Impairment}. */
export interface ImpairmentStats {
  offered: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  mtuDropped: number;
  rateDropped: number;
}

function prob(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (!(v >= 0 && v <= 1)) throw new NetdevError('ERR_BAD_ARGUMENT', `impairment ${name} must be in [0, 1], got ${v}`);
  return v;
}
function nonneg(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!(v >= 0)) throw new NetdevError('ERR_BAD_ARGUMENT', `impairment ${name} must be ≥ 0, got ${v}`);
  return v;
}

/**
 * A deterministic impairment decision engine.
 *
 * @example
 * ```ts
 * const imp = new Impairment({ seed: 7, loss: 0.01, delayMs: 5, jitterMs: 1 });
 * const d = imp.decide(1514, clock.now());
 * for (const c of d.deliveries) clock.setTimeout(() => deliver(c), c.atMs - clock.now());
 * ```
 */
export class Impairment {
  /** The normalised profile. */
  readonly profile: Readonly<Required<ImpairmentProfile>>;
  private readonly rng: Xoshiro128ss;
  private linkFreeAt = -Infinity;
  private readonly s: ImpairmentStats = {
    offered: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
    mtuDropped: 0,
    rateDropped: 0,
  };

  /**
   * @param profile the impairments; probabilities in [0,1], times ≥ 0
   * @throws NetdevError `ERR_BAD_ARGUMENT` on out-of-range parameters
   */
  constructor(profile: ImpairmentProfile = {}) {
    const delayMs = nonneg('delayMs', profile.delayMs, 0);
    this.profile = {
      seed: profile.seed ?? 1,
      loss: prob('loss', profile.loss),
      duplicate: prob('duplicate', profile.duplicate),
      reorder: prob('reorder', profile.reorder),
      reorderGapMs: nonneg('reorderGapMs', profile.reorderGapMs, Math.max(1, delayMs)),
      delayMs,
      jitterMs: nonneg('jitterMs', profile.jitterMs, 0),
      corrupt: prob('corrupt', profile.corrupt),
      rateBps: profile.rateBps === undefined ? Infinity : nonneg('rateBps', profile.rateBps, Infinity),
      rateQueueMs: nonneg('rateQueueMs', profile.rateQueueMs, 100),
      mtu: profile.mtu === undefined ? Infinity : nonneg('mtu', profile.mtu, Infinity),
    };
    if (this.profile.rateBps === 0) throw new NetdevError('ERR_BAD_ARGUMENT', 'impairment rateBps must be > 0');
    this.rng = new Xoshiro128ss(this.profile.seed);
  }

  /** True when the profile changes nothing (frames may bypass the model). */
  get isPerfect(): boolean {
    const p = this.profile;
    return (
      p.loss === 0 &&
      p.duplicate === 0 &&
      p.reorder === 0 &&
      p.delayMs === 0 &&
      p.jitterMs === 0 &&
      p.corrupt === 0 &&
      p.rateBps === Infinity &&
      p.mtu === Infinity
    );
  }

  /**
   * Decides the fate of one frame of `len` bytes offered at time `nowMs`.
   * Frames must be offered in time order.
   */
  decide(len: number, nowMs: number): Decision {
    const p = this.profile;
    const rng = this.rng;
    this.s.offered++;
    if (len > p.mtu) {
      this.s.mtuDropped++;
      return { dropped: 'mtu', deliveries: [] };
    }
    let departAt = nowMs;
    if (p.rateBps !== Infinity) {
      const start = this.linkFreeAt > nowMs ? this.linkFreeAt : nowMs;
      if (start - nowMs > p.rateQueueMs) {
        this.s.rateDropped++;
        return { dropped: 'rate', deliveries: [] };
      }
      departAt = start + (len * 8 * 1000) / p.rateBps;
      this.linkFreeAt = departAt;
    }
    if (rng.chance(p.loss)) {
      this.s.lost++;
      return { dropped: 'loss', deliveries: [] };
    }
    const copies = rng.chance(p.duplicate) ? 2 : 1;
    if (copies === 2) this.s.duplicated++;
    const deliveries: Delivery[] = [];
    for (let c = 0; c < copies; c++) {
      let at = departAt + p.delayMs;
      if (rng.chance(p.reorder)) {
        at += p.reorderGapMs;
        this.s.reordered++;
      }
      if (p.jitterMs > 0) at += (rng.next() * 2 - 1) * p.jitterMs;
      if (at < departAt) at = departAt;
      let corruptBit = -1;
      if (len > 0 && rng.chance(p.corrupt)) {
        corruptBit = rng.nextInt(len * 8);
        this.s.corrupted++;
      }
      deliveries.push({ atMs: at, corruptBit, duplicate: c === 1 });
      this.s.delivered++;
    }
    return { dropped: null, deliveries };
  }

  /** Snapshot of the counters. */
  stats(): ImpairmentStats {
    return { ...this.s };
  }
}

/** Flips bit `bit` (0 = most significant bit of byte 0) of `bytes` in place. */
export function flipBit(bytes: Uint8Array, bit: number): void {
  const i = bit >>> 3;
  if (i < bytes.length) bytes[i] = (bytes[i] as number) ^ (0x80 >>> (bit & 7));
}
