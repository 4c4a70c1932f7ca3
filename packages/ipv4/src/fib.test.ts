import { runs } from './test-runs.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fib, FibError } from './fib.js';
import { ipv4, prefixMask } from './wire/addr.js';

describe('Fib', () => {
  it('longest prefix wins, metric breaks ties, delete restores', () => {
    const fib = new Fib<string>();
    fib.add({ prefix: 0, prefixLen: 0, iface: 'eth0', gateway: ipv4('10.0.0.1') });
    fib.add({ prefix: ipv4('10.0.0.0'), prefixLen: 8, iface: 'eth1' });
    fib.add({ prefix: ipv4('10.1.0.0'), prefixLen: 16, iface: 'eth2', metric: 10 });
    fib.add({ prefix: ipv4('10.1.0.0'), prefixLen: 16, iface: 'eth3', metric: 5 });
    expect(fib.lookup(ipv4('10.1.2.3'))?.iface).toBe('eth3');
    expect(fib.lookup(ipv4('10.2.2.3'))?.iface).toBe('eth1');
    expect(fib.lookup(ipv4('8.8.8.8'))?.iface).toBe('eth0');
    const g = fib.genid;
    expect(fib.delete(ipv4('10.1.0.0'), 16, { metric: 5 })).toBe(1);
    expect(fib.genid).toBeGreaterThan(g);
    expect(fib.lookup(ipv4('10.1.2.3'))?.iface).toBe('eth2');
    expect(() => fib.add({ prefix: ipv4('10.1.0.1'), prefixLen: 16, iface: 'x' })).toThrow(FibError);
    expect(() => fib.add({ prefix: ipv4('10.1.0.0'), prefixLen: 16, iface: 'eth2', metric: 10 })).toThrow(FibError);
    expect(fib.size).toBe(3);
  });

  it('matches a linear-scan model on random tables (property)', () => {
    const arbRoute = fc.record({ addr: fc.integer({ min: 0, max: 0xffffffff }), len: fc.integer({ min: 0, max: 32 }), metric: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.array(arbRoute, { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), (routes, probes, dels) => {
        const fib = new Fib<number>();
        const model: Array<{ prefix: number; len: number; metric: number; id: number }> = [];
        routes.forEach((r, id) => {
          const prefix = (r.addr & prefixMask(r.len)) >>> 0;
          try {
            fib.add({ prefix, prefixLen: r.len, iface: id, metric: r.metric });
            model.push({ prefix, len: r.len, metric: r.metric, id });
          } catch (e) {
            expect(e).toBeInstanceOf(FibError);
          }
        });
        for (const d of dels) {
          if (!model.length) break;
          const victim = model[d % model.length]!;
          fib.delete(victim.prefix, victim.len, { iface: victim.id, metric: victim.metric });
          model.splice(model.indexOf(victim), 1);
        }
        expect(fib.size).toBe(model.length);
        for (const p of probes) {
          const cands = model.filter((m) => ((p & prefixMask(m.len)) >>> 0) === m.prefix);
          const bestLen = Math.max(-1, ...cands.map((c) => c.len));
          const best = cands.filter((c) => c.len === bestLen);
          const got = fib.lookup(p);
          expect(got).toBe(fib.lookupSlow(p));
          if (!best.length) expect(got).toBeUndefined();
          else {
            expect(got?.prefixLen).toBe(bestLen);
            expect(got?.metric).toBe(Math.min(...best.map((b) => b.metric)));
          }
        }
      }),
      { numRuns: runs(200) },
    );
  });
});
