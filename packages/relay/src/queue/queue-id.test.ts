import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createQueueIdGenerator, isQueueId } from './queue-id.js';

describe('queue ids', () => {
  it('are well-formed, unique and sorted in creation order, even if the wall clock steps back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 300 }), (steps) => {
        let t = 1_700_000_000_000;
        const next = createQueueIdGenerator(() => t);
        const ids = steps.map((s) => {
          t += s;
          return next();
        });
        expect(ids.every(isQueueId)).toBe(true);
        expect(new Set(ids).size).toBe(ids.length);
        expect([...ids].sort()).toEqual(ids);
      }),
    );
  });

  it('borrows the next millisecond after 65536 ids in one', () => {
    const next = createQueueIdGenerator(() => 5);
    const ids = Array.from({ length: 70_000 }, next);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(isQueueId('../../etc/passwd')).toBe(false);
  });
});
