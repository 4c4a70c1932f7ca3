/**
 * fast-check arbitraries for users' property-based tests of their own stacks:
 * impairment profiles, frame streams, TCP segment streams, ring operation
 * interleavings.
 *
 * @module
 */
import fc from 'fast-check';
import type { ImpairmentProfile } from '../impairment.js';
import { buildTcpFrame } from './frames.js';

/** Bounds for {@link arbImpairmentProfile}. */
export interface ImpairmentArbOptions {
  /** Largest loss/duplicate/reorder/corrupt probability (default 0.3). */
  maxProbability?: number;
  /** Largest delay in ms (default 50). */
  maxDelayMs?: number;
  /** Include rate limits (default true). */
  rate?: boolean;
  /** Include MTU clamps (default false: they drop whole classes of frames). */
  mtu?: boolean;
}

/** Random impairment profiles (each field present or absent). */
export function arbImpairmentProfile(opts: ImpairmentArbOptions = {}): fc.Arbitrary<ImpairmentProfile> {
  const p = opts.maxProbability ?? 0.3;
  const d = opts.maxDelayMs ?? 50;
  const prob = fc.double({ min: 0, max: p, noNaN: true });
  return fc.record(
    {
      seed: fc.integer(),
      loss: prob,
      duplicate: prob,
      reorder: prob,
      corrupt: prob,
      delayMs: fc.double({ min: 0, max: d, noNaN: true }),
      jitterMs: fc.double({ min: 0, max: d / 5, noNaN: true }),
      ...(opts.rate === false ? {} : { rateBps: fc.integer({ min: 1_000_000, max: 10_000_000_000 }) }),
      ...(opts.mtu ? { mtu: fc.integer({ min: 576, max: 9000 }) } : {}),
    },
    { requiredKeys: ['seed'] },
  ) as fc.Arbitrary<ImpairmentProfile>;
}

/** Random raw frames (bytes), lengths in [minLen, maxLen]. */
export function arbFrame(opts: { minLen?: number; maxLen?: number } = {}): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: opts.minLen ?? 14, maxLength: opts.maxLen ?? 1514 });
}

/** A stream of frames, each tagged with a sequence number in its first 4 bytes (for order checks). */
export function arbFrameStream(
  opts: { minLen?: number; maxLen?: number; maxFrames?: number } = {},
): fc.Arbitrary<Uint8Array[]> {
  const minLen = Math.max(4, opts.minLen ?? 60);
  return fc
    .array(fc.integer({ min: minLen, max: opts.maxLen ?? 1514 }), { maxLength: opts.maxFrames ?? 200 })
    .map((lens) =>
      lens.map((len, i) => {
        const f = new Uint8Array(len);
        new DataView(f.buffer).setUint32(0, i);
        for (let k = 4; k < len; k++) f[k] = (i * 31 + k) & 0xff;
        return f;
      }),
    );
}

/** An in-order TCP segment stream of one flow (Ethernet frames with valid checksums). */
export function arbTcpSegmentStream(
  opts: { maxSegments?: number; maxPayload?: number } = {},
): fc.Arbitrary<Uint8Array[]> {
  return fc
    .record({
      isn: fc.integer({ min: 0, max: 0xffffffff }),
      sizes: fc.array(fc.integer({ min: 1, max: opts.maxPayload ?? 1460 }), {
        minLength: 1,
        maxLength: opts.maxSegments ?? 40,
      }),
      sport: fc.integer({ min: 1024, max: 65535 }),
    })
    .map(({ isn, sizes, sport }) => {
      let seq = isn;
      return sizes.map((n, i) => {
        const payload = new Uint8Array(n);
        for (let k = 0; k < n; k++) payload[k] = (seq + k) & 0xff;
        const f = buildTcpFrame({ seq, sport, payload, id: i });
        seq = (seq + n) >>> 0;
        return f;
      });
    });
}

/** One operation on a ring: produce a batch of `n`, or consume up to `n`. */
export type RingOp = { op: 'produce'; n: number } | { op: 'consume'; n: number };

/** Random interleavings of batch produce/consume operations. */
export function arbRingOps(opts: { maxBatch?: number; maxOps?: number } = {}): fc.Arbitrary<RingOp[]> {
  const n = fc.integer({ min: 0, max: opts.maxBatch ?? 64 });
  return fc.array(
    fc.oneof(
      n.map((k) => ({ op: 'produce' as const, n: k })),
      n.map((k) => ({ op: 'consume' as const, n: k })),
    ),
    { maxLength: opts.maxOps ?? 200 },
  );
}
