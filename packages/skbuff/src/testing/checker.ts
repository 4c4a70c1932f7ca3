/**
 * Apply an operation sequence to real skbs and to the byte-array {@link SkbModel}
 * side by side, checking after every step that contents, geometry, sharing state
 * and error codes agree, that the operation added to the pool's copy meter exactly
 * the bytes the model predicts (per kind), and at the end that every head, buffer
 * and page went back to its pool.
 *
 * @module
 */
import {
  PagePool,
  SkbError,
  SkbPool,
  allocSkb,
  allocSkbHead,
  csumFold,
  skbChecksum,
  type SkBuff,
  type SkbCopyKinds,
} from '@netlayers/skbuff';
import { MODEL_PAGE_SIZE } from './arbitraries.js';
import { newModelCopyMeter, SkbModel, type ModelCopyMeter } from './model.js';
import type { SkbOp } from './ops.js';
import { naiveChecksum } from './reference.js';

/** Options of {@link checkSkbOps}. */
export interface CheckSkbOpsOptions {
  /** Pool for the real skbs (default: a fresh pool per call, so leaks are attributable). */
  pool?: SkbPool;
  /** Page pool for frags (default: a fresh pool with 256-byte pages). */
  pagePool?: PagePool;
  /** Also compare checksums of every live skb after every step (default true). */
  checksums?: boolean;
}

interface Pair {
  skb: SkBuff;
  model: SkbModel;
}

/** Thrown when the real skb and the model disagree. */
export class SkbModelMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SkbModelMismatch';
  }
}

function fail(step: number, op: SkbOp | null, msg: string): never {
  throw new SkbModelMismatch(`step ${step} ${op ? JSON.stringify(op, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)) : '(final)'}: ${msg}`);
}

function expectOutcome(step: number, op: SkbOp, predicted: string | null, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof SkbError)) throw e;
    if (predicted === e.code) return;
    fail(step, op, `threw ${e.code} (${e.message}), model predicted ${predicted ?? 'success'}`);
  }
  if (predicted !== null) fail(step, op, `succeeded, model predicted ${predicted}`);
}

/** Compare one real skb with its model; throws {@link SkbModelMismatch}. */
export function checkSkbAgainstModel(skb: SkBuff, m: SkbModel, checksums = true, where = 'check', users = 1): void {
  const bad = (msg: string): never => {
    throw new SkbModelMismatch(`${where}: ${msg}`);
  };
  if (!(0 <= skb.head && skb.head <= skb.data && skb.data <= skb.tail && skb.tail <= skb.end && skb.end <= skb.buf.length)) {
    bad(`geometry head ${skb.head} data ${skb.data} tail ${skb.tail} end ${skb.end} buf ${skb.buf.length}`);
  }
  const eq = (name: string, a: unknown, b: unknown): void => {
    if (a !== b) bad(`${name}: real ${String(a)} model ${String(b)}`);
  };
  eq('users', skb.users, users);
  eq('headroom', skb.headroom(), m.headroom);
  eq('end-head', skb.end - skb.head, m.cap);
  eq('headlen', skb.headlen, m.linear.length);
  eq('len', skb.len, m.len);
  eq('dataLen', skb.dataLen, m.dataLen);
  eq('len = headlen + dataLen', skb.len, skb.headlen + skb.dataLen);
  eq('tailroom', skb.tailroom(), m.tailroom);
  eq('nrFrags', skb.nrFrags, m.frags.length);
  eq('fragList.length', skb.fragList.length, m.fragList.length);
  eq('dataref', skb.dataref, m.group.refs);
  eq('isCloned', skb.isCloned(), m.shared);
  eq('headerCloned', skb.headerCloned(), m.headerCloned);
  eq('nohdr', skb.nohdr, m.nohdr);
  let paged = 0;
  skb.frags.forEach((f, i) => {
    eq(`frag ${i} size`, f.size, m.frags[i]!.bytes.length);
    eq(`frag ${i} page refcount`, f.page.refcount, m.frags[i]!.page.refs);
    paged += f.size;
  });
  skb.fragList.forEach((c, i) => {
    const mc = m.fragList[i]!;
    checkSkbAgainstModel(c, mc.model, false, `${where} fragList[${i}]`, mc.users);
    paged += c.len;
  });
  eq('Σ frags + fragList = dataLen', paged, skb.dataLen);
  const want = m.bytes();
  const got = new Uint8Array(skb.len);
  skb.copyBits(0, got, skb.len);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) bad(`byte ${i}: real ${got[i]} model ${want[i]}`);
  for (let i = 0; i < m.linear.length; i++) {
    if (skb.buf[skb.data + i] !== m.linear[i]) bad(`linear byte ${i} differs`);
  }
  let pos = 0;
  skb.forEachChunk(0, skb.len, (b, s, e) => {
    for (let i = s; i < e; i++) if (b[i] !== want[pos++]) bad(`chunk iterator byte ${pos - 1}`);
  });
  eq('chunk iterator length', pos, want.length);
  if (checksums) eq('skbChecksum', csumFold(skbChecksum(skb, 0, skb.len, 0)), naiveChecksum(want));
}

/** The copy meter moved by what the model predicts: compare per kind. */
function checkCopies(step: number, op: SkbOp, real0: SkbCopyKinds, real1: SkbCopyKinds, model0: ModelCopyMeter, model1: ModelCopyMeter): void {
  for (const k of Object.keys(model1) as (keyof SkbCopyKinds)[]) {
    const got = real1[k] - real0[k];
    const want = model1[k] - model0[k];
    if (got !== want) fail(step, op, `copy meter ${k}: real +${got} bytes, model predicted +${want}`);
  }
}

/**
 * Run `ops` against real skbs and {@link SkbModel}s. Throws
 * {@link SkbModelMismatch} on the first disagreement, or if anything allocated
 * was not returned to its pool after the final frees.
 */
export function checkSkbOps(ops: readonly SkbOp[], opts: CheckSkbOpsOptions = {}): void {
  const pool = opts.pool ?? new SkbPool();
  const pagePool = opts.pagePool ?? new PagePool({ pageSize: MODEL_PAGE_SIZE });
  const checksums = opts.checksums ?? true;
  const heads0 = pool.stats().live;
  const pages0 = pagePool.stats().live;
  const live: Pair[] = [];
  const meter = newModelCopyMeter();
  try {
    ops.forEach((op, step) => {
      const real0 = pool.stats().copies;
      const model0 = { ...meter };
      if (op.kind === 'alloc') {
        live.push({ skb: allocSkb(op.size, { pool }), model: new SkbModel(op.size, meter) });
      } else if (live.length > 0) {
        const ti = op.target % live.length;
        const { skb, model: m } = live[ti]!;
        switch (op.kind) {
          case 'reserve':
            expectOutcome(step, op, m.reserve(op.n), () => skb.reserve(op.n));
            break;
          case 'put': {
            const pred = m.put(op.bytes);
            expectOutcome(step, op, pred, () => skb.put(op.bytes.length).set(op.bytes));
            break;
          }
          case 'push': {
            const pred = m.push(op.bytes);
            expectOutcome(step, op, pred, () => skb.push(op.bytes.length).set(op.bytes));
            break;
          }
          case 'pull':
            expectOutcome(step, op, m.pull(op.n), () => void skb.pull(op.n));
            break;
          case 'trim': {
            const len = Math.round(op.frac * m.len);
            expectOutcome(step, op, m.trim(len), () => skb.trim(len));
            break;
          }
          case 'mayPull': {
            const n = Math.round(op.frac * m.len);
            const want = m.mayPull(n);
            const got = skb.mayPull(n);
            if (got !== want) fail(step, op, `mayPull(${n}) real ${got} model ${want}`);
            break;
          }
          case 'addFrag': {
            const page = pagePool.alloc();
            const off = op.off % (MODEL_PAGE_SIZE - op.bytes.length + 1);
            page.bytes.set(op.bytes, off);
            const pred = m.addFrag(op.bytes);
            let ok = false;
            expectOutcome(step, op, pred, () => {
              skb.addFrag(page, off, op.bytes.length);
              ok = true;
            });
            if (!ok) page.put();
            break;
          }
          case 'appendFragList': {
            const si = op.source % live.length;
            const src = live[si]!;
            if (si === ti) break;
            const pred = m.appendFragList(src.model);
            expectOutcome(step, op, pred, () => skb.appendFragList(src.skb));
            if (pred === null) live.splice(si, 1);
            break;
          }
          case 'clone':
            live.push({ skb: skb.clone(), model: m.clone() });
            break;
          case 'copy':
            live.push({ skb: skb.copy(), model: m.copy() });
            break;
          case 'pskbCopy':
            live.push({ skb: skb.pskbCopy(), model: m.pskbCopy() });
            break;
          case 'cowHead':
            m.cowHead(op.headroom);
            skb.cowHead(op.headroom);
            break;
          case 'cow':
            m.cow(op.headroom);
            skb.cow(op.headroom);
            break;
          case 'ensureWritable': {
            const n = Math.round(op.frac * m.len);
            expectOutcome(step, op, m.ensureWritable(n), () => skb.ensureWritable(n));
            break;
          }
          case 'storeBits': {
            let limit = m.linear.length;
            for (const f of m.frags) limit += f.bytes.length;
            const off = Math.min(limit, Math.round(op.frac * limit));
            const bytes = op.bytes.subarray(0, limit - off);
            expectOutcome(step, op, m.storeBits(off, bytes), () => skb.storeBits(off, bytes));
            break;
          }
          case 'setDataPart': {
            const h = allocSkbHead({ pool });
            h.setDataPart(skb);
            live.push({ skb: h, model: m.clone() });
            break;
          }
          case 'expandHead':
            m.expandHead(op.nhead, op.ntail);
            skb.expandHead(op.nhead, op.ntail);
            break;
          case 'unshare':
            m.unshare();
            skb.unshare();
            break;
          case 'linearize':
            m.linearize();
            skb.linearize();
            break;
          case 'headerRelease':
            m.headerRelease();
            skb.headerRelease();
            break;
          case 'free':
            m.free();
            skb.free();
            live.splice(ti, 1);
            break;
        }
      }
      checkCopies(step, op, real0, pool.stats().copies, model0, meter);
      live.forEach((p, i) => {
        try {
          checkSkbAgainstModel(p.skb, p.model, checksums, `skb #${i}`);
        } catch (e) {
          if (e instanceof SkbModelMismatch) fail(step, op, e.message);
          throw e;
        }
      });
    });
  } finally {
    for (const p of live) if (p.skb.users > 0) p.skb.free();
  }
  const ps = pool.stats();
  if (ps.live !== heads0) fail(ops.length, null, `skb pool live ${ps.live} (heads ${ps.heads.live}, data ${ps.data.live}) after freeing everything`);
  const pg = pagePool.stats().live;
  if (pg !== pages0) fail(ops.length, null, `page pool live ${pg} after freeing everything`);
}
