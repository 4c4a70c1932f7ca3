/**
 * A plain byte-array reference model of one sk_buff.
 *
 * The model knows nothing about offsets into buffers, pools or pages: it keeps the
 * headroom, the linear capacity (`end - head`), the linear bytes, the bytes of each
 * page fragment and of each frag_list skb, and the sharing group (the `dataref`
 * count, with the number of header-released references). Each operation applies
 * the documented semantics of `@netlayers/skbuff` to those arrays and returns the
 * {@link SkbErrorCode} the real buffer must throw, or `null` if it must succeed.
 * On a predicted error the model is left unchanged (so must the real skb be).
 *
 * @module
 */
import type { SkbErrorCode } from '@netlayers/skbuff';

/** Limits mirrored from the implementation. */
const MAX_SKB_FRAGS = 17;
const SKB_PULL_SLACK = 128;

/** A data sharing group (one `SkbSharedInfo`). */
export interface ModelGroup {
  /** `dataref` */
  refs: number;
  /** references that called `headerRelease` */
  payload: number;
  /** lowest headroom of a header-released reference (Infinity if none) */
  hdrLimit: number;
}

/** Reference model of one skb. */
export class SkbModel {
  /** `data - head` */
  headroom = 0;
  /** `end - head` */
  cap: number;
  /** bytes of `[data, tail)` */
  linear: number[] = [];
  /** bytes of each page fragment */
  frags: number[][] = [];
  /** bytes of each frag_list skb */
  fragList: number[][] = [];
  /** sharing group */
  group: ModelGroup = { refs: 1, payload: 0, hdrLimit: Infinity };
  /** `nohdr` */
  nohdr = false;

  /** Model of `allocSkb(size)`. */
  constructor(size: number) {
    this.cap = size;
  }

  /** `dataLen` */
  get dataLen(): number {
    let n = 0;
    for (const f of this.frags) n += f.length;
    for (const c of this.fragList) n += c.length;
    return n;
  }
  /** `len` */
  get len(): number {
    return this.linear.length + this.dataLen;
  }
  /** `tailroom()` (0 when nonlinear) */
  get tailroom(): number {
    return this.dataLen !== 0 ? 0 : this.rawTailroom;
  }
  /** `end - tail` */
  get rawTailroom(): number {
    return this.cap - this.headroom - this.linear.length;
  }
  /** data shared with another reference (`isCloned()`) */
  get shared(): boolean {
    return this.group.refs > 1;
  }
  /** `headerCloned()`: a push would write bytes another reference may use */
  get headerCloned(): boolean {
    return (
      this.shared && (this.group.refs - this.group.payload !== 1 || this.nohdr || this.headroom > this.group.hdrLimit)
    );
  }
  /** All packet bytes in order. */
  bytes(): number[] {
    const out = this.linear.slice();
    for (const f of this.frags) out.push(...f);
    for (const c of this.fragList) out.push(...c);
    return out;
  }

  private dropRef(): void {
    this.group.refs--;
    if (this.nohdr && --this.group.payload === 0) this.group.hdrLimit = Infinity;
  }

  private leaveGroup(): void {
    this.dropRef();
    this.group = { refs: 1, payload: 0, hdrLimit: Infinity };
    this.nohdr = false;
  }

  /** `reserve(n)` */
  reserve(n: number): SkbErrorCode | null {
    if (this.len !== 0) return 'SKB_NOT_EMPTY';
    if (n > this.rawTailroom) return 'SKB_OVER';
    this.headroom += n;
    return null;
  }

  /** `put(n)` filled with `bytes` */
  put(bytes: ArrayLike<number>): SkbErrorCode | null {
    if (this.dataLen !== 0) return 'SKB_NONLINEAR';
    if (bytes.length > this.rawTailroom) return 'SKB_OVER';
    if (this.shared) return 'SKB_SHARED';
    for (let i = 0; i < bytes.length; i++) this.linear.push(bytes[i]!);
    return null;
  }

  /** `push(n)` filled with `bytes` */
  push(bytes: ArrayLike<number>): SkbErrorCode | null {
    if (bytes.length > this.headroom) return 'SKB_UNDER';
    if (this.headerCloned) return 'SKB_SHARED';
    this.headroom -= bytes.length;
    this.linear.unshift(...Array.from(bytes));
    return null;
  }

  /** `pull(n)` */
  pull(n: number): SkbErrorCode | null {
    if (n > this.linear.length) return 'SKB_PULL';
    this.headroom += n;
    this.linear.splice(0, n);
    return null;
  }

  /** `expandHead(nhead, ntail)` */
  expandHead(nhead: number, ntail: number): SkbErrorCode | null {
    this.leaveGroup();
    this.headroom += nhead;
    this.cap += nhead + ntail;
    return null;
  }

  /** `trim(len)` */
  trim(len: number): SkbErrorCode | null {
    if (len >= this.len) return null;
    const headlen = this.linear.length;
    if (this.dataLen === 0) {
      this.linear.length = len;
      return null;
    }
    if (this.shared) this.expandHead(0, 0);
    if (len <= headlen) {
      this.linear.length = len;
      this.frags = [];
      this.fragList = [];
      return null;
    }
    let off = headlen;
    let i = 0;
    while (i < this.frags.length && off + this.frags[i]!.length <= len) off += this.frags[i++]!.length;
    if (i < this.frags.length) {
      if (len > off) {
        this.frags[i] = this.frags[i]!.slice(0, len - off);
        i++;
      }
      this.frags.length = i;
      this.fragList = [];
    } else {
      let j = 0;
      while (j < this.fragList.length && off + this.fragList[j]!.length <= len) off += this.fragList[j++]!.length;
      if (j < this.fragList.length && len > off) {
        this.fragList[j] = this.fragList[j]!.slice(0, len - off);
        j++;
      }
      this.fragList.length = j;
    }
    return null;
  }

  /** `addFrag(page, off, bytes.length)` */
  addFrag(bytes: ArrayLike<number>): SkbErrorCode | null {
    if (this.shared) return 'SKB_SHARED';
    if (this.frags.length >= MAX_SKB_FRAGS) return 'SKB_FRAGS_FULL';
    if (this.fragList.length !== 0) return 'SKB_RANGE';
    this.frags.push(Array.from(bytes));
    return null;
  }

  /** `appendFragList(child)` (child's bytes) */
  appendFragList(child: number[]): SkbErrorCode | null {
    if (this.shared) return 'SKB_SHARED';
    this.fragList.push(child);
    return null;
  }

  private pullTail(delta: number, slack: number): void {
    const eat = delta - this.rawTailroom;
    if (eat > 0 || this.shared) this.expandHead(0, eat > 0 ? eat + slack : 0);
    let left = delta;
    while (this.frags.length > 0 && this.frags[0]!.length <= left) {
      const f = this.frags.shift()!;
      left -= f.length;
      this.linear.push(...f);
    }
    if (this.frags.length > 0 && left > 0) {
      const f = this.frags[0]!;
      this.linear.push(...f.slice(0, left));
      this.frags[0] = f.slice(left);
      left = 0;
    }
    while (left > 0) {
      const c = this.fragList[0]!;
      if (c.length <= left) {
        this.fragList.shift();
        left -= c.length;
        this.linear.push(...c);
      } else {
        this.linear.push(...c.slice(0, left));
        this.fragList[0] = c.slice(left);
        left = 0;
      }
    }
    if (this.dataLen === 0) {
      this.frags = [];
      this.fragList = [];
    }
  }

  /** `mayPull(n)`: returns the boolean result. */
  mayPull(n: number): boolean {
    const headlen = this.linear.length;
    if (n <= headlen) return true;
    if (n > this.len) return false;
    this.pullTail(n - headlen, SKB_PULL_SLACK);
    return true;
  }

  /** `linearize()` */
  linearize(): void {
    if (this.dataLen !== 0) this.pullTail(this.dataLen, 0);
  }

  /** `clone()` */
  clone(): SkbModel {
    const n = new SkbModel(this.cap);
    n.headroom = this.headroom;
    n.linear = this.linear.slice();
    n.frags = this.frags.map((f) => f.slice());
    n.fragList = this.fragList.map((c) => c.slice());
    n.group = this.group;
    this.group.refs++;
    return n;
  }

  /** `copy()` */
  copy(): SkbModel {
    const n = new SkbModel(this.cap + this.dataLen);
    n.headroom = this.headroom;
    n.linear = this.bytes();
    return n;
  }

  /** `pskbCopy()` */
  pskbCopy(): SkbModel {
    const n = new SkbModel(this.cap);
    n.headroom = this.headroom;
    n.linear = this.linear.slice();
    n.frags = this.frags.map((f) => f.slice());
    n.fragList = this.fragList.map((c) => c.slice());
    return n;
  }

  /** `cowHead(headroom)` */
  cowHead(headroom: number): void {
    const delta = Math.max(0, headroom - this.headroom);
    if (delta > 0 || this.headerCloned) this.expandHead(delta, 0);
  }

  /** `unshare()` */
  unshare(): void {
    if (!this.shared) return;
    const c = this.copy();
    this.leaveGroup();
    this.cap = c.cap;
    this.linear = c.linear;
    this.frags = [];
    this.fragList = [];
  }

  /** `headerRelease()` */
  headerRelease(): void {
    if (this.nohdr) return;
    this.nohdr = true;
    this.group.payload++;
    this.group.hdrLimit = Math.min(this.group.hdrLimit, this.headroom);
  }

  /** `free()` */
  free(): void {
    this.dropRef();
  }
}
