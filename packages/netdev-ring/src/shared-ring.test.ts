import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SharedRing } from './shared-ring.js';
import { isNetdevError } from './errors.js';
import { runWorker as runWorkerBounded } from '../test/run-worker.js';

const workerUrl = new URL('../test/shared-ring-worker.mjs', import.meta.url);
const modulePath = pathToFileURL(fileURLToPath(new URL('./shared-ring.ts', import.meta.url))).href;

interface WorkerResult {
  role: string;
  done: number;
  bad?: number;
  firstBad?: string;
  waits?: number;
}

function runWorker(data: Record<string, unknown>): Promise<WorkerResult> {
  return runWorkerBounded<WorkerResult>(workerUrl, { workerData: { modulePath, ...data } }, 30_000);
}

function frame(i: number, len: number): Uint8Array {
  const f = new Uint8Array(Math.max(4, len));
  new DataView(f.buffer).setUint32(0, i, true);
  for (let k = 4; k < f.length; k++) f[k] = (i + k) & 0xff;
  return f;
}

describe('SharedRing (one thread)', () => {
  it('round-trips frames of varied lengths, wrapping many times', () => {
    const r = SharedRing.create({ byteCapacity: 256 });
    let next = 0;
    let seen = 0;
    for (let round = 0; round < 500; round++) {
      const batch = Array.from({ length: 1 + (round % 5) }, (_, k) => frame(next + k, (round * 7 + k * 13) % 60));
      const n = r.produceBatch(batch);
      next += n;
      for (const f of r.consumeBatch(1 + (round % 3))) {
        expect(new DataView(f.buffer).getUint32(0, true)).toBe(seen++);
      }
    }
    for (const f of r.consumeBatch(1000)) expect(new DataView(f.buffer).getUint32(0, true)).toBe(seen++);
    expect(seen).toBe(next);
    expect(r.isEmpty).toBe(true);
    expect(r.stats()).toMatchObject({ produced: next, consumed: next });
  });

  it('property: never loses, duplicates or reorders under random interleavings', () => {
    const arbOp = fc.oneof(
      fc.record({ p: fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 12 }) }),
      fc.record({ c: fc.integer({ min: 0, max: 12 }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(64, 128, 512, 4096), fc.boolean(), fc.array(arbOp, { maxLength: 120 }), (cap, sup, ops) => {
        const r = SharedRing.create({ byteCapacity: cap, suppressNotifications: sup });
        let next = 0;
        let seen = 0;
        const lens = new Map<number, number>();
        for (const op of ops) {
          if ('p' in op) {
            const fs = op.p.map((len, k) => frame(next + k, Math.min(len, r.maxFrame)));
            const n = r.produceBatch(fs);
            fs.slice(0, n).forEach((f, k) => lens.set(next + k, f.length));
            next += n;
          } else {
            r.consumeWith(op.c, (f) => {
              const seq = new DataView(f.buffer, f.byteOffset).getUint32(0, true);
              expect(seq).toBe(seen);
              expect(f.length).toBe(lens.get(seq));
              for (let k = 4; k < f.length; k++) expect(f[k]).toBe((seq + k) & 0xff);
              seen++;
            });
          }
        }
        r.consumeWith(1e9, () => void seen++);
        expect(seen).toBe(next);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a frame that can never fit with a typed error, and full rings with false', () => {
    const r = SharedRing.create({ byteCapacity: 256 });
    let err: unknown;
    try {
      r.produce(new Uint8Array(r.maxFrame + 1));
    } catch (e) {
      err = e;
    }
    expect(isNetdevError(err) && err.code).toBe('ERR_RING_FRAME_TOO_LARGE');
    let ok = 0;
    while (r.produce(new Uint8Array(20))) ok++;
    expect(ok).toBe(10); // 10 × 24-byte records; the 11th would need the 16-byte tail plus 24
    expect(r.stats().full).toBe(1);
    expect(() => SharedRing.attach(new SharedArrayBuffer(1024))).toThrow(/SharedRing/);
  });

  it('rings the doorbell only when armed with suppression, every publish without', () => {
    const sup = SharedRing.create({ byteCapacity: 1 << 12 });
    const nosup = SharedRing.create({ byteCapacity: 1 << 12, suppressNotifications: false });
    for (const r of [sup, nosup]) {
      for (let i = 0; i < 10; i++) r.produce(new Uint8Array(8));
      r.consumeBatch(100);
      expect(r.armDoorbell()).toBe(true);
      r.produce(new Uint8Array(8)); // consumer armed: rings
      r.produce(new Uint8Array(8)); // disarmed by the ring
    }
    expect(sup.stats()).toMatchObject({ doorbells: 1, suppressed: 11 });
    expect(nosup.stats()).toMatchObject({ doorbells: 12, suppressed: 0 });
    // armDoorbell refuses when data is waiting
    expect(sup.armDoorbell()).toBe(false);
    expect(sup.waitForData(0)).toBe('ready');
    sup.consumeBatch(10);
    expect(sup.waitForData(1)).toBe('timed-out');
  });

  it('waitForDataAsync resolves when the producer publishes', async () => {
    const r = SharedRing.create({ byteCapacity: 1 << 12 });
    const p = r.waitForDataAsync(5000);
    setTimeout(() => r.produce(new Uint8Array([1, 2, 3])), 5);
    expect(await p).toBe('ready');
    expect(r.stats().doorbells).toBe(1);
  });
});

describe('SharedRing across worker threads', () => {
  it('worker → main: no loss, duplication or reordering (property over seeds and sizes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.constantFrom(256, 4096, 65536),
        fc.boolean(),
        fc.integer({ min: 1, max: 64 }),
        async (seed, cap, sup, maxBatch) => {
          const ring = SharedRing.create({ byteCapacity: cap, suppressNotifications: sup });
          const count = process.env.NETLAYERS_SLOW ? 200_000 : 20_000;
          const maxLen = Math.min(200, ring.maxFrame);
          const [p, c] = await Promise.all([
            runWorker({ role: 'produce', buffer: ring.buffer, count, seed, maxBatch, maxLen, deadlineMs: 20_000 }),
            runWorker({ role: 'consume', buffer: ring.buffer, count, seed: seed ^ 0x5555, maxBatch, maxLen, deadlineMs: 20_000 }),
          ]);
          expect(p.done).toBe(count);
          expect(c.firstBad).toBe('');
          expect(c.bad).toBe(0);
          expect(c.done).toBe(count);
          expect(ring.isEmpty).toBe(true);
          const s = ring.stats();
          expect(s.produced).toBe(count);
          expect(s.consumed).toBe(count);
        },
      ),
      { numRuns: 6 },
    );
  });
});
