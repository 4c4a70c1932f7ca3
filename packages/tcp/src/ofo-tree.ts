/**
 * The out-of-order queue's ordered structure (Linux keeps `out_of_order_queue` in an
 * rbtree): a treap of *runs* keyed by first sequence number, O(log n) insert,
 * lookup and removal. A run holds skbs that are exactly adjacent in sequence space
 * (each starts where the previous ends), so a burst of segments after one hole is
 * one node however long it is — coalescing without copying a byte: the skbs are
 * kept as they are, in order (zero-copy, like Linux's frag coalescing).
 *
 * ```
 *              [run 9000..12000: skb skb]            key = run.seq
 *             /                          \
 *   [run 3000..4500: skb]        [run 20000..21460: skb]
 * ```
 *
 * Runs never contain overlap; partially overlapping segments are separate runs
 * (their keys still differ: a segment with the same start as a run either lies
 * inside it — a duplicate — or covers it, and the covered run is removed). All
 * comparisons are in sequence space (RFC 9293 §3.4), valid while the queue spans
 * less than 2³¹ bytes — it is bounded by the receive buffer.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { seqGe, seqLe, seqLt } from './seq.js';
import { CB_END_SEQ, CB_SEQ } from './skb-cb.js';

/** A maximal sequence of exactly adjacent out-of-order skbs (a treap node). */
export interface OfoRun {
  /** First sequence number (the key). */
  seq: number;
  /** Sequence number after the last skb. */
  end: number;
  /** The skbs, in sequence order. */
  readonly skbs: SkBuff[];
  left: OfoRun | null;
  right: OfoRun | null;
  readonly prio: number;
}

/** Outcome of {@link OfoQueue.insert}. */
export const OfoInsert = { QUEUED: 0, DUPLICATE: 1 } as const;
export type OfoInsert = (typeof OfoInsert)[keyof typeof OfoInsert];

/** Splits `t` into keys < `key` (or ≤ with `inclusive`) and the rest. */
function split(t: OfoRun | null, key: number, inclusive: boolean): [OfoRun | null, OfoRun | null] {
  if (t === null) return [null, null];
  const goesLeft = inclusive ? seqLe(t.seq, key) : seqLt(t.seq, key);
  if (goesLeft) {
    const [l, r] = split(t.right, key, inclusive);
    t.right = l;
    return [t, r];
  }
  const [l, r] = split(t.left, key, inclusive);
  t.left = r;
  return [l, t];
}

/** Joins two treaps where every key of `a` is below every key of `b`. */
function merge(a: OfoRun | null, b: OfoRun | null): OfoRun | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.prio > b.prio) {
    a.right = merge(a.right, b);
    return a;
  }
  b.left = merge(a, b.left);
  return b;
}

/**
 * Out-of-order segments ordered by sequence number. The queue owns the skbs it
 * holds: removed ones are handed back (`shiftRun`, `popLast`) or freed (covered
 * duplicates, `purge`). Each skb's `cb[CB_SEQ]`/`cb[CB_END_SEQ]` give its range.
 */
export class OfoQueue {
  private root: OfoRun | null = null;
  private prioState = 0x9e3779b9;
  /** Number of skbs queued. */
  length = 0;
  /** Number of runs (tree nodes). */
  runs = 0;

  private nextPrio(): number {
    // xorshift32: deterministic treap priorities, no ambient randomness
    let x = this.prioState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.prioState = x >>> 0;
    return this.prioState;
  }

  /** The run with the greatest start ≤ `seq`. */
  floor(seq: number): OfoRun | null {
    let t = this.root;
    let best: OfoRun | null = null;
    while (t !== null) {
      if (seqLe(t.seq, seq)) {
        best = t;
        t = t.right;
      } else t = t.left;
    }
    return best;
  }

  /** The run with the smallest start ≥ `seq`. */
  ceiling(seq: number): OfoRun | null {
    let t = this.root;
    let best: OfoRun | null = null;
    while (t !== null) {
      if (seqGe(t.seq, seq)) {
        best = t;
        t = t.left;
      } else t = t.right;
    }
    return best;
  }

  /** The lowest run. */
  first(): OfoRun | null {
    let t = this.root;
    if (t === null) return null;
    while (t.left !== null) t = t.left;
    return t;
  }

  /** The highest run. */
  last(): OfoRun | null {
    let t = this.root;
    if (t === null) return null;
    while (t.right !== null) t = t.right;
    return t;
  }

  private removeRun(run: OfoRun): void {
    const [l, r] = split(this.root, run.seq, false);
    const [, rest] = split(r, run.seq, true);
    this.root = merge(l, rest);
    run.left = run.right = null;
    this.runs--;
    this.length -= run.skbs.length;
  }

  private addRun(run: OfoRun): void {
    const [l, r] = split(this.root, run.seq, false);
    this.root = merge(merge(l, run), r);
    this.runs++;
    this.length += run.skbs.length;
  }

  /**
   * Inserts `skb` (`tcp_data_queue_ofo`): a segment inside an existing run is a
   * duplicate (not queued, the caller still owns it); runs it covers entirely are
   * removed and their skbs freed; it joins the run it continues and the run it meets.
   */
  insert(skb: SkBuff): OfoInsert {
    const seq = skb.cb[CB_SEQ]!;
    const end = skb.cb[CB_END_SEQ]!;
    const prev = this.floor(seq);
    if (prev !== null && seqGe(prev.end, end)) return OfoInsert.DUPLICATE; // inside prev
    // remove runs the new segment covers entirely
    for (let n = this.ceiling(seq); n !== null && seqLe(n.end, end); n = this.ceiling(seq)) {
      this.removeRun(n);
      for (const s of n.skbs) s.free();
    }
    const before = this.floor(seq);
    const after = this.ceiling(seq);
    if (before !== null && before.end === seq) {
      // continues `before`: append (the key does not change)
      before.skbs.push(skb);
      before.end = end;
      this.length++;
      if (after !== null && after.seq === end) {
        this.removeRun(after);
        for (const s of after.skbs) before.skbs.push(s);
        before.end = after.end;
        this.length += after.skbs.length;
      }
      return OfoInsert.QUEUED;
    }
    const run: OfoRun = { seq, end, skbs: [skb], left: null, right: null, prio: this.nextPrio() };
    if (after !== null && after.seq === end) {
      this.removeRun(after);
      for (const s of after.skbs) run.skbs.push(s);
      run.end = after.end;
    }
    this.addRun(run);
    return OfoInsert.QUEUED;
  }

  /** Removes and returns the lowest run (its skbs now belong to the caller). */
  shiftRun(): OfoRun | null {
    const f = this.first();
    if (f !== null) this.removeRun(f);
    return f;
  }

  /** Removes and returns the skb with the highest sequence (`tcp_prune_ofo_queue`). */
  popLast(): SkBuff | null {
    const r = this.last();
    if (r === null) return null;
    const skb = r.skbs.pop()!;
    this.length--;
    if (r.skbs.length === 0) this.removeRun(r);
    else r.end = r.skbs[r.skbs.length - 1]!.cb[CB_END_SEQ]!;
    return skb;
  }

  /** Visits the runs in sequence order. */
  forEachRun(f: (run: OfoRun) => void): void {
    const walk = (t: OfoRun | null): void => {
      if (t === null) return;
      walk(t.left);
      f(t);
      walk(t.right);
    };
    walk(this.root);
  }

  /** Height of the tree (expected O(log runs); for tests and diagnostics). */
  height(): number {
    const h = (t: OfoRun | null): number => (t === null ? 0 : 1 + Math.max(h(t.left), h(t.right)));
    return h(this.root);
  }

  /** Frees every skb and empties the queue. */
  purge(): void {
    this.forEachRun((r) => {
      for (const s of r.skbs) s.free();
    });
    this.root = null;
    this.length = 0;
    this.runs = 0;
  }
}
