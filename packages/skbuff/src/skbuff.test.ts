import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  allocSkb,
  allocSkbHead,
  IpSummed,
  MAX_SKB_FRAGS,
  PagePool,
  SKB_CB_SLOTS,
  SKB_MAX_CLASS,
  SkbError,
  SkbPool,
  skbStats,
  type SkBuff,
} from './index.js';
import { skbFromChunks } from './testing/index.js';

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

describe('pools and lifetime', () => {
  it('recycles heads and buffers (cacheHits) and counts live objects', () => {
    const pool = new SkbPool();
    const a = allocSkb(1000, { pool });
    expect(pool.stats()).toMatchObject({ live: 2, allocated: 2, freed: 0, cacheHits: 0 });
    a.free();
    const b = allocSkb(900, { pool }); // same 1 KiB class
    expect(pool.stats().cacheHits).toBe(2);
    expect(b.end).toBe(900);
    expect(b.buf.length).toBe(1024);
    b.free();
    expect(pool.stats().live).toBe(0);
    const big = allocSkb(SKB_MAX_CLASS + 1, { pool });
    expect(big.end).toBe(SKB_MAX_CLASS + 1);
    big.free();
    expect(pool.stats()).toMatchObject({ live: 0, allocated: 6, freed: 6 });
  });

  it('recycle:false detects every use after free', () => {
    const pool = new SkbPool({ recycle: false });
    const a = allocSkb(10, { pool });
    a.free();
    const b = allocSkb(10, { pool });
    expect(b).not.toBe(a);
    expectCode(() => a.put(1), 'SKB_FREED');
    expectCode(() => a.clone(), 'SKB_FREED');
    expectCode(() => a.free(), 'SKB_FREED');
    b.free();
  });

  it('pages: refcounting, double put, return to pool', () => {
    const pp = new PagePool({ pageSize: 128 });
    const p = pp.alloc();
    expect(p.refcount).toBe(1);
    p.get();
    p.put();
    expect(pp.stats().live).toBe(1);
    p.put();
    expect(pp.stats()).toMatchObject({ live: 0, freed: 1 });
    expectCode(() => p.put(), 'PAGE_FREED');
    expectCode(() => p.get(), 'PAGE_FREED');
    const q = pp.alloc();
    expect(q).toBe(p);
    expect(pp.stats().cacheHits).toBe(1);
    q.put();
  });

  it('users/get, destructor once on the final free, cb zeroed on reuse', () => {
    const pool = new SkbPool({ debug: false }); // checks the recycled head itself (debug mode hands out new references)
    const a = allocSkb(10, { pool });
    let calls = 0;
    a.destructor = (s) => {
      expect(s).toBe(a);
      calls++;
    };
    a.cb[0] = 42;
    a.cb[SKB_CB_SLOTS - 1] = 43;
    a.cbRef = { x: 1 };
    a.sk = { sock: true };
    a.get();
    expect(a.shared()).toBe(true);
    a.free();
    expect(calls).toBe(0);
    a.free();
    expect(calls).toBe(1);
    const b = allocSkb(10, { pool });
    expect(b).toBe(a); // recycled head
    expect(b.cb[0]).toBe(0);
    expect(b.cb.length).toBe(SKB_CB_SLOTS);
    expect(b.cb[SKB_CB_SLOTS - 1]).toBe(0);
    expect(b.cbRef).toBe(null);
    expect(b.sk).toBe(null);
    expect(b.destructor).toBe(null);
    b.free();
  });

  it('orphan runs the destructor and drops the socket', () => {
    const a = allocSkb(10);
    let calls = 0;
    a.sk = {};
    a.destructor = () => calls++;
    a.orphan();
    expect(calls).toBe(1);
    expect(a.sk).toBe(null);
    a.free();
    expect(calls).toBe(1);
  });

  it('SkbError is typed with a stable code', () => {
    const a = allocSkb(1);
    try {
      a.put(2);
    } catch (e) {
      expect(e).toBeInstanceOf(SkbError);
      expect(e).toBeInstanceOf(Error);
      expect((e as SkbError).code).toBe('SKB_OVER');
      expect((e as SkbError).name).toBe('SkbError');
    }
    expect({}).not.toBeInstanceOf(SkbError);
    a.free();
  });
});

describe('sharing details', () => {
  it('clone copies header fields and cb, not sk/destructor', () => {
    const a = allocSkb(64);
    a.reserve(14);
    a.put(20);
    a.resetNetworkHeader();
    a.protocol = 0x0800;
    a.priority = 3;
    a.cb[2] = 7;
    a.sk = {};
    a.destructor = () => undefined;
    const c = a.clone();
    expect([c.protocol, c.priority, c.cb[2], c.networkHeader]).toEqual([0x0800, 3, 7, 14]);
    expect(c.sk).toBe(null);
    expect(c.destructor).toBe(null);
    a.destructor = null;
    a.free();
    c.free();
  });

  it('expandHead moves header marks and csumStart with the data', () => {
    const a = allocSkb(40);
    a.reserve(10);
    a.putData(Uint8Array.of(1, 2, 3, 4));
    a.resetNetworkHeader();
    a.setTransportHeader(2);
    a.ipSummed = IpSummed.PARTIAL;
    a.csumStart = a.transportHeader;
    a.expandHead(16, 4);
    expect(a.data).toBe(26);
    expect(a.networkHeader).toBe(26);
    expect(a.transportOffset()).toBe(2);
    expect(a.csumStart).toBe(28);
    expect(a.end - a.head).toBe(60);
    expect([...a.bytes()]).toEqual([1, 2, 3, 4]);
    a.free();
  });

  it('pskbCopy shares pages; storeBits refuses shared pages; unshare makes private', () => {
    const pp = new PagePool({ pageSize: 64 });
    const a = skbFromChunks([Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5)], { pagePool: pp });
    const b = a.pskbCopy();
    expect(a.frags[0]!.page.refcount).toBe(2);
    expectCode(() => b.storeBits(2, Uint8Array.of(9)), 'SKB_SHARED');
    b.storeBits(0, Uint8Array.of(9)); // linear part is private to the copy
    expect(content(b)).toEqual([9, 2, 3, 4, 5]);
    expect(content(a)).toEqual([1, 2, 3, 4, 5]);
    const c = a.clone();
    expectCode(() => c.storeBits(0, Uint8Array.of(7)), 'SKB_SHARED');
    c.unshare();
    expect(c.isCloned()).toBe(false);
    expect(c.nrFrags).toBe(0);
    c.storeBits(3, Uint8Array.of(7));
    expect(content(c)).toEqual([1, 2, 3, 7, 5]);
    expect(content(a)).toEqual([1, 2, 3, 4, 5]);
    a.free();
    b.free();
    c.free();
    expect(pp.stats().live).toBe(0);
  });

  it('chunks() yields zero-copy views in order', () => {
    const pp = new PagePool({ pageSize: 4 });
    const a = skbFromChunks([Uint8Array.of(1), Uint8Array.of(2, 3, 4, 5, 6), Uint8Array.of(7)], { pagePool: pp });
    const parts = [...a.chunks()].map((c) => [...c]);
    expect(parts).toEqual([[1], [2, 3, 4, 5], [6], [7]]);
    expect([...a.chunks(2, 4)].map((c) => [...c])).toEqual([[3, 4, 5], [6]]);
    expect(a.frags[0]!.page.bytes.buffer).toBe([...a.chunks(1, 1)][0]!.buffer);
    expectCode(() => a.copyBits(5, new Uint8Array(10), 3), 'SKB_RANGE');
    a.free();
  });

  it('a head without data throws SKB_NO_DATA until setDataPart', () => {
    const h = allocSkbHead();
    expectCode(() => h.put(1), 'SKB_NO_DATA');
    expect(h.len).toBe(0);
    h.free();
  });

  it('setDataPart keeps the original data alive after the original is freed (thesis §3.1.2)', () => {
    const pp = new PagePool({ pageSize: 64 });
    const orig = skbFromChunks([Uint8Array.of(1, 2), Uint8Array.of(3)], { pagePool: pp, headroom: 8 });
    orig.destructor = () => undefined;
    const n = allocSkbHead();
    n.destructor = () => undefined;
    n.setDataPart(orig);
    expect(n.destructor).toBe(null);
    expect(n.cloned && orig.cloned).toBe(true);
    expect(n.dataref).toBe(2);
    orig.destructor = null;
    orig.free();
    expect(content(n)).toEqual([1, 2, 3]);
    expect(n.headroom()).toBe(8);
    n.free();
    expect(pp.stats().live).toBe(0);
  });
});

describe('frag_list children shared between parents', () => {
  for (const how of ['pskbCopy', 'clone+expand'] as const) {
    it(`trim/mayPull into a child shared via ${how} leave the other parent intact`, () => {
      const mk = (): SkBuff => {
        const p = allocSkb(8);
        p.putData(Uint8Array.of(1, 2));
        const c1 = allocSkb(8);
        c1.putData(Uint8Array.of(3, 4, 5));
        const c2 = allocSkb(8);
        c2.putData(Uint8Array.of(6, 7, 8));
        p.appendFragList(c1);
        p.appendFragList(c2);
        return p;
      };
      for (const op of ['trim', 'mayPull'] as const) {
        const p = mk();
        let q: SkBuff;
        if (how === 'pskbCopy') q = p.pskbCopy();
        else {
          q = p.clone();
          q.expandHead(0, 0); // private info, children now have users 2
        }
        expect(p.fragList[0]!.users).toBe(2);
        if (op === 'trim') p.trim(3);
        else expect(p.mayPull(4)).toBe(true);
        expect(content(q)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(content(p)).toEqual(op === 'trim' ? [1, 2, 3] : [1, 2, 3, 4, 5, 6, 7, 8]);
        p.free();
        expect(content(q)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        q.free();
      }
    });
  }
});

it('appendFragList refuses cycles', () => {
  const a = allocSkb(4);
  const b = allocSkb(4);
  const c = allocSkb(4);
  b.appendFragList(c);
  a.appendFragList(b);
  expectCode(() => c.appendFragList(a), 'SKB_RANGE');
  expectCode(() => a.appendFragList(a), 'SKB_RANGE');
  a.free();
});

it('maxLiveBytes bounds a pool (SKB_NOMEM) without leaking', () => {
  const pool = new SkbPool({ maxLiveBytes: 4096 });
  const a = allocSkb(2048, { pool });
  const b = allocSkb(1500, { pool }); // 2 KiB class
  expect(pool.liveBytes).toBe(4096);
  expectCode(() => allocSkb(1, { pool }), 'SKB_NOMEM');
  expectCode(() => a.expandHead(0, 1), 'SKB_NOMEM');
  expect(a.end).toBe(2048);
  a.free();
  const c = allocSkb(64, { pool });
  c.free();
  b.free();
  expect(pool.liveBytes).toBe(0);
  expect(pool.stats().live).toBe(0);
});
