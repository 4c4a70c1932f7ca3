/**
 * Model-based tests: random operation sequences applied to real skbs and to the
 * byte-array SkbModel, comparing contents, geometry, sharing state, error codes
 * and pool live counts after every step (see src/testing/checker.ts).
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { skbStats } from './index.js';
import { arbSkbOps, checkSkbOps, type ArbSkbOpsOptions } from './testing/index.js';

const SLOW = process.env['NETLAYERS_SLOW'] === '1';
const RUNS = SLOW ? 20_000 : 1_200;

const suites: [string, ArbSkbOpsOptions][] = [
  ['all operations, default mix', {}],
  [
    'linear geometry: reserve/put/push/pull/trim/cowHead/expandHead with clones',
    { weights: { addFrag: 0, appendFragList: 0, mayPull: 0, linearize: 0, clone: 3, headerRelease: 2 } },
  ],
  [
    'paged data: addFrag/mayPull/linearize/trim with clones and copies',
    { weights: { addFrag: 8, mayPull: 5, linearize: 2, trim: 4, clone: 3, pskbCopy: 2, push: 1, reserve: 1 } },
  ],
  [
    'sharing: headerRelease/clone/setDataPart/push/pull/unshare/storeBits',
    { weights: { headerRelease: 4, clone: 4, push: 6, pull: 4, setDataPart: 2, unshare: 3, storeBits: 3, addFrag: 3, cow: 2 } },
  ],
  [
    'frag_list: appendFragList with pskbCopy/clone and pulls/trims into children',
    {
      weights: { appendFragList: 6, pskbCopy: 3, clone: 3, mayPull: 5, trim: 4, linearize: 2, addFrag: 2 },
      maxLength: 50,
    },
  ],
];

describe('model: random op sequences vs byte-array model', () => {
  for (const [name, opts] of suites) {
    it(`${name} (${RUNS} runs)`, () => {
      const live0 = skbStats().live;
      fc.assert(
        fc.property(arbSkbOps(opts), (ops) => {
          checkSkbOps(ops);
        }),
        { numRuns: RUNS },
      );
      expect(skbStats().live).toBe(live0);
    });
  }
});
