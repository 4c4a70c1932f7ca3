/**
 * A plain byte-array reference model of one sk_buff.
 *
 * The model knows nothing about offsets into buffers or pools: it keeps the
 * headroom, the linear capacity (`end - head`), the linear bytes, each page
 * fragment's bytes with a model of its page's reference count, the frag_list
 * children (models themselves, with a `users` count), and the sharing group (the
 * `dataref` count, the header-released references and the lowest header-released
 * data offset). Each operation applies the documented semantics of
 * `@netlayers/skbuff` to those arrays and returns the {@link SkbErrorCode} the real
 * buffer must throw, or `null` if it must succeed. On a predicted error the model
 * is left unchanged (so must the real skb be).
 *
 * Each model also predicts the copy meter: the operations add the bytes the real
 * skb must copy, by kind, to a {@link ModelCopyMeter} shared by every model of
 * one test run (clones, copies and frag_list children inherit it).
 *
 * @module
 */
import type { SkbCopyKinds, SkbErrorCode } from '@netlayers/skbuff';

/** Limits mirrored from the implementation. */
const MAX_SKB_FRAGS = 17;
const SKB_PULL_SLACK = 128;

/** A data sharing group (one shared info). */
export interface ModelGroup {
  /** `dataref` */
  refs: number;
  /** references that called `headerRelease` */
  payload: number;
  /** lowest headroom of a header-released reference (Infinity if none) */
  hdrLimit: number;
}

/** A page's reference count. */
export interface ModelPage {
  /** `page.refcount` */
  refs: number;
}

/** One paged fragment. */
export interface ModelFrag {
  /** its bytes */
  bytes: number[];
  /** its page */
  page: ModelPage;
}

/** One frag_list entry: a child model and its head reference count. */
export interface ModelChild {
  /** the child skb's model */
  model: SkbModel;
  /** the child's `users` */
  users: number;
}

/** Predicted bytes copied, by kind (`skbStats().copies`); mutated by the models. */
export type ModelCopyMeter = { -readonly [K in keyof SkbCopyKinds]: number };

/** A zeroed {@link ModelCopyMeter}. */
export function newModelCopyMeter(): ModelCopyMeter {
  return { linearize: 0, expandHead: 0, copyBits: 0, copy: 0, pskbCopy: 0, putData: 0, storeBits: 0, pull: 0, other: 0, headers: 0 };
}

/** Reference model of one skb. */
export class SkbModel {
  /** `data - head` */
  headroom = 0;
  /** `end - head` */
  cap: number;
  /** bytes of `[data, tail)` */
  linear: number[] = [];
  /** page fragments */
  frags: ModelFrag[] = [];
  /** frag_list children */
  fragList: ModelChild[] = [];
  /** sharing group */
  group: ModelGroup = { refs: 1, payload: 0, hdrLimit: Infinity };
  /** `nohdr` */
  nohdr = false;
  /** Where this model's operations add the bytes they copy. */
  readonly meter: ModelCopyMeter;

  /**
   * Model of `allocSkb(size)`.
   * @param size - linear area size
   * @param meter - copy meter shared with related models (default: a fresh one)
   */
  constructor(size: number, meter: ModelCopyMeter = newModelCopyMeter()) {
    this.cap = size;
    this.meter = meter;
  }

  /** `dataLen` */
  get dataLen(): number {
    let n = 0;
    for (const f of this.frags) n += f.bytes.length;
    for (const c of this.fragList) n += c.model.len;
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
    for (const f of this.frags) for (const b of f.bytes) out.push(b);
    for (const c of this.fragList) for (const b of c.model.bytes()) out.push(b);
    return out;
  }

  // ------------------------------------------------------------ references

  private static dropChild(c: ModelChild): void {
    if (--c.users === 0) c.model.free();
  }

  /** Drop this reference to the group; the last one releases pages and children. */
  private dropRef(): void {
    const g = this.group;
    g.refs--;
    if (this.nohdr && --g.payload === 0) g.hdrLimit = Infinity;
    if (g.refs === 0) {
      for (const f of this.frags) f.page.refs--;
      for (const c of this.fragList) SkbModel.dropChild(c);
    }
  }

  /** Private copy of the shared info (pskb_expand_head): take refs unless exclusive. */
  private leaveGroup(): void {
    const g = this.group;
    if (g.refs > 1) {
      for (const f of this.frags) f.page.refs++;
      for (const c of this.fragList) c.users++;
      g.refs--;
      if (this.nohdr && --g.payload === 0) g.hdrLimit = Infinity;
    }
    this.frags = this.frags.map((f) => ({ bytes: f.bytes.slice(), page: f.page }));
    this.fragList = this.fragList.slice();
    this.group = { refs: 1, payload: 0, hdrLimit: Infinity };
    this.nohdr = false;
  }

  /** The frag_list entry `j`, cloned first if its head is shared (as the implementation does). */
  private privateChild(j: number): SkbModel {
    const c = this.fragList[j]!;
    if (c.users === 1) return c.model;
    const n = c.model.clone();
    SkbModel.dropChild(c);
    this.fragList[j] = { model: n, users: 1 };
    return n;
  }

  private truncFrags(n: number): void {
    for (let i = n; i < this.frags.length; i++) this.frags[i]!.page.refs--;
    this.frags.length = Math.min(n, this.frags.length);
  }

  private truncFragList(n: number): void {
    for (let i = n; i < this.fragList.length; i++) SkbModel.dropChild(this.fragList[i]!);
    this.fragList.length = Math.min(n, this.fragList.length);
  }

  // ------------------------------------------------------------ operations

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
    if (this.nohdr) this.group.hdrLimit = Math.min(this.group.hdrLimit, this.headroom);
    return null;
  }

  /** `pull(n)` */
  pull(n: number): SkbErrorCode | null {
    if (n > this.linear.length) return 'SKB_PULL';
    this.headroom += n;
    this.linear.splice(0, n);
    return null;
  }

  /** `expandHead(nhead, ntail)`: moves headroom + headlen bytes. */
  expandHead(nhead: number, ntail: number): SkbErrorCode | null {
    this.meter.expandHead += this.headroom + this.linear.length;
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
      this.truncFrags(0);
      this.truncFragList(0);
      return null;
    }
    let off = headlen;
    let i = 0;
    while (i < this.frags.length && off + this.frags[i]!.bytes.length <= len) off += this.frags[i++]!.bytes.length;
    if (i < this.frags.length) {
      if (len > off) {
        const f = this.frags[i]!;
        f.bytes = f.bytes.slice(0, len - off);
        i++;
      }
      this.truncFrags(i);
      this.truncFragList(0);
    } else {
      let j = 0;
      while (j < this.fragList.length && off + this.fragList[j]!.model.len <= len) off += this.fragList[j++]!.model.len;
      if (j < this.fragList.length && len > off) {
        this.privateChild(j).trim(len - off);
        j++;
      }
      this.truncFragList(j);
    }
    return null;
  }

  /** `addFrag(page, off, bytes.length)` with a fresh page. @returns the predicted error */
  addFrag(bytes: ArrayLike<number>): SkbErrorCode | null {
    if (this.shared) return 'SKB_SHARED';
    if (this.frags.length >= MAX_SKB_FRAGS) return 'SKB_FRAGS_FULL';
    if (this.fragList.length !== 0) return 'SKB_RANGE';
    this.frags.push({ bytes: Array.from(bytes), page: { refs: 1 } });
    return null;
  }

  /** `appendFragList(child)`: the caller's reference to `child` moves into this model. */
  appendFragList(child: SkbModel): SkbErrorCode | null {
    if (this.shared) return 'SKB_SHARED';
    this.fragList.push({ model: child, users: 1 });
    return null;
  }

  private pullTail(delta: number, slack: number, lin: boolean): void {
    const eat = delta - this.rawTailroom;
    if (eat > 0 || this.shared) this.expandHead(0, eat > 0 ? eat + slack : 0);
    const moved = this.bytes().slice(this.linear.length, this.linear.length + delta);
    if (lin) this.meter.linearize += delta;
    else this.meter.pull += delta;
    let left = delta;
    let i = 0;
    while (i < this.frags.length && this.frags[i]!.bytes.length <= left) {
      left -= this.frags[i]!.bytes.length;
      this.frags[i]!.page.refs--;
      i++;
    }
    if (i < this.frags.length && left > 0) {
      const f = this.frags[i]!;
      f.bytes = f.bytes.slice(left);
      left = 0;
    }
    this.frags.splice(0, i);
    if (left > 0) {
      let j = 0;
      while (left > 0 && j < this.fragList.length && this.fragList[j]!.model.len <= left) {
        left -= this.fragList[j]!.model.len;
        j++;
      }
      if (left > 0) {
        const c = this.privateChild(j);
        c.mayPull(left);
        c.pull(left);
      }
      for (let k = 0; k < j; k++) SkbModel.dropChild(this.fragList[k]!);
      this.fragList.splice(0, j);
    }
    for (const b of moved) this.linear.push(b);
    if (this.dataLen === 0) {
      this.truncFrags(0);
      this.truncFragList(0);
    }
  }

  /** `mayPull(n)`: returns the boolean result. */
  mayPull(n: number): boolean {
    const headlen = this.linear.length;
    if (n <= headlen) return true;
    if (n > this.len) return false;
    this.pullTail(n - headlen, SKB_PULL_SLACK, false);
    return true;
  }

  /** `linearize()` */
  linearize(): void {
    if (this.dataLen !== 0) this.pullTail(this.dataLen, 0, true);
  }

  /** `clone()` (and `setDataPart` onto a fresh head) */
  clone(): SkbModel {
    const n = new SkbModel(this.cap, this.meter);
    n.headroom = this.headroom;
    n.linear = this.linear.slice();
    n.frags = this.frags.map((f) => ({ bytes: f.bytes.slice(), page: f.page }));
    n.fragList = this.fragList; // same shared info: same children
    n.group = this.group;
    this.group.refs++;
    return n;
  }

  /** `copy()`: copies headroom + every packet byte. */
  copy(): SkbModel {
    this.meter.copy += this.headroom + this.len;
    const n = new SkbModel(this.cap + this.dataLen, this.meter);
    n.headroom = this.headroom;
    n.linear = this.bytes();
    return n;
  }

  /** `pskbCopy()`: copies headroom + linear bytes. */
  pskbCopy(): SkbModel {
    this.meter.pskbCopy += this.headroom + this.linear.length;
    const n = new SkbModel(this.cap, this.meter);
    n.headroom = this.headroom;
    n.linear = this.linear.slice();
    n.frags = this.frags.map((f) => {
      f.page.refs++;
      return { bytes: f.bytes.slice(), page: f.page };
    });
    n.fragList = this.fragList.map((c) => {
      c.users++;
      return c;
    });
    return n;
  }

  /** `cowHead(headroom)` */
  cowHead(headroom: number): void {
    const delta = Math.max(0, headroom - this.headroom);
    if (delta > 0 || this.headerCloned) this.expandHead(delta, 0);
  }

  /** `cow(headroom)` */
  cow(headroom: number): void {
    const delta = Math.max(0, headroom - this.headroom);
    if (delta > 0 || this.shared) this.expandHead(delta, 0);
  }

  /** `ensureWritable(n)` */
  ensureWritable(n: number): SkbErrorCode | null {
    if (!this.mayPull(n)) return 'SKB_PULL';
    if (this.shared) this.expandHead(0, 0);
    return null;
  }

  /**
   * `storeBits(offset, bytes)` within the linear part and frags (the model does not
   * predict writes into frag_list children).
   */
  storeBits(offset: number, bytes: ArrayLike<number>): SkbErrorCode | null {
    const end = offset + bytes.length;
    if (this.shared) return 'SKB_SHARED';
    if (bytes.length === 0) return null;
    let pos = this.linear.length;
    for (const f of this.frags) {
      if (pos < end && offset < pos + f.bytes.length && f.page.refs !== 1) return 'SKB_SHARED';
      pos += f.bytes.length;
    }
    this.meter.storeBits += bytes.length;
    for (let k = 0; k < bytes.length; k++) {
      let p = offset + k;
      if (p < this.linear.length) {
        this.linear[p] = bytes[k]!;
        continue;
      }
      p -= this.linear.length;
      for (const f of this.frags) {
        if (p < f.bytes.length) {
          f.bytes[p] = bytes[k]!;
          break;
        }
        p -= f.bytes.length;
      }
    }
    return null;
  }

  /** Every page and child is referenced only by this model (recursively). */
  private exclusive(): boolean {
    if (this.shared) return false;
    for (const f of this.frags) if (f.page.refs !== 1) return false;
    for (const c of this.fragList) if (c.users !== 1 || !c.model.exclusive()) return false;
    return true;
  }

  /** `unshare()` */
  unshare(): void {
    if (this.exclusive()) return;
    const c = this.copy();
    this.dropRef();
    this.group = { refs: 1, payload: 0, hdrLimit: Infinity };
    this.nohdr = false;
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

  /** `free()` of the last `users` reference */
  free(): void {
    this.dropRef();
  }
}
