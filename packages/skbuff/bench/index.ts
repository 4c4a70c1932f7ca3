/**
 * `npm run bench -w @netlayers/skbuff` — micro-benchmarks on the shared harness
 * (scripts/bench-harness): every group's cases run side by side in alternating
 * rounds; median, min–max and IQR of the rounds, per-round ratios.
 *
 * 1. alloc + reserve + put + push + free cycles/s: pooled skbs vs fresh
 *    `Buffer.alloc` / `Buffer.allocUnsafe` / `Uint8Array` buffers doing the
 *    same pointer work;
 * 2. clone (+free), pskbCopy, copy, and the bytes each copies (copy meter);
 * 3. checksum GB/s (`csumPartial`, `skbChecksum`) next to `Buffer.copy` GB/s,
 *    for a 64 MiB buffer and for 1460-byte chunks; each checksum is checked
 *    against a plain 16-bit one's-complement sum, each copy against its source;
 * 4. SkbQueue enqueue/dequeue (every skb comes back, in order).
 *
 * Ends with no skb live. `--quick` / `NETLAYERS_BENCH_QUICK=1` shortens rounds.
 */
import { BenchReport, benchConfig, compare, loopCase, verify } from '../../../scripts/bench-harness/index.js';
import {
  allocSkb,
  copyStatsDelta,
  csumFold16,
  csumPartial,
  PagePool,
  SkbPool,
  SkbQueue,
  skbChecksum,
  skbStats,
  type SkBuff,
} from '../src/index.js';
import { skbFromChunks } from '../src/testing/index.js';

const cfg = benchConfig();
const report = new BenchReport('skbuff', cfg);
const M = { unit: 'M/s', scale: 1e-6 };
const GB = { unit: 'GB/s', scale: 1e-9 };
const live0 = skbStats().live;

let sink = 0;

// ---------------------------------------------------------------- 1. cycles
const SIZE = 2048;
const HEADROOM = 128;
const PAYLOAD = 1460;
const HDRS = 54;
const pool = new SkbPool();
{
  const s = allocSkb(SIZE, { pool });
  s.free();
}
const pooledViewsFn = (n: number): void => {
  for (let i = 0; i < n; i++) {
    const skb = allocSkb(SIZE, { pool });
    skb.reserve(HEADROOM);
    const p = skb.put(PAYLOAD);
    const h = skb.push(HDRS);
    sink += p.length + h.length;
    skb.free();
  }
};
const pooledOffFn = (n: number): void => {
  for (let i = 0; i < n; i++) {
    const skb = allocSkb(SIZE, { pool });
    skb.reserve(HEADROOM);
    sink += skb.putOff(PAYLOAD);
    sink += skb.pushOff(HDRS);
    skb.free();
  }
};
// Fresh buffers doing the same pointer work on a plain head object.
interface PlainHead {
  buf: Buffer;
  data: number;
  tail: number;
  end: number;
  len: number;
}
function plainCycle(n: number, alloc: (size: number) => Buffer): void {
  for (let i = 0; i < n; i++) {
    const h: PlainHead = { buf: alloc(SIZE), data: 0, tail: 0, end: SIZE, len: 0 };
    h.data += HEADROOM;
    h.tail += HEADROOM;
    if (h.tail + PAYLOAD > h.end) throw new RangeError('over');
    const p = h.buf.subarray(h.tail, h.tail + PAYLOAD);
    h.tail += PAYLOAD;
    h.len += PAYLOAD;
    if (h.data - HDRS < 0) throw new RangeError('under');
    h.data -= HDRS;
    h.len += HDRS;
    const q = h.buf.subarray(h.data, h.data + HDRS);
    sink += p.length + q.length;
  }
}
report.group(
  await compare(
    'alloc + reserve + put + push + free cycle (2 KiB buffer)',
    [
      loopCase('pooled skb (views)', pooledViewsFn, cfg),
      loopCase('pooled skb (putOff/pushOff, zero garbage)', pooledOffFn, cfg),
      loopCase('fresh Buffer.alloc(2048)', (n) => plainCycle(n, Buffer.alloc), cfg),
      loopCase('fresh Buffer.allocUnsafe(2048)', (n) => plainCycle(n, Buffer.allocUnsafe), cfg),
      loopCase('fresh new Uint8Array(2048)', (n) => plainCycle(n, (sz) => new Uint8Array(sz) as Buffer), cfg),
    ],
    cfg,
    { ...M, baseline: 'fresh Buffer.alloc(2048)' },
  ),
);
report.check('pool has no skb live after the cycles', pool.stats().live === 0, `${pool.stats().live} live`);

// ---------------------------------------------------------------- 2. clone/copy
{
  const base = allocSkb(SIZE, { pool });
  base.reserve(HEADROOM);
  base.put(PAYLOAD).fill(7);
  report.group(
    await compare(
      'clone / pskbCopy / copy + free of a 1460-byte skb',
      [
        loopCase('clone() + free()', (n) => {
          for (let i = 0; i < n; i++) base.clone().free();
        }, cfg),
        loopCase('pskbCopy() + free() (linear 2 KiB)', (n) => {
          for (let i = 0; i < n; i++) base.pskbCopy().free();
        }, cfg),
        loopCase('copy() + free()', (n) => {
          for (let i = 0; i < n; i++) base.copy().free();
        }, cfg),
      ],
      cfg,
      M,
    ),
  );
  // What each one copies, read from the copy meter (skbStats().bytesCopied diffs).
  const perOp = (fn: () => SkBuff): number => {
    const before = skbStats();
    for (let i = 0; i < 100; i++) {
      const c = fn();
      verify(c.len === PAYLOAD && c.buf[c.data] === 7, 'clone/copy lost the payload');
      c.free();
    }
    return copyStatsDelta(before, skbStats()).bytesCopied / 100;
  };
  report.value('bytes copied per clone()', perOp(() => base.clone()), 'B');
  report.value('bytes copied per pskbCopy()', perOp(() => base.pskbCopy()), 'B');
  report.value('bytes copied per copy()', perOp(() => base.copy()), 'B');
  base.free();
}

// ---------------------------------------------------------------- 3. checksum
/** Reference: the RFC 1071 sum of 16-bit big-endian words, folded to 16 bits. */
function referenceSum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let j = off; j + 1 < off + len; j += 2) s += (b[j]! << 8) | b[j + 1]!;
  if (len & 1) s += b[off + len - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}
{
  const BIG = 64 * 1024 * 1024;
  const src = new Uint8Array(BIG);
  for (let i = 0; i < BIG; i++) src[i] = (i * 131 + (i >>> 9)) & 0xff;
  const dst = Buffer.alloc(BIG);
  const srcB = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
  report.group(
    await compare(
      'checksum vs memcpy, one 64 MiB buffer',
      [
        loopCase('csumPartial', (n) => {
          for (let i = 0; i < n; i++) sink += csumPartial(src, 0, BIG, 0);
        }, cfg, BIG),
        loopCase('Buffer.copy', (n) => {
          for (let i = 0; i < n; i++) sink += srcB.copy(dst, 0, 0, BIG);
        }, cfg, BIG),
      ],
      cfg,
      { ...GB, baseline: 'Buffer.copy' },
    ),
  );
  report.check('csumPartial(64 MiB) = reference sum', csumFold16(csumPartial(src, 0, BIG, 0)) === referenceSum(src, 0, BIG));
  report.check('Buffer.copy(64 MiB) copied every byte', srcB.equals(dst));

  // 1460-byte chunks spread over the 64 MiB (cache-cold-ish), odd and even offsets.
  const CH = 1460;
  report.group(
    await compare(
      'checksum vs memcpy, 1460-byte chunks at odd and even offsets',
      [
        loopCase('csumPartial', (n) => {
          for (let i = 0, o = 0; i < n; i++) {
            sink += csumPartial(src, o, CH, 0);
            o += CH + (i & 1);
            if (o + CH > BIG) o = 0;
          }
        }, cfg, CH),
        loopCase('Buffer.copy', (n) => {
          for (let i = 0, o = 0; i < n; i++) {
            sink += srcB.copy(dst, o, o, o + CH);
            o += CH + (i & 1);
            if (o + CH > BIG) o = 0;
          }
        }, cfg, CH),
        loopCase('naive u8-pair sum (reference)', (n) => {
          for (let i = 0, o = 0; i < n; i++) {
            let s = 0;
            for (let j = o; j + 1 < o + CH; j += 2) s += (src[j]! << 8) | src[j + 1]!;
            sink += s;
            o += CH;
            if (o + CH > BIG) o = 0;
          }
        }, cfg, CH),
      ],
      cfg,
      { ...GB, baseline: 'Buffer.copy' },
    ),
  );
  let chunksOk = true;
  for (let o = 0; o + CH <= 1 << 20; o += CH + 1) if (csumFold16(csumPartial(src, o, CH, 0)) !== referenceSum(src, o, CH)) chunksOk = false;
  report.check('csumPartial(1460 B chunks, odd offsets) = reference sum', chunksOk);

  // skbChecksum over a 64 KiB nonlinear skb: 1 KiB linear + 15 x 4 KiB page frags.
  const pp = new PagePool({ pageSize: 4096 });
  const chunks = [src.subarray(0, 1024)];
  for (let i = 0; i < 15; i++) chunks.push(src.subarray(1024 + i * 4096, 1024 + (i + 1) * 4096));
  const skb = skbFromChunks(chunks, { pool, pagePool: pp });
  const len = skb.len;
  report.group(
    await compare(
      `skbChecksum, ${len} B skb (linear + ${skb.nrFrags} page frags)`,
      [
        loopCase('skbChecksum', (n) => {
          for (let i = 0; i < n; i++) sink += skbChecksum(skb, 0, len, 0);
        }, cfg, len),
      ],
      cfg,
      GB,
    ),
  );
  report.check('skbChecksum = reference sum of the same bytes', csumFold16(skbChecksum(skb, 0, len, 0)) === referenceSum(src, 0, len));
  skb.free();
}

// ---------------------------------------------------------------- 4. queue
{
  const q = new SkbQueue();
  const skbs = Array.from({ length: 64 }, () => allocSkb(64, { pool }));
  let inOrder = true;
  report.group(
    await compare(
      'SkbQueue enqueueTail + dequeue, 64 skbs at a time',
      [
        loopCase('SkbQueue', (n) => {
          for (let i = 0; i < n; i++) {
            for (const s of skbs) q.enqueueTail(s);
            let k = 0;
            for (let s = q.dequeue(); s !== null; s = q.dequeue()) if (s !== skbs[k++]) inOrder = false;
            if (k !== skbs.length) inOrder = false;
          }
        }, cfg, 64),
      ],
      cfg,
      { unit: 'M skbs/s', scale: 1e-6 },
    ),
  );
  report.check('SkbQueue gave back every skb in order', inOrder);
  for (const s of skbs) s.free();
}

const live = skbStats().live - live0;
report.check('no skb live at the end', live === 0, `${live} live (sink ${sink & 1})`);
report.finish();
