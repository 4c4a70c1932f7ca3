/**
 * Model test of the out-of-order queue (ofo-tree.ts) with fast-check: random
 * inserts, shifts and prunes near the 2³² wrap, checked against a plain sorted
 * array of runs (the reference) and against the byte coverage the inserts imply;
 * every skb is freed exactly once.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allocSkb, skbStats, type SkBuff } from '@netlayers/skbuff';
import { OfoInsert, OfoQueue } from '../src/ofo-tree.js';
import { CB_END_SEQ, CB_SEQ } from '../src/skb-cb.js';

const BASE = 0xffffff00; // the queue spans the sequence-number wrap

interface RefRun {
  seq: number;
  end: number;
  ids: number[];
}

const off = (s: number) => (s - BASE) >>> 0;

/** The reference: the same rules on an array sorted by start, in linear time. */
class RefQueue {
  runs: RefRun[] = [];
  private floorIdx(seq: number): number {
    let k = -1;
    for (let i = 0; i < this.runs.length; i++) if (off(this.runs[i]!.seq) <= off(seq)) k = i;
    return k;
  }
  insert(seq: number, end: number, id: number): { dup: boolean; freed: number[] } {
    const p = this.floorIdx(seq);
    if (p >= 0 && off(this.runs[p]!.end) >= off(end)) return { dup: true, freed: [] };
    const freed: number[] = [];
    this.runs = this.runs.filter((r) => {
      const covered = off(r.seq) >= off(seq) && off(r.end) <= off(end);
      if (covered) freed.push(...r.ids);
      return !covered;
    });
    const b = this.floorIdx(seq);
    const before = b >= 0 ? this.runs[b]! : undefined;
    const aIdx = this.runs.findIndex((r) => off(r.seq) >= off(seq));
    const after = aIdx >= 0 ? this.runs[aIdx]! : undefined;
    let run: RefRun;
    if (before !== undefined && before.end === seq) {
      run = before;
      run.ids.push(id);
      run.end = end;
    } else {
      run = { seq, end, ids: [id] };
      this.runs.splice(b + 1, 0, run);
    }
    if (after !== undefined && after !== run && after.seq === end) {
      run.ids.push(...after.ids);
      run.end = after.end;
      this.runs.splice(this.runs.indexOf(after), 1);
    }
    return { dup: false, freed };
  }
}

type Op = { k: 'ins'; at: number; len: number } | { k: 'shift' } | { k: 'pop' };
const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ k: fc.constant('ins' as const), at: fc.integer({ min: 0, max: 600 }), len: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'shift' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'pop' as const }) },
);

describe('OfoQueue (treap of adjacent-skb runs)', () => {
  it('matches the array reference; runs are ordered and exactly adjacent; coverage is preserved; no skb leaks', () => {
    const live0 = skbStats().live;
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 200 }), (ops) => {
        const q = new OfoQueue();
        const ref = new RefQueue();
        const skbs = new Map<SkBuff, number>();
        let nextId = 0;
        const covered = new Set<number>(); // byte offsets held by the queue (model)
        for (const op of ops) {
          if (op.k === 'ins') {
            const skb = allocSkb(1);
            const seq = (BASE + op.at) >>> 0;
            const end = (seq + op.len) >>> 0;
            skb.cb[CB_SEQ] = seq;
            skb.cb[CB_END_SEQ] = end;
            const id = nextId++;
            const want = ref.insert(seq, end, id);
            const got = q.insert(skb);
            expect(got === OfoInsert.DUPLICATE).toBe(want.dup);
            if (got === OfoInsert.DUPLICATE) {
              for (let i = op.at; i < op.at + op.len; i++) expect(covered.has(i)).toBe(true);
              skb.free();
            } else {
              skbs.set(skb, id);
              for (let i = op.at; i < op.at + op.len; i++) covered.add(i);
            }
          } else if (op.k === 'shift') {
            const r = q.shiftRun();
            const want = ref.runs.shift();
            expect(r === null).toBe(want === undefined);
            if (r !== null) {
              expect(r.skbs.map((s) => skbs.get(s))).toEqual(want!.ids);
              for (const s of r.skbs) s.free();
            }
          } else {
            const s = q.popLast();
            const last = ref.runs[ref.runs.length - 1];
            expect(s === null).toBe(last === undefined);
            if (s !== null) {
              expect(skbs.get(s)).toBe(last!.ids.pop());
              if (last!.ids.length === 0) ref.runs.pop();
              else last!.end = [...skbs].find(([, id]) => id === last!.ids[last!.ids.length - 1])![0].cb[CB_END_SEQ]!;
              s.free();
            }
          }
          if (op.k !== 'ins') {
            covered.clear();
            q.forEachRun((r) => r.skbs.forEach((s) => {
              for (let i = off(s.cb[CB_SEQ]!); i < off(s.cb[CB_END_SEQ]!); i++) covered.add(i);
            }));
          }
          // the tree against the reference, and its invariants
          const runs: { seq: number; end: number; ids: number[] }[] = [];
          let n = 0;
          q.forEachRun((r) => {
            runs.push({ seq: r.seq, end: r.end, ids: r.skbs.map((s) => skbs.get(s)!) });
            n += r.skbs.length;
            expect(r.skbs[0]!.cb[CB_SEQ]).toBe(r.seq);
            expect(r.skbs[r.skbs.length - 1]!.cb[CB_END_SEQ]).toBe(r.end);
            for (let i = 1; i < r.skbs.length; i++) expect(r.skbs[i]!.cb[CB_SEQ]).toBe(r.skbs[i - 1]!.cb[CB_END_SEQ]);
          });
          expect(runs).toEqual(ref.runs);
          for (let i = 1; i < runs.length; i++) expect(off(runs[i]!.seq)).toBeGreaterThan(off(runs[i - 1]!.seq));
          expect(q.length).toBe(n);
          expect(q.runs).toBe(runs.length);
          const held = new Set<number>();
          for (const r of runs) for (let i = off(r.seq); i < off(r.end); i++) held.add(i);
          expect(held).toEqual(covered);
        }
        q.purge();
        expect(q.length).toBe(0);
        expect(skbStats().live).toBe(live0);
      }),
      { numRuns: 300 },
    );
  });

  it('stays balanced: 10,000 disjoint segments in random order give a tree of logarithmic height', () => {
    const live0 = skbStats().live;
    const q = new OfoQueue();
    const order = Array.from({ length: 10_000 }, (_, i) => i);
    let x = 1;
    for (let i = order.length - 1; i > 0; i--) {
      x = (x * 1103515245 + 12345) >>> 0;
      const j = x % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const i of order) {
      const skb = allocSkb(1);
      skb.cb[CB_SEQ] = (BASE + i * 2000) >>> 0; // a hole between every two
      skb.cb[CB_END_SEQ] = (BASE + i * 2000 + 1000) >>> 0;
      expect(q.insert(skb)).toBe(OfoInsert.QUEUED);
    }
    expect(q.runs).toBe(10_000);
    console.log(`10,000 runs: treap height ${q.height()} (log2 n = 13.3)`);
    expect(q.height()).toBeLessThanOrEqual(45); // ≈ 3·log2 n; a sorted-insert list would be 10,000
    q.purge();
    expect(skbStats().live).toBe(live0);
  });

  it('coalesces a burst after one hole into a single run (10,000 segments, one node)', () => {
    const q = new OfoQueue();
    for (let i = 1; i <= 10_000; i++) {
      const skb = allocSkb(1);
      skb.cb[CB_SEQ] = (BASE + i * 1000) >>> 0;
      skb.cb[CB_END_SEQ] = (BASE + (i + 1) * 1000) >>> 0;
      expect(q.insert(skb)).toBe(OfoInsert.QUEUED);
    }
    expect(q.runs).toBe(1);
    expect(q.length).toBe(10_000);
    q.purge();
  });
});
