/**
 * Allocation failure loses nothing: under a tight `maxLiveBytes`, or with faults
 * injected into head, buffer and page allocations (`shouldFail`), every operation
 * either succeeds or throws, and a throwing operation leaves every live skb's bytes
 * and length exactly as they were; everything is freed back to zero live.
 */
import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { PagePool, SkbError, SkbPool, allocSkb, skbStats, type SkBuff } from './index.js';
import { addFragOfBytes, arbSkbOps, MODEL_PAGE_SIZE, skbBytes, type SkbOp } from './testing/index.js';

const SCALE = process.env['NETLAYERS_SLOW'] === '1' ? 10 : 1;

function run(ops: readonly SkbOp[], limit: number, fail?: () => boolean): number {
  const pool = new SkbPool({ maxLiveBytes: limit, shouldFail: fail });
  const pages = new PagePool({ pageSize: MODEL_PAGE_SIZE, shouldFail: fail });
  const live: SkBuff[] = [];
  let nomem = 0;
  try {
    for (const op of ops) {
      const snaps = live.map((s) => skbBytes(s));
      try {
        if (op.kind === 'alloc') {
          live.push(allocSkb(op.size, { pool }));
          continue;
        }
        if (live.length === 0) continue;
        const ti = op.target % live.length;
        const skb = live[ti]!;
        switch (op.kind) {
          case 'reserve': skb.reserve(op.n); break;
          case 'put': skb.put(op.bytes.length).set(op.bytes); break;
          case 'push': skb.push(op.bytes.length).set(op.bytes); break;
          case 'pull': skb.pull(op.n); break;
          case 'trim': skb.trim(Math.round(op.frac * skb.len)); break;
          case 'mayPull': skb.mayPull(Math.round(op.frac * skb.len)); break;
          case 'ensureWritable': skb.ensureWritable(Math.round(op.frac * skb.len)); break;
          case 'addFrag': addFragOfBytes(skb, pages, op.bytes, op.off); break;
          case 'appendFragList': {
            const si = op.source % live.length;
            if (si === ti) break;
            skb.appendFragList(live[si]!);
            live.splice(si, 1);
            snaps.splice(si, 1);
            break;
          }
          case 'clone': live.push(skb.clone()); break;
          case 'copy': live.push(skb.copy()); break;
          case 'pskbCopy': live.push(skb.pskbCopy()); break;
          case 'cowHead': skb.cowHead(op.headroom); break;
          case 'cow': skb.cow(op.headroom); break;
          case 'expandHead': skb.expandHead(op.nhead, op.ntail); break;
          case 'unshare': skb.unshare(); break;
          case 'linearize': skb.linearize(); break;
          case 'free': skb.free(); live.splice(ti, 1); snaps.splice(ti, 1); break;
          default: break;
        }
      } catch (e) {
        if (!(e instanceof SkbError)) throw e;
        if (e.code === 'SKB_NOMEM') nomem++;
        // a failed operation changed nothing
        live.forEach((s, i) => {
          const now = skbBytes(s);
          const was = snaps[i]!;
          if (now.length !== was.length || now.some((b, k) => b !== was[k])) {
            expect.fail(`${e.code} changed skb #${i}: ${JSON.stringify(op, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v))}`);
          }
        });
      }
    }
  } finally {
    for (const s of live) s.free();
  }
  expect(pool.stats().live).toBe(0);
  expect(pool.liveBytes).toBe(0);
  expect(pages.stats().live).toBe(0);
  return nomem;
}

it('operations that run out of pool memory change nothing (1000 runs)', () => {
  const live0 = skbStats().live;
  let nomem = 0;
  fc.assert(
    fc.property(arbSkbOps({ maxSize: 300, weights: { linearize: 3, mayPull: 5, copy: 3, expandHead: 3, cow: 3 } }), fc.integer({ min: 64, max: 2048 }), (ops, limit) => {
      nomem += run(ops, limit);
    }),
    { numRuns: 1000 * SCALE },
  );
  expect(nomem).toBeGreaterThan(0); // the limit was actually hit
  expect(skbStats().live).toBe(live0);
});

it('injected allocation faults (heads, buffers, pages) at random points change nothing (1000 runs)', () => {
  const live0 = skbStats().live;
  let nomem = 0;
  fc.assert(
    fc.property(arbSkbOps({ maxSize: 300, weights: { linearize: 3, mayPull: 5, copy: 3, pskbCopy: 3, clone: 3, expandHead: 3, cow: 3, addFrag: 5 } }), fc.array(fc.boolean(), { minLength: 1, maxLength: 64 }), (ops, pattern) => {
      let i = 0;
      nomem += run(ops, Infinity, () => pattern[i++ % pattern.length]!);
    }),
    { numRuns: 1000 * SCALE },
  );
  expect(nomem).toBeGreaterThan(0);
  expect(skbStats().live).toBe(live0);
});
