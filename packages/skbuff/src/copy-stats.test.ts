/**
 * The copy meter: each copying operation adds exactly the bytes it moves, under
 * its kind, to its pool's meter and to `skbStats()`; zero-copy operations add 0.
 */
import * as fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SKB_MAX_HEADER_COPY,
  PagePool,
  SkbError,
  SkbPool,
  allocSkb,
  allocSkbHead,
  copyStatsDelta,
  countSkbCopy,
  skbChecksum,
  skbCopyAndCsumBits,
  skbStats,
  type SkBuff,
  type SkbCopyKinds,
  type SkbCopyStats,
} from './index.js';
import { addFragOfBytes, arbSkbOps, MODEL_PAGE_SIZE, skbFromChunks, type SkbOp } from './testing/index.js';

let pool: SkbPool;
let pages: PagePool;
let live0: number;

beforeEach(() => {
  pool = new SkbPool();
  pages = new PagePool({ pageSize: MODEL_PAGE_SIZE });
  live0 = skbStats().live;
});

afterEach(() => {
  expect(pool.stats().live).toBe(0);
  expect(pages.stats().live).toBe(0);
  expect(skbStats().live).toBe(live0);
});

function bytes(n: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
}

/**
 * An skb of `pool`: `headroom` bytes of headroom, a `linear`-byte linear part,
 * one frag per entry of `frags`, one frag_list child per entry of `children`.
 */
function build(headroom: number, linear: number, frags: number[] = [], children: number[] = [], tailroom = 0): SkBuff {
  return skbFromChunks(
    [bytes(linear), ...frags.map((n, i) => bytes(n, 10 + i)), ...children.map((n, i) => bytes(n, 40 + i))],
    { pool, pagePool: pages, headroom, tailroom, maxFrags: frags.length },
  );
}

const ZERO: SkbCopyKinds = {
  linearize: 0,
  expandHead: 0,
  copyBits: 0,
  copy: 0,
  pskbCopy: 0,
  putData: 0,
  storeBits: 0,
  pull: 0,
  other: 0,
  headers: 0,
};

/** Run `fn`; return what it added to the pool's meter, checking the process-wide meter moved alike. */
function metered(fn: () => void): SkbCopyStats {
  const p0 = pool.stats();
  const g0 = skbStats();
  fn();
  const d = copyStatsDelta(p0, pool.stats());
  expect(copyStatsDelta(g0, skbStats())).toEqual(d);
  return d;
}

/** `fn` copies exactly `want` (only the kinds named; every other kind 0). */
function expectCopies(fn: () => void, want: Partial<SkbCopyKinds>): void {
  const d = metered(fn);
  const copies = { ...ZERO, ...want };
  expect(d.copies).toEqual(copies);
  expect(d.bytesCopied).toBe(Object.values(copies).reduce((a, b) => a + b, 0));
}

describe('copy meter: each copying operation adds the bytes it moves', () => {
  it('putData adds src.length', () => {
    const skb = allocSkb(100, { pool });
    skb.reserve(10);
    expectCopies(() => skb.putData(bytes(23)), { putData: 23 });
    expectCopies(() => skb.putData(new Uint8Array(0)), {});
    skb.free();
  });

  it('copyBits and skbCopyAndCsumBits add len, across linear part, frags and frag_list', () => {
    const skb = build(16, 30, [40], [50]);
    const dst = new Uint8Array(200);
    expectCopies(() => skb.copyBits(5, dst, 100, 3), { copyBits: 100 });
    expectCopies(() => skbCopyAndCsumBits(skb, 0, dst, 120, 0), { copyBits: 120 });
    expectCopies(() => expect(() => skb.copyBits(0, dst, 121)).toThrow(), {});
    skb.free();
  });

  it('storeBits adds src.length', () => {
    const skb = build(0, 30, [40]);
    expectCopies(() => skb.storeBits(25, bytes(10, 99)), { storeBits: 10 });

    const c = skb.clone();
    expectCopies(() => expect(() => skb.storeBits(0, bytes(4))).toThrow(), {}); // refused: shared
    c.free();
    skb.free();
  });

  it('copyHeaders counts linear header bytes apart from payload, and refuses more', () => {
    const skb = build(16, 60, [100]);
    const dst = new Uint8Array(64);
    expectCopies(() => skb.copyHeaders(dst, 54, 2), { headers: 54 });
    const d = metered(() => skb.copyHeaders(dst, 54, 2));
    expect(d.bytesCopied).toBe(54);
    expect(d.payloadBytesCopied).toBe(0);
    expect(Array.from(dst.subarray(2, 56))).toEqual(Array.from(skb.bytes().subarray(0, 54)));
    expectCopies(() => expect(() => skb.copyHeaders(new Uint8Array(200), 61)).toThrowError(expect.objectContaining({ code: 'SKB_RANGE' })), {}); // past headlen
    expectCopies(() => expect(() => skb.copyHeaders(dst, 54, 20)).toThrowError(expect.objectContaining({ code: 'SKB_RANGE' })), {}); // past dst
    const big = build(0, SKB_MAX_HEADER_COPY + 1);
    expect(() => big.copyHeaders(new Uint8Array(512), SKB_MAX_HEADER_COPY + 1)).toThrowError(expect.objectContaining({ code: 'SKB_RANGE' }));
    expectCopies(() => big.copyHeaders(new Uint8Array(512), SKB_MAX_HEADER_COPY), { headers: SKB_MAX_HEADER_COPY });
    skb.free();
    big.free();
  });

  it("countSkbCopy(skb, n, 'headers') counts headers, bounded", () => {
    const skb = build(0, 10);
    expectCopies(() => countSkbCopy(skb, 54, 'headers'), { headers: 54 });
    expectCopies(() => expect(() => countSkbCopy(skb, SKB_MAX_HEADER_COPY + 1, 'headers')).toThrow(RangeError), {});
    expectCopies(() => countSkbCopy(skb, 7), { other: 7 });
    skb.free();
  });

  it('copy adds headroom + len; unshare of a clone counts as a copy', () => {
    const skb = build(16, 30, [40], [50]);
    let n: SkBuff | undefined;
    expectCopies(() => (n = skb.copy()), { copy: 16 + 30 + 40 + 50 });
    n!.free();
    const c = skb.clone();
    expectCopies(() => c.unshare(), { copy: 16 + 120 });
    expectCopies(() => c.unshare(), {}); // already private
    c.free();
    skb.free();
  });

  it('pskbCopy adds headroom + headlen (frags are shared, not copied)', () => {
    const skb = build(16, 30, [40], [50]);
    let n: SkBuff | undefined;
    expectCopies(() => (n = skb.pskbCopy()), { pskbCopy: 46 });
    n!.free();
    skb.free();
  });

  it('expandHead adds the bytes moved (headroom + headlen), whatever nhead/ntail', () => {
    const skb = build(16, 30, [40]);
    expectCopies(() => skb.expandHead(8, 4), { expandHead: 46 });
    expectCopies(() => skb.expandHead(0, 0), { expandHead: 24 + 30 });
    skb.free();
  });

  it('cow and cowHead copy only when they reallocate', () => {
    const skb = build(16, 30);
    expectCopies(() => skb.cow(16), {});
    expectCopies(() => skb.cowHead(8), {});
    const c = skb.clone();
    expectCopies(() => c.cowHead(0), { expandHead: 46 });
    expectCopies(() => skb.cow(32), { expandHead: 46 }); // more headroom
    c.free();
    skb.free();
  });

  it('mayPull adds the paged bytes pulled, plus a reallocation when the tailroom is short', () => {
    const roomy = build(8, 30, [40], [], 64);
    expectCopies(() => roomy.mayPull(30), {});
    expectCopies(() => roomy.mayPull(50), { pull: 20 });
    expectCopies(() => expect(roomy.mayPull(71)).toBe(false), {});
    roomy.free();
    const tight = build(8, 30, [40, 40]);
    expectCopies(() => tight.mayPull(50), { pull: 20, expandHead: 38 });
    tight.free();
  });

  it('mayPull into a frag_list child pulls the child bytes once', () => {
    const skb = build(0, 30, [], [50, 20], 64);
    expectCopies(() => skb.mayPull(40), { pull: 10 });
    expect(skb.fragList[0]!.len).toBe(40);
    skb.free();
  });

  it('linearize adds dataLen (plus the reallocation)', () => {
    const skb = build(16, 30, [40], [50]);
    expectCopies(() => skb.linearize(), { linearize: 90, expandHead: 46 });
    expectCopies(() => skb.linearize(), {});
    skb.free();
  });

  it('ensureWritable pulls and unshares', () => {
    const skb = build(4, 30, [40], [], 64);
    const c = skb.clone();
    // mayPull unshares first (clone ⇒ expandHead of headroom + headlen), then pulls 10.
    expectCopies(() => c.ensureWritable(40), { expandHead: 34, pull: 10 });
    c.free();
    skb.free();
  });

  it('trim into the frags of a shared skb unshares the head (expandHead), of a private one copies nothing', () => {
    const skb = build(4, 30, [40, 40]);
    expectCopies(() => skb.trim(90), {});
    const c = skb.clone();
    expectCopies(() => c.trim(50), { expandHead: 34 });
    c.free();
    skb.free();
  });

  it('zero-copy operations add nothing', () => {
    const skb = build(32, 30, [40]);
    const lin = allocSkb(256, { pool });
    const child = build(0, 20);
    const h = allocSkbHead({ pool });
    expectCopies(() => {
      lin.reserve(64);
      lin.put(20).fill(1);
      lin.putZero(10);
      lin.push(14).fill(2);
      lin.pull(6);
      lin.trim(25);
      const c = skb.clone();
      c.headerRelease();
      c.free();
      skb.push(8).fill(0);
      skb.pull(12);
      expect(skb.mayPull(10)).toBe(true); // within headlen
      skb.addFrag(pages.alloc(), 0, 16);
      skb.appendFragList(child);
      skb.trim(70);
      h.setDataPart(skb);
      void skb.bytes();
      for (const _ of skb.chunks()) void _;
      skb.forEachChunk(0, skb.len, () => true);
      skbChecksum(skb, 0, skb.len, 0);
      skb.get().free();
    }, {});
    h.free();
    lin.free();
    skb.free();
  });

  it('countSkbCopy reports copies made outside the package under `other`', () => {
    const skb = allocSkb(64, { pool });
    const off = skb.putOff(12);
    skb.buf.set(bytes(12), off);
    expectCopies(() => countSkbCopy(skb, 12), { other: 12 });
    expect(() => countSkbCopy(skb, -1)).toThrow(RangeError);
    expect(() => countSkbCopy(skb, 1.5)).toThrow(RangeError);
    skb.free();
  });

  it('the counters are monotonic: freeing does not give bytes back', () => {
    const before = pool.stats();
    const skb = allocSkb(64, { pool });
    skb.putData(bytes(40));
    skb.free();
    expect(copyStatsDelta(before, pool.stats()).bytesCopied).toBe(40);
    expect(pool.stats().bytesCopied).toBe(before.bytesCopied + 40);
  });

  it('a pool meters only its own skbs', () => {
    const other = new SkbPool();
    const skb = allocSkb(64, { pool: other });
    const mine = pool.stats().bytesCopied;
    skb.putData(bytes(40));
    expect(other.stats().copies.putData).toBe(40);
    expect(pool.stats().bytesCopied).toBe(mine);
    skb.free();
  });
});

/** Operations whose every call must leave the meter alone. */
const ZERO_COPY_WEIGHTS = {
  alloc: 3,
  reserve: 2,
  put: 4,
  push: 3,
  pull: 3,
  trim: 3,
  addFrag: 4,
  appendFragList: 2,
  clone: 3,
  setDataPart: 2,
  headerRelease: 2,
  free: 2,
  copy: 0,
  pskbCopy: 0,
  unshare: 0,
  linearize: 0,
  mayPull: 0,
  cowHead: 0,
  cow: 0,
  ensureWritable: 0,
  storeBits: 0,
  expandHead: 0,
};

/** Apply a zero-copy op; returns the expandHead bytes a trim of shared paged data may legitimately copy. */
function applyZeroCopy(op: SkbOp, live: SkBuff[]): number {
  if (op.kind === 'alloc') {
    live.push(allocSkb(op.size, { pool }));
    return 0;
  }
  if (live.length === 0) return 0;
  const ti = op.target % live.length;
  const skb = live[ti]!;
  try {
    switch (op.kind) {
      case 'reserve': skb.reserve(op.n); break;
      case 'put': skb.put(op.bytes.length).set(op.bytes); break;
      case 'push': skb.push(op.bytes.length).set(op.bytes); break;
      case 'pull': skb.pull(op.n); break;
      case 'trim': {
        const len = Math.round(op.frac * skb.len);
        // pskb_trim into paged data of a shared skb unshares the head first.
        const unshares = skb.isCloned() && skb.dataLen !== 0 && len < skb.len;
        const moved = unshares ? skb.headroom() + skb.headlen : 0;
        skb.trim(len);
        return moved;
      }
      case 'addFrag': addFragOfBytes(skb, pages, op.bytes, op.off); break;
      case 'appendFragList': {
        const child = live[op.source % live.length]!;
        if (child !== skb) {
          skb.appendFragList(child); // the parent now owns the child's reference
          live.splice(live.indexOf(child), 1);
        }
        break;
      }
      case 'clone': live.push(skb.clone()); break;
      case 'setDataPart': {
        const h = allocSkbHead({ pool });
        h.setDataPart(skb);
        live.push(h);
        break;
      }
      case 'headerRelease': skb.headerRelease(); break;
      case 'free': skb.free(); live.splice(ti, 1); break;
      default: throw new Error(`not a zero-copy op: ${op.kind}`);
    }
  } catch (e) {
    if (e instanceof SkbError) return 0;
    throw e;
  }
  return 0;
}

describe('copy meter: property', () => {
  it('random sequences of zero-copy operations copy nothing (but the documented trim unshare)', () => {
    fc.assert(
      fc.property(arbSkbOps({ weights: ZERO_COPY_WEIGHTS, maxLength: 60 }), (ops) => {
        const live: SkBuff[] = [];
        try {
          for (const op of ops) {
            const before = pool.stats();
            const g = skbStats();
            const allowed = applyZeroCopy(op, live);
            const d = copyStatsDelta(before, pool.stats());
            expect(d.copies).toEqual({ ...ZERO, expandHead: allowed });
            expect(copyStatsDelta(g, skbStats()).bytesCopied).toBe(allowed);
          }
        } finally {
          for (const s of live) s.free();
        }
        expect(pool.stats().live).toBe(0);
        expect(pages.stats().live).toBe(0);
      }),
      { numRuns: process.env['NETLAYERS_SLOW'] === '1' ? 5000 : 400 },
    );
  });
});
