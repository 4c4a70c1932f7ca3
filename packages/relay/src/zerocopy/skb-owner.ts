/**
 * `SkbOwner`: the {@link BufferOwner} behind the views of one received skb.
 * `hold()` takes an skb reference (`skb_get`), `release()` drops one
 * (`kfree_skb`); the memory returns to its pool when the last holder lets go.
 * `locate(view)` maps a sub-view back to its payload offset, so the relay can
 * cut the exact body range out of the skb with `skbSlice` (no copy).
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';
import type { BufferOwner } from '@netlayers/smtp-protocol';

export class SkbOwner implements BufferOwner {
  readonly skb: SkBuff;
  /** The payload's contiguous views (linear part, frags, frag_list members). */
  readonly views: Uint8Array[];
  private readonly starts: number[];
  private refs = 1;

  /** Takes over the caller's reference to `skb`. */
  constructor(skb: SkBuff) {
    this.skb = skb;
    // The holder only reads the payload: releasing the header area lets the clones
    // forwarded from it push their TCP/IP headers in front of the same bytes
    // (`skb_header_release`) instead of copying the head (expandHead) on every send.
    releaseHeaders(skb);
    this.views = [];
    this.starts = [];
    let pos = 0;
    for (const v of skb.chunks()) {
      this.views.push(v);
      this.starts.push(pos);
      pos += v.length;
    }
  }

  hold(): void {
    this.refs++;
    this.skb.get();
  }

  release(): void {
    if (this.refs <= 0) throw new RangeError('SkbOwner released more often than held');
    this.refs--;
    this.skb.free();
  }

  /**
   * Payload offset of `bytes`, a view inside one of {@link views}.
   * @returns the offset, or -1 if `bytes` is not inside this skb
   */
  locate(bytes: Uint8Array): number {
    for (let i = 0; i < this.views.length; i++) {
      const v = this.views[i]!;
      if (v.buffer === bytes.buffer && bytes.byteOffset >= v.byteOffset && bytes.byteOffset + bytes.length <= v.byteOffset + v.length) {
        return this.starts[i]! + (bytes.byteOffset - v.byteOffset);
      }
    }
    return -1;
  }
}

/** `headerRelease` of an skb and of its frag-list members (GRO chains), recursively. */
function releaseHeaders(skb: SkBuff): void {
  skb.headerRelease();
  for (const m of skb.fragList) releaseHeaders(m);
}
