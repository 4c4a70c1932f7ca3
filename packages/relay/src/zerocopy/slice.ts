/**
 * Zero-copy slicing of received skbs: `skbSlice(skb, off, len)` returns skbs
 * whose payload is exactly bytes `[off, off + len)` of `skb`'s payload, sharing
 * its memory (Linux builds the same thing with `skb_clone` + `pskb_trim` and
 * `skb_split`/frag references). The linear part of a linear skb becomes a clone
 * trimmed and pulled in place; that of a paged skb (a clone of which could not be
 * trimmed without copying its head) a frag over a borrowed page of the linear
 * buffer; paged data becomes a fresh head that references the same
 * pages (`get_page`) with adjusted offsets; `frag_list` members are sliced
 * recursively. No payload byte is copied, so `skbStats().bytesCopied` does not
 * move.
 *
 * @module
 */
import { allocSkb, MAX_SKB_FRAGS, skbBorrowLinear, type SkBuff, type SkbPool } from '@netlayers/skbuff';

/** Options of {@link skbSlice}. */
export interface SliceOptions {
  /** Pool for new heads. */
  pool?: SkbPool;
  /** Headroom to reserve in heads made for paged data (the sender pushes headers there). */
  headroom: number;
}

/**
 * Appends to `out` skbs covering `[off, off + len)` of `skb`'s payload (from
 * `skb.data`). The caller keeps its reference to `skb`; the results own theirs.
 * @returns `out`
 */
export function skbSlice(skb: SkBuff, off: number, len: number, opts: SliceOptions, out: SkBuff[] = []): SkBuff[] {
  if (len <= 0) return out;
  const end = off + len;
  const headlen = skb.headlen;
  let pos = 0;
  let paged: SkBuff | null = null;
  const head = (): SkBuff => {
    if (paged === null || paged.nrFrags >= MAX_SKB_FRAGS) {
      if (paged !== null) out.push(paged);
      paged = allocSkb(opts.headroom, opts.pool !== undefined ? { pool: opts.pool } : undefined);
      paged.reserve(opts.headroom);
    }
    return paged;
  };
  // linear part
  if (off < headlen) {
    if (skb.dataLen === 0) {
      const c = skb.clone();
      c.trim(Math.min(end, headlen));
      if (off > 0) c.pull(off);
      c.headerRelease(); // payload only: the header area stays the sender's (skb_header_release)
      out.push(c);
    } else {
      // A clone of a paged skb cannot be trimmed without unsharing (copying) its head:
      // the linear bytes become a frag over a borrowed page of the linear buffer instead.
      const page = skbBorrowLinear(skb, 0);
      try {
        head().addFrag(page, skb.data + off, Math.min(end, headlen) - off);
      } catch (e) {
        page.put();
        throw e;
      }
    }
  }
  pos = headlen;
  // page frags: one new head references every needed page
  for (const f of skb.frags) {
    const fs = pos;
    const fe = pos + f.size;
    pos = fe;
    if (fe <= off || fs >= end) continue;
    const a = Math.max(off, fs);
    const b = Math.min(end, fe);
    f.page.get();
    head().addFrag(f.page, f.off + (a - fs), b - a);
  }
  if (paged !== null) out.push(paged);
  // frag_list members (GRO / reassembly chains)
  for (const child of skb.fragList) {
    const cs = pos;
    const ce = pos + child.len;
    pos = ce;
    if (ce <= off || cs >= end) continue;
    const a = Math.max(off, cs);
    const b = Math.min(end, ce);
    skbSlice(child, a - cs, b - a, opts, out);
  }
  return out;
}
