/**
 * Small skb helpers of the IPv4 layer: header views and zero-copy sharing of a
 * byte range of an skb (the building block of `ipFragment`).
 *
 * @module
 */
import { allocSkb, SKB_TRUESIZE, type SkBuff } from '@netlayers/skbuff';
import { Ipv4Packet } from './wire/ipv4.js';

/**
 * A view of the IPv4 header of `skb` (Linux `ip_hdr`): `skb.networkHeader` must
 * be set and the header linear. The view extends to the end of the linear data.
 */
export function ipHdr(skb: SkBuff): Ipv4Packet {
  return Ipv4Packet.unchecked(skb.buf.subarray(skb.networkHeader, skb.tail));
}

/**
 * A clone of `skb` narrowed to the linear bytes `[off, off+len)` (`off + len ≤
 * headlen`), charged only for what it exposes: `truesize = SKB_TRUESIZE(len)`.
 *
 * A plain clone inherits the whole original's `truesize` (`skb_clone`), which
 * is right for one extra reference but not for the many narrow clones that
 * share one datagram here: a 64 KiB datagram cut for a 1500-byte MTU would be
 * charged 45 times over (≈3 MB), tripping the reassembly memory limit
 * (`ipfrag_high_thresh`) and socket receive buffers with phantom memory.
 */
export function cloneRange(skb: SkBuff, off: number, len: number): SkBuff {
  const c = skb.clone();
  c.pull(off);
  c.trim(len);
  c.truesize = SKB_TRUESIZE(len);
  return c;
}

/**
 * Skbs that together hold bytes `[off, off+len)` of `skb` without copying
 * payload (Linux `ip_fragment`'s fast path idea, generalised): the linear part is
 * a clone pulled/trimmed to the range; page fragments are shared by taking page
 * references; fragList children recurse. Each part is charged only for the bytes it
 * holds (see {@link cloneRange}). Append the results to a header skb with
 * `appendFragList`.
 */
export function skbShareRange(skb: SkBuff, off: number, len: number, out: SkBuff[] = []): SkBuff[] {
  if (len <= 0) return out;
  const hl = skb.headlen;
  let pos = 0;
  let want = off;
  let left = len;
  if (want < hl) {
    const n = Math.min(left, hl - want);
    out.push(cloneRange(skb, want, n));
    left -= n;
    want += n;
  }
  pos = hl;
  if (left === 0) return out;
  let pageSkb: SkBuff | null = null;
  for (const f of skb.frags) {
    if (left === 0) break;
    const fEnd = pos + f.size;
    if (want < fEnd) {
      const start = want - pos;
      const n = Math.min(left, f.size - start);
      if (pageSkb === null || pageSkb.nrFrags >= 17) {
        pageSkb = allocSkb(0, { pool: skb.pool });
        out.push(pageSkb);
      }
      pageSkb.addFrag(f.page.get(), f.off + start, n);
      left -= n;
      want += n;
    }
    pos = fEnd;
  }
  for (const child of skb.fragList) {
    if (left === 0) break;
    const cEnd = pos + child.len;
    if (want < cEnd) {
      const start = want - pos;
      const n = Math.min(left, child.len - start);
      skbShareRange(child, start, n, out);
      left -= n;
      want += n;
    }
    pos = cEnd;
  }
  return out;
}
