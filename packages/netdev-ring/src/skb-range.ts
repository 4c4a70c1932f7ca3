/**
 * Zero-copy references to a byte range of an skb, for software GSO.
 *
 * {@link skbAppendRange} appends bytes `[off, off + len)` of a source skb to a
 * segment under construction without copying them, as Linux's `skb_segment`
 * does: page fragments are shared (`page.get()` + `addFrag` with adjusted offset
 * and size), and linear bytes are referenced as fragments too, through a
 * {@link Page.borrow}ed page over the source's linear buffer (Linux: the page of a
 * `head_frag` head) kept alive by a clone of the source. Every payload byte of a
 * segment is therefore a frag: a receiver that pulls the headers off holds an skb
 * with no linear payload, which TCP can retransmit or relay without copying
 * (headers are pushed into the segment's own private headroom). Frags past
 * {@link MAX_SKB_FRAGS} go into data-less children on the segment's `fragList`.
 *
 * @module
 */
import { allocSkb, MAX_SKB_FRAGS, skbBorrowLinear, type Page, type SkBuff } from '@netlayers/skbuff';

/**
 * The references of one segmentation run: the borrowed pages over the linear
 * areas of the source skbs, shared by every segment. Call {@link release} once all
 * segments are built (each segment holds its own page references).
 */
export class RangeRefs {
  private readonly borrowed = new Map<SkBuff, Page>();

  /**
   * A borrowed page over `src`'s linear buffer (one per source skb per run).
   * @param off the lowest linear offset of `src` this run will reference
   */
  linearPage(src: SkBuff, off: number): Page {
    let p = this.borrowed.get(src);
    if (p === undefined) {
      // keeps the buffer (and dataref) alive while a segment refers to it, header released
      p = skbBorrowLinear(src, off);
      this.borrowed.set(src, p);
    }
    return p;
  }

  /** Drops this run's own reference of each borrowed page. */
  release(): void {
    for (const p of this.borrowed.values()) p.put();
    this.borrowed.clear();
  }
}

/** Where {@link skbAppendRange} puts references: a segment under construction. */
export class SegmentRefs {
  /** Holder of frags past MAX_SKB_FRAGS; appended to the fragList when full or on {@link finish}. */
  private holder: SkBuff | null = null;

  /**
   * @param seg the segment (private data, headers already in its linear area)
   * @param run the segmentation run (borrowed pages)
   */
  constructor(
    readonly seg: SkBuff,
    readonly run: RangeRefs,
  ) {}

  /** Appends `size` bytes of `page` at `off` (takes a new page reference). */
  frag(page: Page, off: number, size: number): void {
    const seg = this.seg;
    let to: SkBuff = seg;
    if (seg.fragList.length > 0 || this.holder !== null || seg.nrFrags >= MAX_SKB_FRAGS) {
      if (this.holder === null || this.holder.nrFrags >= MAX_SKB_FRAGS) {
        this.flush();
        this.holder = allocSkb(0, { pool: seg.pool });
      }
      to = this.holder;
    }
    const p = page.get();
    try {
      to.addFrag(p, off, size);
    } catch (e) {
      p.put();
      throw e;
    }
  }

  /** Appends the pending frag holder, if any. Call once after the last range. */
  finish(): void {
    this.flush();
  }

  /** Frees a pending frag holder (error path). */
  abort(): void {
    if (this.holder !== null) this.holder.free();
    this.holder = null;
  }

  private flush(): void {
    const h = this.holder;
    if (h === null) return;
    this.holder = null;
    try {
      this.seg.appendFragList(h);
    } catch (e) {
      h.free();
      throw e;
    }
  }
}

/**
 * Appends bytes `[off, off + len)` of `src` (linear area, frags, fragList, in
 * that order, recursively) to `refs` as fragments, without copying (see the
 * module). `src` is not modified; it keeps its own references. Within one run,
 * call it with increasing offsets (segments in order).
 */
export function skbAppendRange(refs: SegmentRefs, src: SkBuff, off: number, len: number): void {
  if (len <= 0) return;
  const headlen = src.headlen;
  if (off < headlen) {
    const n = Math.min(headlen - off, len);
    refs.frag(refs.run.linearPage(src, off), src.data + off, n);
    off += n;
    len -= n;
    if (len === 0) return;
  }
  let pos = headlen;
  for (const f of src.frags) {
    const fend = pos + f.size;
    if (off < fend) {
      const n = Math.min(fend - off, len);
      refs.frag(f.page, f.off + (off - pos), n);
      off += n;
      len -= n;
      if (len === 0) return;
    }
    pos = fend;
  }
  for (const c of src.fragList) {
    const cend = pos + c.len;
    if (off < cend) {
      const n = Math.min(cend - off, len);
      skbAppendRange(refs, c, off - pos, n);
      off += n;
      len -= n;
      if (len === 0) return;
    }
    pos = cend;
  }
}
