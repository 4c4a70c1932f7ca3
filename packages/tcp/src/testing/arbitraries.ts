/**
 * fast-check arbitraries for TCP: segments (`TcpRepr` + payload), option lists,
 * connection scripts (write / pause / read-pause / shutdown / close sequences
 * per side) and impairment schedules — for users' property-based tests.
 *
 * @module
 */

import fc from 'fast-check';
import type { ImpairmentProfile } from '@netlayers/netdev-ring';
import { TcpRepr, type TcpOptions } from '../wire/tcp.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 1, max: 65535 });

/** Valid TCP option sets (every field optional; at most 3 SACK blocks with timestamps, 4 without). */
export function arbTcpOptions(): fc.Arbitrary<TcpOptions> {
  return fc
    .record(
      {
        mss: fc.integer({ min: 0, max: 65535 }),
        windowScale: fc.integer({ min: 0, max: 14 }),
        sackPermitted: fc.constant(true),
        timestamps: fc.record({ tsval: u32, tsecr: u32 }),
        sack: fc.array(fc.record({ left: u32, right: u32 }), { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: [] },
    )
    .filter((o) => new TcpRepr({ options: o }).headerLen() <= 60);
}

/** A TCP header repr with valid options and a payload. */
export function arbTcpSegment(maxPayload = 256): fc.Arbitrary<{ repr: TcpRepr; payload: Uint8Array }> {
  return fc
    .record({
      srcPort: port,
      dstPort: port,
      seq: u32,
      ack: u32,
      flags: fc.integer({ min: 0, max: 255 }).filter((f) => (f & 0x02) === 0 || (f & 0x05) === 0),
      window: fc.integer({ min: 0, max: 65535 }),
      urgentPtr: fc.integer({ min: 0, max: 65535 }),
      options: arbTcpOptions(),
      payload: fc.uint8Array({ maxLength: maxPayload }),
    })
    .map(({ payload, ...r }) => ({ repr: new TcpRepr({ ...r, payloadLen: payload.length }), payload }));
}

/** One step of a connection script. */
export type ScriptOp =
  | { op: 'write'; size: number }
  | { op: 'pause'; ms: number }
  | { op: 'readPause'; ms: number }
  | { op: 'shutdown' }
  | { op: 'close' };

/**
 * A script for one side of a connection: writes of random sizes with pauses and
 * reader stalls, ending with `shutdown` (half-close) or `close`.
 */
export function arbConnectionScript(opts: { maxWrites?: number; maxWrite?: number } = {}): fc.Arbitrary<ScriptOp[]> {
  const step: fc.Arbitrary<ScriptOp> = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max: opts.maxWrite ?? 65536 }).map((size) => ({ op: 'write' as const, size })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 500 }).map((ms) => ({ op: 'pause' as const, ms })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2000 }).map((ms) => ({ op: 'readPause' as const, ms })) },
  );
  return fc
    .tuple(fc.array(step, { maxLength: opts.maxWrites ?? 12 }), fc.constantFrom<ScriptOp>({ op: 'shutdown' }, { op: 'close' }))
    .map(([s, end]) => [...s, end]);
}

/** Impairment schedules for a DevicePair (loss ≤ `maxLoss`, default 0.2). */
export function arbImpairment(opts: { maxLoss?: number } = {}): fc.Arbitrary<ImpairmentProfile> {
  // Rates drawn uniformly in per-mille steps (fc.double is biased towards tiny values).
  const rate = (max: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: Math.round(max * 1000) }).map((x) => x / 1000);
  return fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    loss: rate(opts.maxLoss ?? 0.2),
    duplicate: rate(0.05),
    reorder: rate(0.1),
    reorderGapMs: fc.integer({ min: 1, max: 20 }),
    delayMs: fc.integer({ min: 0, max: 20 }),
    jitterMs: fc.integer({ min: 0, max: 5 }),
    corrupt: rate(0.02),
  });
}
