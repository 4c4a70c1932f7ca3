/**
 * `Ring<T>` — a single-producer / single-consumer descriptor ring.
 *
 * This is the producer–consumer ring of a NIC (seed 001 "The device
 * interface: Rings", seed 003 "Driver-NIC communication"): a fixed array of
 * power-of-two size and two free-running indices. The producer owns `head`
 * (next slot to fill), the consumer owns `tail` (next slot to drain):
 *
 * ```
 *          tail (consumer)            head (producer)
 *            v                          v
 *   [ . . . | d d d d d d d d d d d d | . . . . . ]   slot = index & mask
 *             `---- size = head - tail -´
 * ```
 *
 * Indices never wrap back to zero (JavaScript numbers are exact up to 2^53,
 * far beyond any run); a slot is `index & (capacity - 1)`. Empty is
 * `head === tail`, full is `head - tail === capacity` — no slot is wasted.
 *
 * Batch variants ({@link Ring.produceBatch}, {@link Ring.consumeBatch}) move
 * many descriptors per call, amortising the per-call cost the way the HP
 * user-space TCP's "scripts" amortised system calls (seed 002, pool model) and
 * the way a driver writes a whole burst of descriptors before one doorbell.
 *
 * Linux counterparts: the rx/tx descriptor rings of a driver (`ethtool -g`),
 * `ptr_ring`, `skb_array`.
 *
 * @module
 */
import { NetdevError } from './errors.js';

/** Counters kept by a {@link Ring}. */
export interface RingStats {
  /** Descriptors successfully produced. */
  produced: number;
  /** Descriptors consumed. */
  consumed: number;
  /** Produce attempts refused because the ring was full (one per refused descriptor). */
  full: number;
  /** Calls to `produceBatch`. */
  produceBatches: number;
  /** Calls to `consumeBatch`. */
  consumeBatches: number;
  /** Highest occupancy ever seen. */
  highWater: number;
}

/** Checks that `n` is a power of two in [1, 2^30]. */
export function assertPow2Capacity(n: number, what = 'ring capacity'): void {
  if (!Number.isInteger(n) || n < 1 || n > 1 << 30 || (n & (n - 1)) !== 0) {
    throw new NetdevError('ERR_RING_CAPACITY', `${what} must be a power of two in [1, 2^30], got ${n}`);
  }
}

/**
 * A single-producer / single-consumer ring of descriptors of type `T`.
 *
 * @example
 * ```ts
 * const r = new Ring<number>(4);
 * r.produceBatch([1, 2, 3, 4, 5]); // 4 (the 5th did not fit)
 * r.consumeBatch(2);               // [1, 2]
 * ```
 */
export class Ring<T> {
  /** Number of slots (a power of two). */
  readonly capacity: number;
  private readonly mask: number;
  private readonly slots: (T | undefined)[];
  private head = 0;
  private tail = 0;
  private readonly s: RingStats = {
    produced: 0,
    consumed: 0,
    full: 0,
    produceBatches: 0,
    consumeBatches: 0,
    highWater: 0,
  };

  /**
   * @param capacity number of slots; a power of two in [1, 2^30]
   * @throws NetdevError `ERR_RING_CAPACITY` if `capacity` is not a power of two
   */
  constructor(capacity: number) {
    assertPow2Capacity(capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
  }

  /** Number of descriptors waiting to be consumed. */
  get size(): number {
    return this.head - this.tail;
  }

  /** Number of free slots. */
  get free(): number {
    return this.capacity - (this.head - this.tail);
  }

  /** True when no descriptor is waiting. */
  get isEmpty(): boolean {
    return this.head === this.tail;
  }

  /** True when every slot is occupied. */
  get isFull(): boolean {
    return this.head - this.tail === this.capacity;
  }

  /**
   * Adds one descriptor at the head.
   * @returns false (and counts `full`) if the ring is full; the item is then NOT owned by the ring.
   */
  produce(item: T): boolean {
    const used = this.head - this.tail;
    if (used === this.capacity) {
      this.s.full++;
      return false;
    }
    this.slots[this.head & this.mask] = item;
    this.head++;
    this.s.produced++;
    if (used + 1 > this.s.highWater) this.s.highWater = used + 1;
    return true;
  }

  /**
   * Adds as many descriptors of `items[start..end)` as fit, in order.
   * @returns how many were added (a prefix of the range); the rest are NOT owned by the ring
   *   and each refused one is counted in `full`.
   */
  produceBatch(items: ArrayLike<T>, start = 0, end = items.length): number {
    this.s.produceBatches++;
    if (end > items.length) end = items.length;
    if (!(start >= 0)) start = 0;
    const want = end - start;
    if (want <= 0) return 0;
    const room = this.capacity - (this.head - this.tail);
    const n = want < room ? want : room;
    const slots = this.slots;
    const mask = this.mask;
    let h = this.head;
    for (let i = 0; i < n; i++) slots[h++ & mask] = items[start + i];
    this.head = h;
    this.s.produced += n;
    if (n < want) this.s.full += want - n;
    const used = h - this.tail;
    if (used > this.s.highWater) this.s.highWater = used;
    return n;
  }

  /** Removes and returns the oldest descriptor, or `undefined` if empty. */
  consume(): T | undefined {
    if (this.head === this.tail) return undefined;
    const i = this.tail & this.mask;
    const item = this.slots[i];
    this.slots[i] = undefined;
    this.tail++;
    this.s.consumed++;
    return item;
  }

  /** Returns the oldest descriptor without removing it. */
  peek(): T | undefined {
    return this.head === this.tail ? undefined : this.slots[this.tail & this.mask];
  }

  /**
   * Removes up to `max` descriptors, oldest first.
   * @param max upper bound (≥ 0)
   * @param out optional array to append to (avoids allocating); returned
   */
  consumeBatch(max: number, out: T[] = []): T[] {
    this.s.consumeBatches++;
    const avail = this.head - this.tail;
    const m = max > 0 ? Math.floor(max) : 0; // NaN and negatives take nothing
    const n = m < avail ? m : avail;
    const slots = this.slots;
    const mask = this.mask;
    let t = this.tail;
    for (let i = 0; i < n; i++) {
      const j = t++ & mask;
      out.push(slots[j] as T);
      slots[j] = undefined;
    }
    this.tail = t;
    this.s.consumed += n;
    return out;
  }

  /**
   * Removes up to `max` descriptors, handing each to `fn` (no array is built).
   * If `fn` throws, the descriptor being visited and all before it are consumed.
   * @returns how many descriptors were visited
   */
  drain(max: number, fn: (item: T) => void): number {
    this.s.consumeBatches++;
    const avail = this.head - this.tail;
    const m = max > 0 ? Math.floor(max) : 0; // NaN and negatives take nothing
    const n = m < avail ? m : avail;
    const slots = this.slots;
    const mask = this.mask;
    let i = 0;
    try {
      for (; i < n; i++) {
        const j = (this.tail + i) & mask;
        const item = slots[j] as T;
        slots[j] = undefined;
        fn(item);
      }
    } finally {
      const done = i < n ? i + 1 : n;
      this.tail += done;
      this.s.consumed += done;
    }
    return n;
  }

  /** Snapshot of the counters. */
  stats(): RingStats {
    return { ...this.s };
  }
}
