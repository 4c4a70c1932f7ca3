/**
 * `struct sk_buff_head`: an intrusive doubly linked list of skbs with a length
 * (`include/linux/skbuff.h`, `skb_queue_*`). Links live in the skbs themselves
 * (`skb.next`, `skb.prev`, `skb.list`), so queueing allocates nothing and every
 * operation except `purge` and iteration is O(1).
 *
 * An skb can be on at most one queue; `free()` refuses a queued skb (`SKB_QUEUED`).
 * No locking: JavaScript is single threaded (the `__skb_*` variants of Linux).
 *
 * @module
 */
import { skbThrow } from './errors.js';
import type { SkBuff } from './skbuff.js';

/** A queue of skbs (`sk_buff_head`). */
export class SkbQueue implements Iterable<SkBuff> {
  private first: SkBuff | null = null;
  private last: SkBuff | null = null;
  /** Number of skbs on the queue (`skb_queue_len`). */
  qlen = 0;
  /** Sum of `skb.len` of the queued skbs (maintained for byte limits). */
  bytes = 0;

  /** `skb_queue_empty`. */
  isEmpty(): boolean {
    return this.qlen === 0;
  }

  private check(skb: SkBuff): void {
    if (skb.list !== null) skbThrow('SKB_QUEUED', 'skb is already on a queue');
    if (skb.users <= 0) skbThrow('SKB_FREED', 'queueing a freed skb');
  }

  /** Append at the tail (`__skb_queue_tail`). */
  enqueueTail(skb: SkBuff): void {
    this.check(skb);
    skb.list = this;
    skb.next = null;
    skb.prev = this.last;
    if (this.last === null) this.first = skb;
    else this.last.next = skb;
    this.last = skb;
    this.qlen++;
    this.bytes += skb.len;
  }

  /** Insert at the head (`__skb_queue_head`). */
  enqueueHead(skb: SkBuff): void {
    this.check(skb);
    skb.list = this;
    skb.prev = null;
    skb.next = this.first;
    if (this.first === null) this.last = skb;
    else this.first.prev = skb;
    this.first = skb;
    this.qlen++;
    this.bytes += skb.len;
  }

  /** Insert `skb` right after `prev`, which must be on this queue (`__skb_queue_after`). */
  insertAfter(prev: SkBuff, skb: SkBuff): void {
    if (prev.list !== this) skbThrow('SKB_QUEUED', 'insertAfter: anchor is not on this queue');
    this.check(skb);
    const nx = prev.next;
    skb.list = this;
    skb.prev = prev;
    skb.next = nx;
    prev.next = skb;
    if (nx === null) this.last = skb;
    else nx.prev = skb;
    this.qlen++;
    this.bytes += skb.len;
  }

  /** Insert `skb` right before `next`, which must be on this queue (`__skb_queue_before`). */
  insertBefore(next: SkBuff, skb: SkBuff): void {
    if (next.list !== this) skbThrow('SKB_QUEUED', 'insertBefore: anchor is not on this queue');
    this.check(skb);
    const pv = next.prev;
    skb.list = this;
    skb.next = next;
    skb.prev = pv;
    next.prev = skb;
    if (pv === null) this.first = skb;
    else pv.next = skb;
    this.qlen++;
    this.bytes += skb.len;
  }

  /** Remove and return the first skb, or null (`__skb_dequeue`). */
  dequeue(): SkBuff | null {
    const skb = this.first;
    if (skb !== null) this.unlinkKnown(skb);
    return skb;
  }

  /** Remove and return the last skb, or null (`__skb_dequeue_tail`). */
  dequeueTail(): SkBuff | null {
    const skb = this.last;
    if (skb !== null) this.unlinkKnown(skb);
    return skb;
  }

  /** First skb without removing it, or null (`skb_peek`). */
  peek(): SkBuff | null {
    return this.first;
  }

  /** Last skb without removing it, or null (`skb_peek_tail`). */
  peekTail(): SkBuff | null {
    return this.last;
  }

  /** The skb after `skb` on this queue, or null (`skb_queue_next` / `skb_peek_next`). */
  nextOf(skb: SkBuff): SkBuff | null {
    return skb.list === this ? skb.next : null;
  }

  /** The skb before `skb` on this queue, or null (`skb_queue_prev`). */
  prevOf(skb: SkBuff): SkBuff | null {
    return skb.list === this ? skb.prev : null;
  }

  /**
   * Remove `skb` from this queue (`__skb_unlink`).
   * @throws SkbError `SKB_QUEUED` if `skb` is not on this queue
   */
  unlink(skb: SkBuff): void {
    if (skb.list !== this) skbThrow('SKB_QUEUED', 'unlink: skb is not on this queue');
    this.unlinkKnown(skb);
  }

  private unlinkKnown(skb: SkBuff): void {
    const p = skb.prev;
    const n = skb.next;
    if (p === null) this.first = n;
    else p.next = n;
    if (n === null) this.last = p;
    else n.prev = p;
    skb.next = null;
    skb.prev = null;
    skb.list = null;
    this.qlen--;
    this.bytes -= skb.len;
  }

  /**
   * Move every skb of `other` to the tail of this queue, leaving `other` empty
   * (`skb_queue_splice_tail_init`). O(n) only to retag `skb.list`.
   */
  spliceTail(other: SkbQueue): void {
    if (other === this || other.first === null) return;
    for (let s: SkBuff | null = other.first; s !== null; s = s.next) s.list = this;
    if (this.last === null) this.first = other.first;
    else {
      this.last.next = other.first;
      other.first.prev = this.last;
    }
    this.last = other.last;
    this.qlen += other.qlen;
    this.bytes += other.bytes;
    other.first = null;
    other.last = null;
    other.qlen = 0;
    other.bytes = 0;
  }

  /** Dequeue and free every skb (`__skb_queue_purge`). @returns number freed */
  purge(): number {
    let n = 0;
    for (let s = this.dequeue(); s !== null; s = this.dequeue()) {
      s.free();
      n++;
    }
    return n;
  }

  /**
   * Iterate head to tail. Safe against unlinking the current skb
   * (`skb_queue_walk_safe`).
   */
  *[Symbol.iterator](): Iterator<SkBuff> {
    let s = this.first;
    while (s !== null) {
      const nx = s.next;
      yield s;
      s = nx;
    }
  }
}
