/**
 * `struct skb_shared_info`: the part of an sk_buff that clones share.
 *
 * In Linux the shared info sits right after `end` in the data allocation and holds
 * `dataref`, `nr_frags`, `frags[]` and `frag_list`. Here it is a small object that
 * owns the linear buffer (`buf`) together with the paged fragments and the
 * frag_list, and that is pooled together with `buf` (one size class per object).
 *
 * ```
 *  SkBuff (head)            SkbSharedInfo (shared by clones, dataref counted)
 *  ┌──────────────┐         ┌────────────────────────────────────────────────┐
 *  │ buf ─────────┼────────▶│ buf: Uint8Array  [head … data … tail … end)    │
 *  │ head/data/   │         │ dataref, payloadRefs (nohdr references)        │
 *  │ tail/end     │         │ frags[0..nrFrags) {page, off, size} → Page     │
 *  │ len, dataLen │         │ fragList: SkBuff[] (IP fragments, GRO)         │
 *  └──────────────┘         │ gsoSize, gsoSegs, gsoType                      │
 *                           └────────────────────────────────────────────────┘
 * ```
 *
 * @module
 * @internal
 */
import type { Page } from './page.js';
import type { SkBuff } from './skbuff.js';
import type { SkbPool } from './pool.js';

/** One paged fragment (`skb_frag_t`): `size` bytes of `page.bytes` from `off`. */
export interface SkbFrag {
  /** The refcounted page holding the bytes (the skb owns one reference). */
  readonly page: Page;
  /** Offset of the fragment inside `page.bytes`. */
  readonly off: number;
  /** Number of bytes. */
  readonly size: number;
}

/** Mutable fragment record (reused). @internal */
export class FragSlot implements SkbFrag {
  constructor(
    public page: Page,
    public off: number,
    public size: number,
  ) {}
}

/** Shared info + linear data buffer. @internal */
export class SkbSharedInfo {
  /** Linear buffer; `buf.length` is the size class, ≥ the skb's `end`. */
  readonly buf: Uint8Array;
  /** Size class index in the owning pool, or -1 for an unpooled (oversized) buffer. */
  readonly cls: number;
  /** Owning pool. */
  readonly pool: SkbPool;
  /** References to the data (`dataref`, low half in Linux). */
  dataref = 1;
  /** References that promised not to touch the header area (`nohdr`, high half in Linux). */
  payloadRefs = 0;
  /**
   * Lowest `data` offset of any header-released reference (Infinity if none):
   * a clone may push headers only in front of it, never over released payload.
   */
  hdrLimit = Infinity;
  /** Paged fragments, exactly `nrFrags` long. */
  readonly frags: FragSlot[] = [];
  /** Chained skbs (`frag_list`). Each entry holds one `users` reference. */
  readonly fragList: SkBuff[] = [];
  /** GSO segment size (`gso_size`), 0 = not GSO. */
  gsoSize = 0;
  /** Number of GSO segments (`gso_segs`). */
  gsoSegs = 0;
  /** GSO type bits (`gso_type`). */
  gsoType = 0;
  private readonly spare: FragSlot[] = [];

  constructor(pool: SkbPool, buf: Uint8Array, cls: number) {
    this.pool = pool;
    this.buf = buf;
    this.cls = cls;
  }

  /** Append a fragment (no refcount change: the caller transfers a reference). */
  pushFrag(page: Page, off: number, size: number): void {
    const s = this.spare.pop();
    if (s === undefined) {
      this.frags.push(new FragSlot(page, off, size));
    } else {
      s.page = page;
      s.off = off;
      s.size = size;
      this.frags.push(s);
    }
  }

  /** Remove the first `n` fragments (no refcount change). */
  shiftFrags(n: number): void {
    if (n <= 0) return;
    const f = this.frags;
    const len = f.length;
    for (let i = 0; i < n; i++) this.spare.push(f[i]!);
    for (let i = n; i < len; i++) f[i - n] = f[i]!;
    f.length = len - n;
  }

  /** Keep only the first `n` fragments, dropping the page references of the rest. */
  truncFrags(n: number): void {
    const f = this.frags;
    for (let i = n; i < f.length; i++) {
      const s = f[i]!;
      s.page.put();
      this.spare.push(s);
    }
    if (f.length > n) f.length = n;
  }

  /** Drop the first `n`... of frag_list from index `n` on (freeing each child). */
  truncFragList(n: number): void {
    const l = this.fragList;
    for (let i = n; i < l.length; i++) l[i]!.free();
    if (l.length > n) l.length = n;
  }

  /** Release every page and child: called when `dataref` reaches zero. */
  releaseAll(): void {
    this.truncFrags(0);
    this.truncFragList(0);
    this.dataref = 0;
    this.payloadRefs = 0;
    this.hdrLimit = Infinity;
    this.gsoSize = 0;
    this.gsoSegs = 0;
    this.gsoType = 0;
  }
}
