import { runs } from './test-runs.js';
import { allocSkb } from '@netlayers/skbuff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Netfilter, NfHook, NfVerdict, type NfVerdict as V } from './netfilter.js';

describe('Netfilter (property)', () => {
  it('chains run in (priority, registration) order and stop at the first non-ACCEPT verdict; unregister removes exactly one hook', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ prio: fc.integer({ min: -3, max: 3 }), verdict: fc.constantFrom<V>(NfVerdict.ACCEPT, NfVerdict.ACCEPT, NfVerdict.DROP, NfVerdict.STOLEN), hook: fc.constantFrom(NfHook.PRE_ROUTING, NfHook.LOCAL_IN) }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (specs, removals) => {
          const nf = new Netfilter();
          const calls: number[] = [];
          const offs = specs.map((s, i) => nf.register(s.hook, () => (calls.push(i), s.verdict), s.prio));
          const removed = new Set<number>();
          for (const r of removals) if (specs.length) {
            const i = r % specs.length;
            offs[i]!();
            removed.add(i);
          }
          const skb = allocSkb(64);
          for (const hook of [NfHook.PRE_ROUTING, NfHook.LOCAL_IN]) {
            calls.length = 0;
            const v = nf.run(hook, skb, undefined, undefined);
            const chain = specs.map((s, i) => ({ ...s, i })).filter((s) => s.hook === hook && !removed.has(s.i)).sort((a, b) => a.prio - b.prio || a.i - b.i);
            const stop = chain.findIndex((c) => c.verdict !== NfVerdict.ACCEPT);
            const expectCalls = (stop < 0 ? chain : chain.slice(0, stop + 1)).map((c) => c.i);
            expect(calls).toEqual(expectCalls);
            expect(v).toBe(stop < 0 ? NfVerdict.ACCEPT : chain[stop]!.verdict);
          }
          skb.free();
        },
      ),
      { numRuns: runs(300) },
    );
  });
});
