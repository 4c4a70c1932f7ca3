/**
 * `pfifo` — the default queueing discipline in front of a device's driver.
 *
 * Seed 003 ("Stack buffer and flow control", figure 10): the transmit queue
 * (qdisc) sits between the stack and the driver's TX ring. It is a FIFO whose
 * maximum length is the device's `txqueuelen` (default 1000, `ifconfig`'s
 * "txqueuelen"). When the driver's ring is full the driver stops its queue
 * and packets accumulate here; when this queue is full too, new packets are
 * dropped (counted) and the sender is told to back off. A packet the driver
 * refused with `BUSY` is put back at the head (`dev_requeue_skb`), so order is
 * kept.
 *
 * Linux counterparts: `net/sched/sch_fifo.c` (`pfifo_enqueue`,
 * `qdisc_dequeue_head`), `dev_requeue_skb`, `tc -s qdisc` statistics
 * (sent bytes/packets, dropped, overlimits, requeues, backlog).
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';

/** `tc -s qdisc`-like counters. */
export interface QdiscStats {
  /** Packets currently queued. */
  qlen: number;
  /** Bytes currently queued. */
  backlog: number;
  /** Packets handed to the driver. */
  packets: number;
  /** Bytes handed to the driver. */
  bytes: number;
  /** Packets dropped because the queue was full. */
  drops: number;
  /** Enqueues refused because the queue was at its limit (== drops for pfifo). */
  overlimits: number;
  /** Packets put back at the head after the driver answered BUSY. */
  requeues: number;
}

/**
 * A packet FIFO bounded by a packet count (`pfifo limit N`).
 * The queue owns every skb it holds; {@link reset} frees them.
 */
export class PfifoQdisc {
  /** Maximum queued packets (the device's `txqueuelen`). */
  limit: number;
  private items: (SkBuff | undefined)[];
  private headIdx = 0;
  private count = 0;
  private bytesQueued = 0;
  private readonly s = { packets: 0, bytes: 0, drops: 0, overlimits: 0, requeues: 0 };

  /** @param limit maximum packets (default 1000) */
  constructor(limit = 1000) {
    this.limit = limit;
    this.items = new Array<SkBuff | undefined>(16).fill(undefined);
  }

  /** Packets queued. */
  get qlen(): number {
    return this.count;
  }

  private grow(): void {
    const n = this.items.length;
    const next = new Array<SkBuff | undefined>(n * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.headIdx + i) % n];
    this.items = next;
    this.headIdx = 0;
  }

  /**
   * `pfifo_enqueue`: appends `skb` unless the queue holds `limit` packets.
   * @returns false if refused (counted in `drops`); the caller still owns the skb and must free it
   */
  enqueue(skb: SkBuff): boolean {
    if (this.count >= this.limit) {
      this.s.drops++;
      this.s.overlimits++;
      return false;
    }
    if (this.count === this.items.length) this.grow();
    this.items[(this.headIdx + this.count) % this.items.length] = skb;
    this.count++;
    this.bytesQueued += skb.len;
    return true;
  }

  /** Removes the head packet (the caller now owns it), or `undefined`. */
  dequeue(): SkBuff | undefined {
    if (this.count === 0) return undefined;
    const skb = this.items[this.headIdx] as SkBuff;
    this.items[this.headIdx] = undefined;
    this.headIdx = (this.headIdx + 1) % this.items.length;
    this.count--;
    this.bytesQueued -= skb.len;
    this.s.packets++;
    this.s.bytes += skb.len;
    return skb;
  }

  /** Returns the head packet without removing it. */
  peek(): SkBuff | undefined {
    return this.count === 0 ? undefined : this.items[this.headIdx];
  }

  /**
   * `dev_requeue_skb`: puts a packet the driver refused back at the head. Never
   * refused (it was accepted before); not counted as sent.
   * @param dequeued false for packets that were never dequeued (e.g. GSO segments of a
   *   dequeued packet), so the sent counters are not rolled back
   */
  requeue(skb: SkBuff, dequeued = true): void {
    if (this.count === this.items.length) this.grow();
    this.headIdx = (this.headIdx - 1 + this.items.length) % this.items.length;
    this.items[this.headIdx] = skb;
    this.count++;
    this.bytesQueued += skb.len;
    if (dequeued) {
      this.s.packets--;
      this.s.bytes -= skb.len;
    }
    this.s.requeues++;
  }

  /** `qdisc_reset`: frees every queued packet. @returns how many were freed */
  reset(): number {
    let n = 0;
    for (let skb = this.dequeue(); skb !== undefined; skb = this.dequeue()) {
      this.s.packets--;
      this.s.bytes -= skb.len;
      skb.free();
      n++;
    }
    return n;
  }

  /** Snapshot of the counters. */
  stats(): QdiscStats {
    return { qlen: this.count, backlog: this.bytesQueued, ...this.s };
  }
}
