import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allocSkb,
  allocSkbHead,
  MAX_SKB_FRAGS,
  PagePool,
  SkbError,
  skbStats,
  type SkBuff,
} from './index.js';

let live0 = 0;
beforeEach(() => {
  live0 = skbStats().live;
});
afterEach(() => {
  expect(skbStats().live).toBe(live0);
});

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SkbError);
    expect((e as SkbError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
}

function content(skb: SkBuff): number[] {
  const out = new Uint8Array(skb.len);
  skb.copyBits(0, out, skb.len);
  return [...out];
}

describe('linear geometry', () => {
  it('reserve/put/push/pull/trim like skb_*', () => {
    const skb = allocSkb(100);
    expect([skb.head, skb.data, skb.tail, skb.end, skb.len]).toEqual([0, 0, 0, 100, 0]);
    skb.reserve(20);
    expect(skb.headroom()).toBe(20);
    expect(skb.tailroom()).toBe(80);
    skb.put(5).set([1, 2, 3, 4, 5]);
    skb.push(2).set([9, 8]);
    expect(content(skb)).toEqual([9, 8, 1, 2, 3, 4, 5]);
    expect(skb.pull(3)).toBe(21);
    expect(content(skb)).toEqual([2, 3, 4, 5]);
    skb.trim(2);
    expect(content(skb)).toEqual([2, 3]);
    expect(skb.len).toBe(2);
    expect(skb.headlen).toBe(2);
    skb.free();
  });

  it('throws typed errors and changes nothing', () => {
    const skb = allocSkb(10);
    skb.reserve(2);
    expectCode(() => skb.put(9), 'SKB_OVER');
    expectCode(() => skb.push(3), 'SKB_UNDER');
    expectCode(() => skb.pull(1), 'SKB_PULL');
    skb.put(1);
    expectCode(() => skb.reserve(1), 'SKB_NOT_EMPTY');
    expect([skb.data, skb.tail, skb.len]).toEqual([2, 3, 1]);
    skb.free();
    expectCode(() => skb.free(), 'SKB_FREED');
    expectCode(() => skb.put(1), 'SKB_FREED');
  });
});

describe('frags and sharing', () => {
  it('addFrag, mayPull, linearize', () => {
    const pp = new PagePool({ pageSize: 64 });
    const skb = allocSkb(16);
    skb.putData(Uint8Array.of(1, 2, 3));
    const p = pp.alloc();
    p.bytes.set([10, 11, 12, 13, 14, 15], 0);
    skb.addFrag(p, 1, 4);
    expect(skb.len).toBe(7);
    expect(skb.dataLen).toBe(4);
    expect(content(skb)).toEqual([1, 2, 3, 11, 12, 13, 14]);
    expect(skb.mayPull(5)).toBe(true);
    expect(skb.headlen).toBe(5);
    expect(skb.frags[0]!.size).toBe(2);
    expect(content(skb)).toEqual([1, 2, 3, 11, 12, 13, 14]);
    expect(skb.mayPull(8)).toBe(false);
    skb.linearize();
    expect(skb.nrFrags).toBe(0);
    expect(content(skb)).toEqual([1, 2, 3, 11, 12, 13, 14]);
    skb.free();
    expect(pp.stats().live).toBe(0);
  });

  it('frags full', () => {
    const pp = new PagePool({ pageSize: 8 });
    const skb = allocSkb(0);
    for (let i = 0; i < MAX_SKB_FRAGS; i++) skb.addFrag(pp.alloc(), 0, 8);
    const extra = pp.alloc();
    expectCode(() => skb.addFrag(extra, 0, 1), 'SKB_FRAGS_FULL');
    extra.put();
    skb.free();
  });

  it('clone shares data; writes need cow', () => {
    const skb = allocSkb(64);
    skb.reserve(16);
    skb.putData(Uint8Array.of(1, 2, 3));
    const c = skb.clone();
    expect(skb.isCloned()).toBe(true);
    expect(c.dataref).toBe(2);
    expectCode(() => c.put(1), 'SKB_SHARED');
    expectCode(() => c.push(1), 'SKB_SHARED');
    c.cowHead(20);
    expect(c.isCloned()).toBe(false);
    c.push(1)[0] = 7;
    expect(content(c)).toEqual([7, 1, 2, 3]);
    expect(content(skb)).toEqual([1, 2, 3]);
    skb.free();
    c.free();
  });

  it('headerRelease lets the clone push (TCP transmit pattern)', () => {
    const skb = allocSkb(64);
    skb.reserve(40);
    skb.putData(Uint8Array.of(1, 2));
    skb.headerRelease();
    const c = skb.clone();
    c.push(20);
    expectCode(() => skb.push(1), 'SKB_SHARED');
    c.free();
    skb.free();
  });

  it('setDataPart', () => {
    const orig = allocSkb(32);
    orig.putData(Uint8Array.of(5, 6, 7));
    const h = allocSkbHead();
    h.setDataPart(orig);
    orig.free();
    expect(content(h)).toEqual([5, 6, 7]);
    h.free();
  });
});
