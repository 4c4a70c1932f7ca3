// BodyChannel: order, bound, failure and early close.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyChannel } from '../src/inbound/body-channel.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('BodyChannel', () => {
  it('delivers every chunk in order and never buffers more than maxBytes plus one chunk', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 40 }), fc.integer({ min: 1, max: 20_000 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), async (sizes, max, slow) => {
        const ch = new BodyChannel(max);
        const chunks = sizes.map((n, i) => new Uint8Array(n).fill(i & 0xff));
        let peak = 0;
        const producer = (async () => {
          for (const c of chunks) {
            const p = ch.push(c);
            peak = Math.max(peak, ch.bufferedBytes);
            await p;
          }
          ch.end();
        })();
        const got: Uint8Array[] = [];
        let i = 0;
        for await (const c of ch) {
          got.push(c);
          if (slow[i++ % slow.length]) await tick();
        }
        await producer;
        expect(got).toEqual(chunks);
        expect(peak).toBeLessThanOrEqual(max + Math.max(0, ...sizes));
      }),
      { numRuns: 60 },
    );
  });

  it('fail() makes the consumer throw and releases a waiting producer', async () => {
    const ch = new BodyChannel(10);
    const p = ch.push(new Uint8Array(100)); // over the bound: waits
    const boom = new Error('size');
    const it = ch[Symbol.asyncIterator]();
    ch.fail(boom);
    await p;
    await expect(it.next()).rejects.toBe(boom);
  });

  it('a consumer that stops early drops later pushes at once', async () => {
    const ch = new BodyChannel(10);
    void ch.push(new Uint8Array(5));
    for await (const c of ch) {
      expect(c.length).toBe(5);
      break;
    }
    await ch.push(new Uint8Array(1000)); // resolves: nobody reads any more
    expect(ch.pushed).toBe(5);
  });
});
