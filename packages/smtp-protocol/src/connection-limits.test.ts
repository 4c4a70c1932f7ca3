import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConnectionLimiter } from './connection-limits.js';

describe('ConnectionLimiter', () => {
  it('refuses above the total and per-client limits with 421 4.7.0; ::ffff:a.b.c.d is a.b.c.d', () => {
    const l = new ConnectionLimiter({ maxConnections: 3, maxConnectionsPerClient: 2 });
    expect(l.admit('192.0.2.1', 'mx')).toBeUndefined();
    expect(l.admit('::ffff:192.0.2.1', 'mx')).toBeUndefined();
    expect(l.admit('192.0.2.1', 'mx')).toBe('421 4.7.0 mx Error: too many connections from 192.0.2.1\r\n');
    expect(l.admit('2001:db8::1', 'mx')).toBeUndefined();
    expect(l.admit('2001:db8::2', 'mx')).toBe('421 4.7.0 mx Error: too many connections\r\n');
    l.leave('::ffff:192.0.2.1');
    expect(l.count('192.0.2.1')).toBe(1);
    l.leave('198.51.100.7'); // never admitted: no effect
    expect(l.size).toBe(2);
  });

  it('property: counts never exceed the limits and return to zero after every admitted connection left', () => {
    const addr = fc.constantFrom('10.0.0.1', '10.0.0.2', '::ffff:10.0.0.1', '2001:db8::1');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.tuple(fc.boolean(), addr), { maxLength: 60 }), (max, per, ops) => {
        const l = new ConnectionLimiter({ maxConnections: max, maxConnectionsPerClient: per });
        const live: string[] = [];
        for (const [join, a] of ops) {
          if (join) {
            if (l.admit(a, 'mx') === undefined) live.push(a);
          } else if (live.length > 0) l.leave(live.shift()!);
          expect(l.size).toBe(live.length);
          expect(l.size).toBeLessThanOrEqual(max);
          for (const k of ['10.0.0.1', '10.0.0.2', '2001:db8::1']) expect(l.count(k)).toBeLessThanOrEqual(per);
        }
        for (const a of live) l.leave(a);
        expect(l.size).toBe(0);
        expect(l.count('10.0.0.1')).toBe(0);
      }),
    );
  });
});
