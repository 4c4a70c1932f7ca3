import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConnTable, type ConnEntry, type ListenEntry } from './conn-table.js';

interface E extends ConnEntry {
  id: number;
}

describe('ConnTable', () => {
  it('behaves like a Map keyed by the 4-tuple (model test)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ op: fc.constantFrom('ins', 'del', 'get'), l: fc.integer({ min: 0, max: 3 }), lp: fc.integer({ min: 1, max: 5 }), r: fc.integer({ min: 0, max: 3 }), rp: fc.integer({ min: 1, max: 5 }) }), { maxLength: 300 }),
        (ops) => {
          const t = new ConnTable<E, ListenEntry>({ seed: 1 });
          const model = new Map<string, E>();
          let id = 0;
          for (const o of ops) {
            const k = `${o.l}:${o.lp}:${o.r}:${o.rp}`;
            if (o.op === 'ins') {
              const e: E = { laddr: o.l, lport: o.lp, raddr: o.r, rport: o.rp, hashNext: null, id: id++ };
              expect(t.insert(e)).toBe(!model.has(k));
              if (!model.has(k)) model.set(k, e);
            } else if (o.op === 'del') {
              const e = model.get(k);
              if (e !== undefined) {
                expect(t.remove(e)).toBe(true);
                model.delete(k);
              }
            } else {
              expect(t.lookup(o.l, o.lp, o.r, o.rp)).toBe(model.get(k));
            }
            expect(t.size).toBe(model.size);
          }
        },
      ),
      { numRuns: 200, seed: 3 },
    );
  });

  it('keeps chains short for 100k connections from one client (keyed hash)', () => {
    const t = new ConnTable<E, ListenEntry>();
    for (let i = 0; i < 100_000; i++) t.insert({ laddr: 0x0a000001, lport: 80, raddr: 0x0a000002 + (i >>> 16), rport: (i & 0xffff) + 1, hashNext: null, id: i });
    expect(t.size).toBe(100_000);
    expect(t.maxChain()).toBeLessThan(16);
  });

  it('listeners: exact address wins over wildcard; ephemeral ports are unique', () => {
    const t = new ConnTable<E, ListenEntry>({ seed: 2, portRange: [40000, 40009] });
    const w = { laddr: 0, lport: 80 };
    const x = { laddr: 7, lport: 80 };
    t.addListener(w);
    t.addListener(x);
    expect(t.lookupListener(7, 80)).toBe(x);
    expect(t.lookupListener(8, 80)).toBe(w);
    const ports = new Set<number>();
    for (let i = 0; i < 10; i++) {
      const p = t.allocEphemeral(1, 2, 3)!;
      t.bindPort(p);
      ports.add(p);
    }
    expect(ports.size).toBe(10);
    expect(t.allocEphemeral(1, 2, 3)).toBeUndefined();
  });
});
