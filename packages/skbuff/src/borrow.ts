/**
 * `skbBorrowLinear`: an skb's linear bytes as a page, so they can be referenced
 * as fragments of other skbs without a copy (Linux: the page behind a
 * `head_frag` head). Used by software GSO, TCP's split of a linear skb and the
 * relay's slices.
 * @module
 */
import { Page } from './page.js';
import type { SkBuff } from './skbuff.js';

/**
 * A {@link Page.borrow}ed page over `skb.buf`, kept alive by a clone of `skb`
 * pulled by `off` and header-released (so the owner's clones may still push
 * headers: the borrower never touches bytes before `skb.data + off`). The
 * caller gets one page reference (give it to `addFrag`, or `put()` it); frag
 * offsets into the page are absolute `skb.buf` offsets (`skb.data + x`).
 * @throws SkbError as `clone` / `pull` (nothing is left held)
 */
export function skbBorrowLinear(skb: SkBuff, off: number): Page {
  const keep = skb.clone();
  try {
    keep.pull(off);
    keep.headerRelease();
  } catch (e) {
    keep.free();
    throw e;
  }
  return Page.borrow(keep.buf, () => keep.free());
}
