import { runs } from './test-runs.js';
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, skbStats, type SkBuff } from '@netlayers/skbuff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NeighTable, type NudState } from './neighbour.js';
import { ArpMib } from './snmp.js';
import { ArpOperation, ArpRepr } from './wire/arp.js';
import { MAC_BROADCAST, macEquals } from './wire/addr.js';

const OUR = 0xc6120001;
const macOf = (ip: number, v = 0) => new Uint8Array([2, 0, v, 0, ip >> 8, ip & 0xff]);

/** Allowed NUD transitions (Linux neigh_update / neigh_timer_handler / __neigh_event_send). */
const ALLOWED: Record<NudState, NudState[]> = {
  INCOMPLETE: ['REACHABLE', 'STALE', 'FAILED'],
  REACHABLE: ['STALE', 'REACHABLE'],
  STALE: ['DELAY', 'REACHABLE', 'STALE'],
  DELAY: ['REACHABLE', 'PROBE', 'STALE'],
  PROBE: ['REACHABLE', 'FAILED', 'STALE'],
  FAILED: ['INCOMPLETE', 'REACHABLE', 'STALE'],
  PERMANENT: [],
  NOARP: [],
};

/** States reachable in any number of timer steps (time events may chain DELAY → PROBE → FAILED). */
function closure(from: NudState): NudState[] {
  const seen = new Set<NudState>([from]);
  const todo = [from];
  while (todo.length) for (const n of ALLOWED[todo.pop()!]) if (!seen.has(n)) (seen.add(n), todo.push(n));
  return [...seen];
}

type Ev =
  | { k: 'out'; ip: number }
  | { k: 'reply'; ip: number; v: number }
  | { k: 'req'; ip: number; v: number }
  | { k: 'garp'; ip: number; v: number }
  | { k: 'confirm'; ip: number }
  | { k: 'time'; ms: number };

const arbEv: fc.Arbitrary<Ev> = fc.oneof(
  fc.record({ k: fc.constant('out' as const), ip: fc.integer({ min: 2, max: 9 }) }),
  fc.record({ k: fc.constant('reply' as const), ip: fc.integer({ min: 2, max: 9 }), v: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ k: fc.constant('req' as const), ip: fc.integer({ min: 2, max: 9 }), v: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ k: fc.constant('garp' as const), ip: fc.integer({ min: 2, max: 9 }), v: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ k: fc.constant('confirm' as const), ip: fc.integer({ min: 2, max: 9 }) }),
  fc.record({ k: fc.constant('time' as const), ms: fc.integer({ min: 1, max: 20_000 }) }),
);

describe('NeighTable (property)', () => {
  it('random ARP traffic, output and time: legal transitions, bounded queues/table, packets sent only with the MAC last learned, nothing leaks', () => {
    const live0 = skbStats().live;
    fc.assert(
      fc.property(fc.array(arbEv, { maxLength: 120 }), (events) => {
        const clock = new VirtualClock();
        const mib = new ArpMib();
        const sent: Array<{ ip: number; mac: Uint8Array }> = [];
        let failed = 0;
        let requests = 0;
        const t = new NeighTable(
          {
            localAddr: () => OUR,
            sendArpRequest: () => void requests++,
            xmitTo: (skb: SkBuff, mac) => {
              sent.push({ ip: skb.cb[0]!, mac: mac.slice() });
              skb.free();
            },
            resolutionFailed: (skb) => {
              failed++;
              skb.free();
            },
          },
          clock,
          mib,
          { unresQlen: 3, maxEntries: 6 },
        );
        const lastMac = new Map<number, Uint8Array>();
        const prev = new Map<number, NudState>();
        const check = (multiStep: boolean) => {
          expect(t.size).toBeLessThanOrEqual(6);
          for (const n of t.list()) {
            expect(n.queue.length).toBeLessThanOrEqual(3);
            if (n.state !== 'INCOMPLETE' && n.state !== 'FAILED') expect(n.queue.length).toBe(0);
            const p = prev.get(n.ip);
            if (p !== undefined && p !== n.state) expect(multiStep ? closure(p) : ALLOWED[p], `${p} → ${n.state}`).toContain(n.state);
            prev.set(n.ip, n.state);
          }
          for (const ip of [...prev.keys()]) if (!t.lookup(ip)) prev.delete(ip);
        };
        for (const e of events) {
          const base = 0xc6120000;
          const before = sent.length;
          switch (e.k) {
            case 'out': {
              const skb = allocSkb(64);
              skb.cb[0] = base + e.ip;
              t.output(skb, base + e.ip);
              break;
            }
            case 'reply':
            case 'req':
            case 'garp': {
              const ip = base + e.ip;
              const m = macOf(e.ip, e.v);
              const op = e.k === 'reply' ? ArpOperation.REPLY : ArpOperation.REQUEST;
              const tpa = e.k === 'garp' ? ip : OUR;
              const had = t.lookup(ip);
              t.arpInput(new ArpRepr(op, m, ip, e.k === 'reply' ? macOf(1) : new Uint8Array(6), tpa), e.k !== 'garp');
              if (t.lookup(ip) && (e.k !== 'garp' || had)) lastMac.set(ip, m);
              break;
            }
            case 'confirm':
              t.confirm(base + e.ip);
              break;
            case 'time':
              clock.advance(e.ms);
              break;
          }
          // Every frame sent after this event went to the MAC most recently learned for its IP.
          for (const s of sent.slice(before)) {
            const m = lastMac.get(s.ip);
            expect(m).toBeDefined();
            expect(macEquals(s.mac, m!)).toBe(true);
            expect(macEquals(s.mac, MAC_BROADCAST)).toBe(false);
          }
          check(e.k === 'time');
        }
        t.flush();
        expect(t.size).toBe(0);
        void failed;
        void requests;
      }),
      { numRuns: runs(300) },
    );
    expect(skbStats().live).toBe(live0);
  });
});
