/**
 * Property tests of every built-in module under random ACK/RTT/loss/RTO
 * sequences (fast-check): ssthresh is always ≥ 2 MSS, cwnd after a loss
 * reduction is ≥ 2 MSS, cwnd and ssthresh are always finite positive integers
 * (no NaN from an RTT of 0, an idle gap or a window of one segment), and
 * `undoCwnd` never returns less than the current cwnd.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cubicCongestionOps } from '../src/cong/cubic.js';
import { renoCongestionOps } from '../src/cong/reno.js';
import { vegasCongestionOps } from '../src/cong/vegas.js';
import type { CongestionOps } from '../src/cong/ops.js';
import { MSS, SimSock } from './helpers/cong-sim.js';

type Ev =
  | { kind: 'round'; rtt: number; perAck: number; sample: boolean }
  | { kind: 'loss' }
  | { kind: 'rto' }
  | { kind: 'idle'; ms: number }
  | { kind: 'disorder' };

const arbEv: fc.Arbitrary<Ev> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('round' as const), rtt: fc.integer({ min: 0, max: 400 }), perAck: fc.integer({ min: 1, max: 4 }), sample: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'loss' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'rto' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('idle' as const), ms: fc.integer({ min: 0, max: 60_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'disorder' as const }) },
);

function sane(s: SimSock): void {
  for (const v of [s.sndCwnd, s.sndSsthresh]) {
    expect(Number.isInteger(v)).toBe(true);
    expect(v).toBeGreaterThan(0);
  }
}

describe.each<[string, CongestionOps]>([
  ['reno', renoCongestionOps],
  ['cubic', cubicCongestionOps],
  ['vegas', vegasCongestionOps],
])('%s properties', (_name, ops) => {
  it('ssthresh ≥ 2 MSS, cwnd ≥ 2 MSS after a loss, finite integers, undo never shrinks cwnd', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.array(arbEv, { minLength: 1, maxLength: 60 }), (initSegs, evs) => {
        const s = new SimSock(ops);
        s.sndCwnd = initSegs * MSS;
        for (const ev of evs) {
          if (s.sndCwnd > 20_000 * MSS) break; // keep rounds cheap
          switch (ev.kind) {
            case 'round':
              s.roundTrip(ev.rtt, ev.perAck, ev.sample ? ev.rtt : -1);
              break;
            case 'loss': {
              s.loss();
              expect(s.sndSsthresh).toBeGreaterThanOrEqual(2 * MSS);
              expect(s.sndCwnd).toBeGreaterThanOrEqual(2 * MSS);
              const undo = ops.undoCwnd?.(s);
              if (undo !== undefined) expect(undo).toBeGreaterThanOrEqual(s.sndCwnd);
              break;
            }
            case 'rto':
              s.rto();
              expect(s.sndSsthresh).toBeGreaterThanOrEqual(2 * MSS);
              break;
            case 'idle':
              s.lastSendTime = s.now;
              s.now += ev.ms;
              ops.cwndEvent?.(s, 'tx-start');
              break;
            case 'disorder':
              s.setCaState(1);
              s.roundTrip(20);
              s.setCaState(0);
              break;
          }
          sane(s);
        }
      }),
      { numRuns: 300 },
    );
  });
});
