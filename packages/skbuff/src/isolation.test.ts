/**
 * Isolation: whatever is done to a clone / pskbCopy / copy of a nonlinear skb
 * (pulls, trims, linearize, cow + writes), the other one's bytes never change.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PagePool, skbStats, type SkBuff } from './index.js';
import { arbChunkedPayload, skbBytes, skbFromChunks } from './testing/index.js';

const SCALE = process.env['NETLAYERS_SLOW'] === '1' ? 10 : 1;

type Mut =
  | { k: 'trim' | 'mayPull' | 'pull' | 'ensureWritable' | 'store'; frac: number; v: number }
  | { k: 'linearize' | 'unshare' | 'cowPush' | 'clone' | 'pskbCopy' };

const arbMut: fc.Arbitrary<Mut> = fc.oneof(
  fc.record({
    k: fc.constantFrom('trim' as const, 'mayPull' as const, 'pull' as const, 'ensureWritable' as const, 'store' as const),
    frac: fc.double({ min: 0, max: 1, noNaN: true }),
    v: fc.nat({ max: 255 }),
  }),
  fc.record({ k: fc.constantFrom('linearize' as const, 'unshare' as const, 'cowPush' as const, 'clone' as const, 'pskbCopy' as const) }),
);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function apply(skb: SkBuff, m: Mut, extra: SkBuff[]): void {
  switch (m.k) {
    case 'trim':
      skb.trim(Math.floor(m.frac * skb.len));
      break;
    case 'mayPull':
      skb.mayPull(Math.floor(m.frac * skb.len));
      break;
    case 'pull':
      skb.pull(Math.floor(m.frac * skb.headlen));
      break;
    case 'ensureWritable': {
      const n = Math.floor(m.frac * skb.len);
      skb.ensureWritable(n);
      if (n > 0) skb.buf[skb.data] = m.v; // the first n bytes are now private
      break;
    }
    case 'store':
      skb.unshare();
      if (skb.len > 0) skb.storeBits(Math.floor(m.frac * (skb.len - 1)), Uint8Array.of(m.v));
      break;
    case 'linearize':
      skb.linearize();
      break;
    case 'unshare':
      skb.unshare();
      break;
    case 'cowPush':
      skb.cowHead(4);
      skb.push(4).fill(0xee);
      break;
    case 'clone':
      extra.push(skb.clone());
      break;
    case 'pskbCopy':
      extra.push(skb.pskbCopy());
      break;
  }
}

describe('isolation of clones and copies', () => {
  it('mutating one side never changes the other (1000 runs)', () => {
    const live0 = skbStats().live;
    const pagePool = new PagePool({ pageSize: 64 });
    fc.assert(
      fc.property(
        arbChunkedPayload({ maxLength: 300 }, { maxChunkSize: 40, maxChunks: 6 }),
        fc.nat({ max: 4 }),
        fc.constantFrom('clone' as const, 'pskbCopy' as const, 'copy' as const),
        fc.boolean(),
        fc.array(arbMut, { maxLength: 12 }),
        ({ payload, chunks }, maxFrags, how, mutateOriginal, muts) => {
          const a = skbFromChunks(chunks, { pagePool, maxFrags, headroom: 8 });
          const b = how === 'clone' ? a.clone() : how === 'pskbCopy' ? a.pskbCopy() : a.copy();
          const [victim, witness] = mutateOriginal ? [a, b] : [b, a];
          const extra: SkBuff[] = [];
          try {
            for (const m of muts) {
              apply(victim, m, extra);
              if (!sameBytes(skbBytes(witness), payload)) expect(skbBytes(witness)).toEqual(payload);
            }
            // the extra clones/copies are snapshots: freeing the victim later must not affect them
            const snaps = extra.map((e) => skbBytes(e));
            victim.free();
            extra.forEach((e, i) => {
              if (!sameBytes(skbBytes(e), snaps[i]!)) expect(skbBytes(e)).toEqual(snaps[i]);
            });
            if (!sameBytes(skbBytes(witness), payload)) expect(skbBytes(witness)).toEqual(payload);
            witness.free();
          } finally {
            if (victim.users > 0) victim.free();
            if (witness.users > 0) witness.free();
            for (const e of extra) e.free();
          }
        },
      ),
      {
        numRuns: 1000 * SCALE,
        // regression: a child shared after expandHead must be cloned before trimming
        examples: [[{ payload: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), chunks: [Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5), Uint8Array.of(6, 7, 8)] }, 0, 'clone', false, [{ k: 'trim', frac: 0.375, v: 0 }]]],
      },
    );
    expect(pagePool.stats().live).toBe(0);
    expect(skbStats().live).toBe(live0);
  });
});
