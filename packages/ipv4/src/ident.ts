/**
 * IP identification generation (RFC 6864; Linux `ip_select_ident` /
 * `ip_idents_reserve`): IDs come from 2048 counters selected by a keyed hash of
 * (destination, source, protocol), so IDs towards one destination increase
 * (unique within the reassembly window) while different destinations cannot
 * infer each other's traffic rate from one global counter.
 *
 * @module
 */

const BUCKETS = 2048;

/** A bank of hashed ID counters. */
export class IpIdents {
  private readonly counters: Uint16Array;
  private readonly key: number;

  constructor(seed: number) {
    this.key = seed >>> 0;
    this.counters = new Uint16Array(BUCKETS);
    let x = this.key || 1;
    for (let i = 0; i < BUCKETS; i++) {
      // xorshift32 initial values: IDs do not start at 0.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.counters[i] = x & 0xffff;
    }
  }

  /** Reserves `segs` consecutive IDs and returns the first. */
  next(daddr: number, saddr: number, protocol: number, segs = 1): number {
    let h = Math.imul(daddr ^ this.key, 0x9e3779b1) ^ Math.imul(saddr, 0x85ebca6b) ^ Math.imul(protocol + 1, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    const i = h & (BUCKETS - 1);
    const id = this.counters[i]!;
    this.counters[i] = (id + segs) & 0xffff;
    return id;
  }
}
