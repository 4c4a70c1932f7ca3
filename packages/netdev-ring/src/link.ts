/**
 * `ImpairedLink` — one direction of a simulated wire: applies an
 * {@link Impairment} to each frame and delivers the surviving copies at their
 * scheduled times on an injected `TimerService`.
 *
 * Frames cross as skbs (same thread): the link takes ownership of the skb it
 * is given and hands the same object to the receiver — zero copy — unless a
 * copy is needed: a duplicated frame gets a clone (shared, read-only data), a
 * corrupted copy gets a private `copy()` so the sender's retransmission clones
 * never see the flipped bit. Before corrupting, a CHECKSUM_PARTIAL frame has
 * its checksum finished in software, and the corrupted copy is marked
 * CHECKSUM_NONE, so the receiver's checksum verification detects the damage
 * (as on a real wire).
 *
 * @module
 */
import type { TimerHandle, TimerService } from '@netlayers/clock';
import { IpSummed, type SkBuff } from '@netlayers/skbuff';
import { skbChecksumHelp } from './csum-help.js';
import { Impairment, type ImpairmentProfile, type ImpairmentStats } from './impairment.js';
import { safeFree } from './netdevice.js';

/** Where a link delivers: takes ownership of the skb. */
export type LinkSink = (skb: SkBuff) => void;

/** Flips bit `bit` of the packet (0 = MSB of byte 0) in a private skb. */
function corruptSkb(skb: SkBuff, bit: number): void {
  const off = bit >>> 3;
  if (off >= skb.len) return;
  const one = new Uint8Array(1);
  skb.copyBits(off, one, 1);
  one[0] = (one[0] as number) ^ (0x80 >>> (bit & 7));
  skb.storeBits(off, one);
}

/** One direction of a wire with impairments. */
export class ImpairedLink {
  /** The impairment model, or null for a perfect link. */
  readonly impairment: Impairment | null;
  private readonly inflight = new Map<TimerHandle, SkBuff>();
  private destroyed = false;

  /**
   * @param sink receives delivered frames
   * @param clock the timer service for delays (required when the profile delays anything)
   * @param profile impairments (omit for a perfect link)
   */
  constructor(
    private readonly sink: LinkSink,
    private readonly clock: TimerService | undefined,
    profile?: ImpairmentProfile,
  ) {
    const imp = profile === undefined ? null : new Impairment(profile);
    this.impairment = imp === null || imp.isPerfect ? null : imp;
  }

  /** Frames currently in flight (scheduled, not yet delivered). */
  get inFlight(): number {
    return this.inflight.size;
  }

  /** Sends one frame (takes ownership). */
  transmit(skb: SkBuff): void {
    if (this.destroyed) {
      safeFree(skb);
      return;
    }
    const imp = this.impairment;
    if (imp === null) {
      this.sink(skb);
      return;
    }
    const now = this.clock ? this.clock.now() : 0;
    const d = imp.decide(skb.len, now);
    if (d.dropped !== null) {
      safeFree(skb);
      return;
    }
    const copies: SkBuff[] = [];
    const first = d.deliveries[0];
    const second = d.deliveries[1];
    if (second !== undefined) copies.push(skb.clone());
    copies.unshift(skb);
    for (let i = 0; i < d.deliveries.length; i++) {
      const dl = d.deliveries[i] as typeof first & object;
      let c = copies[i] as SkBuff;
      if (dl.corruptBit >= 0) {
        if (c.ipSummed === IpSummed.PARTIAL) {
          if (c.isCloned()) c.unshare();
          skbChecksumHelp(c);
        }
        const priv = c.copy();
        safeFree(c);
        c = priv;
        corruptSkb(c, dl.corruptBit);
        c.ipSummed = IpSummed.NONE;
      }
      if (dl.atMs <= now || this.clock === undefined) {
        this.sink(c);
      } else {
        const h: TimerHandle = this.clock.setTimeout(() => {
          this.inflight.delete(h);
          this.sink(c);
        }, dl.atMs - now);
        this.inflight.set(h, c);
      }
    }
  }

  /** Impairment counters (all zero for a perfect link). */
  stats(): ImpairmentStats {
    return this.impairment
      ? this.impairment.stats()
      : { offered: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, corrupted: 0, mtuDropped: 0, rateDropped: 0 };
  }

  /** Cancels every in-flight delivery and frees the frames. */
  destroy(): void {
    this.destroyed = true;
    for (const [h, skb] of this.inflight) {
      h.cancel();
      safeFree(skb);
    }
    this.inflight.clear();
  }
}
