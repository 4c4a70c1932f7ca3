/**
 * The sk_buff — Linux `include/linux/skbuff.h` and `net/core/skbuff.c`.
 *
 * ## Geometry
 *
 * ```
 *   buf: Uint8Array (linear area, shared by clones through SkbSharedInfo)
 *   ┌──────────────┬─────────────────────────┬──────────────┐
 *   │   headroom   │      linear data        │   tailroom   │
 *   └──────────────┴─────────────────────────┴──────────────┘
 *   head          data                     tail           end   (numeric offsets)
 *                  ◀──── headlen ─────────▶
 *                  ◀──────────────────── len ───────────────────────────────▶
 *                                           + frags[0..nrFrags) → Page bytes
 *                                           + fragList skbs     (dataLen bytes)
 * ```
 *
 * Invariants (checked by the model tests after every operation):
 * - `0 ≤ head ≤ data ≤ tail ≤ end ≤ buf.length`
 * - `headlen = tail - data = len - dataLen`
 * - `dataLen = Σ frags[i].size + Σ fragList[j].len`
 * - `nrFrags ≤ MAX_SKB_FRAGS`
 * - the bytes of the packet are `buf[data, tail)`, then each frag, then each
 *   fragList skb, in order.
 *
 * ## Ownership and sharing
 * - `users` counts references to the head (`skb_get()` / `free()`).
 * - The data (linear buffer + frags + fragList) lives in a shared info with a
 *   `dataref` count. `clone()` makes a new head over the same data and marks both
 *   `cloned`. Writing operations refuse shared data with `SKB_SHARED`: call
 *   `cowHead()` (headers), `unshare()` (everything) or `ensureWritable()` first.
 *   Paged operations (`mayPull`, `linearize`, `trim` into frags) unshare by
 *   themselves, as Linux's `pskb_*` functions do.
 * - `headerRelease()` (`__skb_header_release`) lets a clone push headers into the
 *   shared headroom (the TCP transmit pattern).
 *
 * ## Control block
 * `cb` is a `Float64Array` of {@link SKB_CB_SLOTS} numbers, zeroed on allocation and
 * copied by `clone`/`copy` — Linux's `char cb[48]` scratch area owned by the layer
 * that currently holds the skb. Each layer names its slots once and reads them
 * through typed accessors, e.g.
 * ```ts
 * const SEQ = 0, END_SEQ = 1;                     // tcp's layout of skb.cb
 * export const tcpSkbCb = {
 *   seq: (skb: SkBuff) => skb.cb[SEQ]!,
 *   setSeq: (skb: SkBuff, v: number) => { skb.cb[SEQ] = v; },
 * };
 * ```
 * Doubles represent every u32 (sequence numbers) and millisecond timestamps
 * exactly. For one object-valued item per layer use `cbRef` (cleared likewise).
 *
 * ## Copy meter
 * Every method that copies packet bytes (`putData`, `copyBits`, `storeBits`,
 * `copy`, `pskbCopy`, `expandHead` and the pulls of `mayPull`/`linearize`) adds the
 * number of bytes it moved to its pool's and the process-wide copy counters — one
 * add per call, nothing per byte (see `copy-stats.ts`, `skbStats().bytesCopied`).
 *
 * @module
 */
import { globalCopies, SKB_MAX_HEADER_COPY } from './copy-stats.js';
import { csumBlockAdd, csumPartial, csumSub } from './csum.js';
import { skbThrow } from './errors.js';
import { IpSummed } from './ip-summed.js';
import type { Page } from './page.js';
import { defaultSkbPool, type SkbPool } from './pool.js';
import type { SkbQueue } from './queue.js';
import type { SkbFrag, SkbSharedInfo } from './shinfo.js';

/** Maximum number of page fragments per skb (`MAX_SKB_FRAGS`). */
export const MAX_SKB_FRAGS = 17;
/** Number of numeric control-block slots (`cb`): 12 doubles, room for TCP_SKB_CB-sized state. */
export const SKB_CB_SLOTS = 12;
/** Bytes charged to `truesize` for the head and shared info (`SKB_TRUESIZE` overhead). */
export const SKB_TRUESIZE_OVERHEAD = 576;
/** Extra tailroom `mayPull` adds when it must grow the head (Linux adds 128). */
export const SKB_PULL_SLACK = 128;

/** `truesize` of an skb with a `size`-byte linear area (`SKB_TRUESIZE`). */
export function SKB_TRUESIZE(size: number): number {
  return size + SKB_TRUESIZE_OVERHEAD;
}

/** Called once when the last reference to an skb is freed (`skb->destructor`). */
export type SkbDestructor = (skb: SkBuff) => void;

/** Options of {@link allocSkb}. */
export interface AllocSkbOptions {
  /** Pool to allocate from (default: {@link defaultSkbPool}). */
  pool?: SkbPool | undefined;
}

const EMPTY = new Uint8Array(0);
const NO_FRAGS: readonly SkbFrag[] = Object.freeze([]);
const NO_SKBS: readonly SkBuff[] = Object.freeze([]);

function badInt(n: number): boolean {
  return (n | 0) !== n || n < 0;
}

/**
 * A network buffer (`struct sk_buff`). Obtain with {@link allocSkb}; release with
 * {@link SkBuff.free}. Fields are public for speed; treat geometry fields
 * (`buf`, `head`, `data`, `tail`, `end`, `len`, `dataLen`) as read-only and change
 * them only through the methods.
 */
export class SkBuff {
  // ---- list linkage (sk_buff_head); owned by SkbQueue ----
  /** Next skb in the queue this skb is on (`skb->next`), or null. */
  next: SkBuff | null = null;
  /** Previous skb in the queue (`skb->prev`), or null. */
  prev: SkBuff | null = null;
  /** The queue this skb is on, or null. */
  list: SkbQueue | null = null;

  // ---- geometry ----
  /** The linear area (shared with clones). May be longer than `end`: bytes past `end` are not yours. */
  buf: Uint8Array = EMPTY;
  /** Start of the linear area (offset into `buf`). */
  head = 0;
  /** Start of the packet data. */
  data = 0;
  /** End of the linear data. */
  tail = 0;
  /** End of the linear area. */
  end = 0;
  /** Bytes of packet data: linear + paged + fragList (`skb->len`). */
  len = 0;
  /** Bytes of paged data (frags + fragList) (`skb->data_len`). */
  dataLen = 0;
  /** Memory charged for this skb (`skb->truesize`). */
  truesize = 0;

  // ---- header marks (offsets into buf, -1 = unset) ----
  /** Link-layer header offset into `buf` (`skb->mac_header`), -1 if unset. */
  macHeader = -1;
  /** Network header offset into `buf`, -1 if unset. */
  networkHeader = -1;
  /** Transport header offset into `buf`, -1 if unset. */
  transportHeader = -1;

  // ---- per-layer state ----
  /** Numeric control block owned by the current layer (`skb->cb`), see module doc. */
  readonly cb: Float64Array = new Float64Array(SKB_CB_SLOTS);
  /** One object-valued control-block item for the current layer. */
  cbRef: unknown = null;
  /** Ethertype in host order (`skb->protocol`, e.g. 0x0800). */
  protocol = 0;
  /** The device the packet arrived on / leaves by (opaque here). */
  dev: unknown = null;
  /** The owning socket (opaque here). */
  sk: unknown = null;
  /** Called on the final free (memory uncharging). Cleared by clone/copy. */
  destructor: SkbDestructor | null | undefined = null;
  /** Queueing priority (`skb->priority`). */
  priority = 0;
  /** Timestamp in ms (`skb->tstamp`), 0 = unset. */
  tstamp = 0;
  /** Generic mark (`skb->mark`). */
  mark = 0;
  /** Flow hash (`skb->hash`), 0 = unset. */
  hash = 0;
  /** Packet class (`skb->pkt_type`: 0 HOST, 1 BROADCAST, 2 MULTICAST, 3 OTHERHOST, 4 OUTGOING). */
  pktType = 0;
  /** Checksum state, see {@link IpSummed}. */
  ipSummed: IpSummed = IpSummed.NONE;
  /** COMPLETE: partial sum of the packet from `data` (`skb->csum`). */
  csum = 0;
  /** PARTIAL: offset into `buf` where checksumming starts (`skb->csum_start`, relative to buf). */
  csumStart = 0;
  /** PARTIAL: offset from `csumStart` of the 16-bit checksum field (`skb->csum_offset`). */
  csumOffset = 0;

  // ---- sharing ----
  /** Set on both skbs by `clone()`; the data may be shared (see {@link SkBuff.isCloned}). */
  cloned = false;
  /** This reference promised not to touch the header area (`skb->nohdr`). */
  nohdr = false;
  /** Head reference count (`skb->users`); 0 once freed. */
  users = 0;
  /** The pool this head returns to. */
  readonly pool: SkbPool;
  /** @internal shared info (null for a head without data or a freed head). */
  _sh: SkbSharedInfo | null = null;
  /** @internal debug mode: how many times the pool handed this head out (see `debug.ts`). */
  _gen = 0;
  /** @internal the last `_allocHead` took this head from the pool's cache. */
  _cacheHit = false;

  /** @internal use {@link allocSkb}. */
  constructor(pool: SkbPool) {
    this.pool = pool;
  }

  // ===================================================================== queries

  /** Bytes in the linear part (`skb_headlen`). */
  get headlen(): number {
    return this.tail - this.data;
  }

  /** Bytes between `head` and `data` (`skb_headroom`). */
  headroom(): number {
    return this.data - this.head;
  }

  /** Bytes between `tail` and `end`; 0 when the skb has paged data (`skb_tailroom`). */
  tailroom(): number {
    return this.dataLen !== 0 ? 0 : this.end - this.tail;
  }

  /** Has paged data (`skb_is_nonlinear`). */
  isNonlinear(): boolean {
    return this.dataLen !== 0;
  }

  /** The data is shared with another skb (`skb_cloned`). */
  isCloned(): boolean {
    return this.cloned && this._sh !== null && this._sh.dataref !== 1;
  }

  /**
   * Writing in front of `data` (a `push`) would touch bytes another reference may
   * use (`skb_header_cloned`): the data is shared and either another reference has
   * not released its header (`headerRelease`), or this one has, or the bytes in
   * front of `data` are payload of a header-released reference.
   */
  headerCloned(): boolean {
    const sh = this._sh;
    if (!this.cloned || sh === null || sh.dataref === 1) return false;
    return sh.dataref - sh.payloadRefs !== 1 || this.nohdr || this.data > sh.hdrLimit;
  }

  /** The head has more than one user (`skb_shared`). */
  shared(): boolean {
    return this.users > 1;
  }

  /** Data reference count of the shared info (`dataref`), 0 for a head without data. */
  get dataref(): number {
    return this._sh === null ? 0 : this._sh.dataref;
  }

  /** Paged fragments (`skb_shinfo(skb)->frags`), `nrFrags` long. Do not mutate. */
  get frags(): readonly SkbFrag[] {
    return this._sh === null ? NO_FRAGS : this._sh.frags;
  }

  /** Number of paged fragments (`nr_frags`). */
  get nrFrags(): number {
    return this._sh === null ? 0 : this._sh.frags.length;
  }

  /** Chained skbs (`frag_list`). Do not mutate. */
  get fragList(): readonly SkBuff[] {
    return this._sh === null ? NO_SKBS : this._sh.fragList;
  }

  /** GSO segment size (`skb_shinfo(skb)->gso_size`), 0 = not GSO. */
  get gsoSize(): number {
    return this._sh === null ? 0 : this._sh.gsoSize;
  }
  set gsoSize(v: number) {
    this.need().gsoSize = v;
  }
  /** GSO segment count (`gso_segs`). */
  get gsoSegs(): number {
    return this._sh === null ? 0 : this._sh.gsoSegs;
  }
  set gsoSegs(v: number) {
    this.need().gsoSegs = v;
  }
  /** GSO type bits (`gso_type`). */
  get gsoType(): number {
    return this._sh === null ? 0 : this._sh.gsoType;
  }
  set gsoType(v: number) {
    this.need().gsoType = v;
  }

  /** The linear data `buf[data, tail)` as a view (no copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(this.data, this.tail);
  }

  /** A `DataView` over the linear data (no copy). */
  dataView(): DataView {
    return new DataView(this.buf.buffer, this.buf.byteOffset + this.data, this.tail - this.data);
  }

  // ============================================================== header marks

  /** `skb_reset_mac_header`: mac header = data. */
  resetMacHeader(): void {
    this.macHeader = this.data;
  }
  /** `skb_reset_network_header`: network header = data. */
  resetNetworkHeader(): void {
    this.networkHeader = this.data;
  }
  /** `skb_reset_transport_header`: transport header = data. */
  resetTransportHeader(): void {
    this.transportHeader = this.data;
  }
  /** `skb_set_mac_header`: mac header = data + offset. */
  setMacHeader(offset: number): void {
    this.macHeader = this.data + offset;
  }
  /** `skb_set_network_header`: network header = data + offset. */
  setNetworkHeader(offset: number): void {
    this.networkHeader = this.data + offset;
  }
  /** `skb_set_transport_header`: transport header = data + offset. */
  setTransportHeader(offset: number): void {
    this.transportHeader = this.data + offset;
  }
  /** `skb_mac_header_was_set`. */
  macHeaderWasSet(): boolean {
    return this.macHeader >= 0;
  }
  /** `skb_mac_offset`: mac header − data. */
  macOffset(): number {
    return this.macHeader - this.data;
  }
  /** `skb_network_offset`: network header − data. */
  networkOffset(): number {
    return this.networkHeader - this.data;
  }
  /** `skb_transport_offset`: transport header − data. */
  transportOffset(): number {
    return this.transportHeader - this.data;
  }
  /** `skb_network_header_len`: transport header − network header. */
  networkHeaderLen(): number {
    return this.transportHeader - this.networkHeader;
  }
  /** `skb_mac_header_len`: network header − mac header. */
  macHeaderLen(): number {
    return this.networkHeader - this.macHeader;
  }

  // ======================================================== linear operations

  /**
   * Reserve `n` bytes of headroom in an empty buffer (`skb_reserve`).
   * @throws SkbError `SKB_NOT_EMPTY` if the skb holds data, `SKB_OVER` past `end`
   */
  reserve(n: number): void {
    this.need();
    if (badInt(n)) skbThrow('SKB_RANGE', `reserve(${n})`);
    if (this.len !== 0) skbThrow('SKB_NOT_EMPTY', `reserve(${n}) on an skb with ${this.len} bytes`);
    if (this.tail + n > this.end) skbThrow('SKB_OVER', `reserve(${n}) past end (tailroom ${this.end - this.tail})`);
    this.data += n;
    this.tail += n;
  }

  private checkPut(n: number): void {
    this.need();
    if (badInt(n)) skbThrow('SKB_RANGE', `put(${n})`);
    if (this.dataLen !== 0) skbThrow('SKB_NONLINEAR', `put(${n}) on an skb with paged data`);
    if (this.tail + n > this.end) skbThrow('SKB_OVER', `put(${n}) past end (tailroom ${this.end - this.tail})`);
    if (this.cloned && this._sh!.dataref !== 1) skbThrow('SKB_SHARED', `put(${n}) into a shared buffer`);
  }

  /**
   * Extend the data at the tail by `n` bytes (`skb_put`).
   * @returns a view over the added bytes (contents unspecified: fill them)
   * @throws SkbError `SKB_OVER`, `SKB_NONLINEAR`, `SKB_SHARED`, `SKB_FREED`
   */
  put(n: number): Uint8Array {
    this.checkPut(n);
    const t = this.tail;
    this.tail = t + n;
    this.len += n;
    return this.buf.subarray(t, t + n);
  }

  /** Like {@link SkBuff.put} but returns the offset (into `buf`) of the added bytes: no view allocated. */
  putOff(n: number): number {
    this.checkPut(n);
    const t = this.tail;
    this.tail = t + n;
    this.len += n;
    return t;
  }

  /**
   * Unchecked `put` (`__skb_put`). Caller guarantees: not freed, linear,
   * not shared, `n ≤ tailroom()`.
   * @returns offset into `buf` of the added bytes
   */
  putUnchecked(n: number): number {
    const t = this.tail;
    this.tail = t + n;
    this.len += n;
    return t;
  }

  /**
   * Append a copy of `src` (`skb_put_data`). Meter: `src.length` bytes (`putData`).
   * @returns offset into `buf` where the bytes were written
   */
  putData(src: Uint8Array): number {
    const n = src.length;
    const t = this.putOff(n);
    this.buf.set(src, t);
    this.pool._copies.putData += n;
    globalCopies.putData += n;
    return t;
  }

  /** `skb_put_zero`: put `n` zero bytes. @returns offset into `buf` */
  putZero(n: number): number {
    const t = this.putOff(n);
    this.buf.fill(0, t, t + n);
    return t;
  }

  private checkPush(n: number): void {
    this.need();
    if (badInt(n)) skbThrow('SKB_RANGE', `push(${n})`);
    if (this.data - n < this.head) skbThrow('SKB_UNDER', `push(${n}) before head (headroom ${this.data - this.head})`);
    if (this.headerCloned()) {
      skbThrow('SKB_SHARED', `push(${n}) into a shared header area (cowHead first)`);
    }
  }

  /**
   * Extend the data at the head by `n` bytes (`skb_push`).
   * Allowed on a clone only when every other reference released the header
   * (`headerRelease`) and the pushed bytes stay in front of their payload;
   * otherwise call `cowHead(n)` first.
   * @returns a view over the added bytes
   * @throws SkbError `SKB_UNDER`, `SKB_SHARED`, `SKB_FREED`
   */
  push(n: number): Uint8Array {
    this.checkPush(n);
    const d = this.data - n;
    this.data = d;
    this.len += n;
    if (this.nohdr) this.lowerHdrLimit();
    return this.buf.subarray(d, d + n);
  }

  /** Like {@link SkBuff.push} but returns the new `data` offset: no view allocated. */
  pushOff(n: number): number {
    this.checkPush(n);
    this.data -= n;
    this.len += n;
    if (this.nohdr) this.lowerHdrLimit();
    return this.data;
  }

  /** Unchecked push (`__skb_push`). Caller guarantees `n ≤ headroom()` and a private header. */
  pushUnchecked(n: number): number {
    this.data -= n;
    this.len += n;
    if (this.nohdr) this.lowerHdrLimit();
    return this.data;
  }

  /** A header-released reference grew its payload forwards: keep `hdrLimit` at its `data`. */
  private lowerHdrLimit(): void {
    const sh = this._sh!;
    if (this.data < sh.hdrLimit) sh.hdrLimit = this.data;
  }

  /**
   * Remove `n` bytes from the start of the data (`skb_pull`). Only linear bytes can
   * be pulled: call `mayPull(n)` first for headers that may lie in frags.
   * @returns the new `data` offset
   * @throws SkbError `SKB_PULL` if `n > headlen`
   */
  pull(n: number): number {
    this.need();
    if (badInt(n)) skbThrow('SKB_RANGE', `pull(${n})`);
    if (n > this.tail - this.data) {
      skbThrow('SKB_PULL', n > this.len ? `pull(${n}) past len ${this.len}` : `pull(${n}) past headlen ${this.tail - this.data} (mayPull first)`);
    }
    this.data += n;
    this.len -= n;
    return this.data;
  }

  /** Unchecked pull (`__skb_pull`). Caller guarantees `n ≤ headlen`. */
  pullUnchecked(n: number): number {
    this.data += n;
    this.len -= n;
    return this.data;
  }

  /**
   * `skb_pull_rcsum`: pull, keeping a CHECKSUM_COMPLETE `csum` valid by
   * subtracting the sum of the pulled bytes.
   */
  pullRcsum(n: number): number {
    if (this.ipSummed === IpSummed.COMPLETE && n <= this.tail - this.data && n >= 0) {
      this.postpullRcsum(this.data, n);
    }
    return this.pull(n);
  }

  /**
   * `skb_postpull_rcsum`: after pulling `len` bytes at `buf` offset `start` yourself,
   * remove them from a CHECKSUM_COMPLETE `csum` (odd lengths handled, as
   * `csum_block_sub` does).
   */
  postpullRcsum(start: number, len: number): void {
    if (this.ipSummed !== IpSummed.COMPLETE) return;
    const rest = csumSub(this.csum, csumPartial(this.buf, start, len, 0));
    // An odd pull shifts the 16-bit word grid of what remains by one byte.
    this.csum = (len & 1) === 0 ? rest : csumBlockAdd(0, rest, 1);
  }

  /**
   * Cut the packet to `len` bytes (`pskb_trim`; also `skb_trim` on linear skbs).
   * Does nothing if `len ≥ this.len`. Trimming into paged data drops/shrinks frags
   * and fragList skbs (unsharing the shared info first if it is shared).
   */
  trim(len: number): void {
    const sh = this.need();
    if (badInt(len)) skbThrow('SKB_RANGE', `trim(${len})`);
    if (len >= this.len) return;
    const headlen = this.tail - this.data;
    if (this.dataLen === 0) {
      this.tail = this.data + len;
      this.len = len;
      return;
    }
    const s = sh.dataref !== 1 ? this.unshareInfo() : sh;
    if (len <= headlen) {
      s.truncFrags(0);
      s.truncFragList(0);
      this.tail = this.data + len;
      this.len = len;
      this.dataLen = 0;
      return;
    }
    let off = headlen;
    const frags = s.frags;
    let i = 0;
    while (i < frags.length && off + frags[i]!.size <= len) off += frags[i++]!.size;
    if (i < frags.length) {
      if (len > off) {
        frags[i]!.size = len - off;
        i++;
      }
      s.truncFrags(i);
      s.truncFragList(0);
    } else {
      const fl = s.fragList;
      let j = 0;
      while (j < fl.length && off + fl[j]!.len <= len) off += fl[j++]!.len;
      if (j < fl.length && len > off) {
        const c = this.privateChild(s, j);
        c.trim(len - off);
        j++;
      }
      s.truncFragList(j);
    }
    this.len = len;
    this.dataLen = len - headlen;
  }

  /** `pskb_trim_rcsum`: trim, dropping a CHECKSUM_COMPLETE state that no longer matches. */
  trimRcsum(len: number): void {
    if (len < this.len && this.ipSummed === IpSummed.COMPLETE) this.ipSummed = IpSummed.NONE;
    this.trim(len);
  }

  // ============================================================ paged data

  /**
   * Append a page fragment (`skb_add_rx_frag`). The skb takes over ONE reference
   * of the caller to `page` (call `page.get()` first to keep your own).
   *
   * @param page - the page
   * @param off - offset in `page.bytes`
   * @param size - number of bytes
   * @param truesize - memory to charge (default `size`)
   * @throws SkbError `SKB_FRAGS_FULL` at {@link MAX_SKB_FRAGS}, `SKB_SHARED` on shared data,
   *   `SKB_RANGE` if the range is outside the page
   */
  addFrag(page: Page, off: number, size: number, truesize: number = size): void {
    const sh = this.need();
    if (badInt(off) || badInt(size) || off + size > page.bytes.length) {
      skbThrow('SKB_RANGE', `addFrag(off ${off}, size ${size}) outside a ${page.bytes.length}-byte page`);
    }
    if (page.refcount <= 0) skbThrow('PAGE_FREED', 'addFrag with a freed page');
    if (sh.dataref !== 1) skbThrow('SKB_SHARED', 'addFrag on shared data');
    if (sh.frags.length >= MAX_SKB_FRAGS) skbThrow('SKB_FRAGS_FULL', `more than ${MAX_SKB_FRAGS} frags`);
    if (sh.fragList.length !== 0) skbThrow('SKB_RANGE', 'addFrag after fragList skbs would reorder data');
    sh.pushFrag(page, off, size);
    this.len += size;
    this.dataLen += size;
    this.truesize += truesize;
  }

  /**
   * Chain `child` after all data (`frag_list`, as `ip_frag_reasm` / GRO do). The
   * parent takes over the caller's reference to `child`; `len`, `dataLen` and
   * `truesize` grow by the child's.
   * @throws SkbError `SKB_SHARED` on shared data, `SKB_QUEUED` if child is on a queue
   */
  appendFragList(child: SkBuff): void {
    const sh = this.need();
    child.need();
    if (child === this || child.contains(this)) skbThrow('SKB_RANGE', 'appendFragList would create a cycle');
    if (child.list !== null) skbThrow('SKB_QUEUED', 'appendFragList of a queued skb');
    if (sh.dataref !== 1) skbThrow('SKB_SHARED', 'appendFragList on shared data');
    sh.fragList.push(child);
    this.len += child.len;
    this.dataLen += child.len;
    this.truesize += child.truesize;
  }

  /** `skb` is somewhere in this skb's fragList tree. */
  private contains(skb: SkBuff): boolean {
    const sh = this._sh;
    if (sh === null) return false;
    for (const c of sh.fragList) if (c === skb || c.contains(skb)) return true;
    return false;
  }

  /**
   * Make sure the first `n` bytes are linear (`pskb_may_pull`), pulling them out of
   * frags/fragList into the linear area (growing it, and unsharing it, if needed).
   * Meter: the `n - headlen` bytes pulled (`pull`), plus any reallocation (`expandHead`).
   * @returns false if the packet has fewer than `n` bytes (nothing changes)
   */
  mayPull(n: number): boolean {
    this.need();
    if (badInt(n)) skbThrow('SKB_RANGE', `mayPull(${n})`);
    const headlen = this.tail - this.data;
    if (n <= headlen) return true;
    if (n > this.len) return false;
    this.pullTail(n - headlen, SKB_PULL_SLACK, false);
    return true;
  }

  /**
   * Move all paged data into the linear area (`skb_linearize`).
   * Meter: the `dataLen` bytes pulled (`linearize`), plus any reallocation (`expandHead`).
   */
  linearize(): void {
    this.need();
    if (this.dataLen !== 0) this.pullTail(this.dataLen, 0, true);
  }

  /**
   * `__pskb_pull_tail`: move `delta` bytes from the paged part to the linear tail,
   * metered as `linearize` (`lin`) or `pull` bytes.
   */
  private pullTail(delta: number, slack: number, lin: boolean): void {
    const eat = this.tail + delta - this.end;
    if (eat > 0 || this._sh!.dataref !== 1) this.expandHead(0, eat > 0 ? eat + slack : 0);
    const sh = this._sh!;
    const frags = sh.frags;
    // Prepare a partially consumed fragList child first (it may need memory): if that
    // fails, nothing of this skb's content has changed.
    let fragBytes = 0;
    for (let k = 0; k < frags.length; k++) fragBytes += frags[k]!.size;
    if (delta > fragBytes) {
      const fl = sh.fragList;
      let rest = delta - fragBytes;
      let j = 0;
      while (rest > 0 && j < fl.length && fl[j]!.len <= rest) rest -= fl[j++]!.len;
      if (rest > 0) {
        const c = this.privateChild(sh, j);
        if (rest > c.headlen) c.mayPull(rest);
      }
    }
    this.copyOut(this.tail - this.data, this.buf, delta, this.tail);
    if (lin) {
      this.pool._copies.linearize += delta;
      globalCopies.linearize += delta;
    } else {
      this.pool._copies.pull += delta;
      globalCopies.pull += delta;
    }
    let left = delta;
    let i = 0;
    while (i < frags.length && frags[i]!.size <= left) {
      left -= frags[i]!.size;
      frags[i]!.page.put();
      i++;
    }
    if (i < frags.length && left > 0) {
      const f = frags[i]!;
      f.off += left;
      f.size -= left;
      left = 0;
    }
    sh.shiftFrags(i);
    if (left > 0) {
      const fl = sh.fragList;
      let j = 0;
      while (left > 0 && j < fl.length && fl[j]!.len <= left) {
        left -= fl[j]!.len;
        j++;
      }
      if (left > 0) fl[j]!.pull(left); // made private and linear enough above
      // Free fully consumed children and close the gap.
      for (let k = 0; k < j; k++) fl[k]!.free();
      fl.splice(0, j);
    }
    this.tail += delta;
    this.dataLen -= delta;
    if (this.dataLen === 0) {
      // Only empty frags / fragList skbs can remain: drop them, the skb is linear now.
      sh.truncFrags(0);
      sh.truncFragList(0);
    }
  }

  /** Make fragList child `j` exclusively ours (clone it if its head is shared), as Linux does. */
  private privateChild(sh: SkbSharedInfo, j: number): SkBuff {
    const c = sh.fragList[j]!;
    if (c.users === 1) return c;
    const n = c.clone();
    c.free();
    sh.fragList[j] = n;
    return n;
  }

  /** Give this skb a private shared info (copy of linear + refs to frags). */
  private unshareInfo(): SkbSharedInfo {
    this.expandHead(0, 0);
    return this._sh!;
  }

  // ===================================================== copying bytes out/in

  /**
   * Copy `len` packet bytes starting at `offset` into `dst` at `dstOff`, across
   * linear data, frags and fragList (`skb_copy_bits`). Meter: `len` bytes (`copyBits`).
   * @throws SkbError `SKB_RANGE` if the ranges are out of bounds
   */
  copyBits(offset: number, dst: Uint8Array, len: number, dstOff = 0): void {
    this.need();
    if (badInt(offset) || badInt(len) || badInt(dstOff) || offset + len > this.len || dstOff + len > dst.length) {
      skbThrow('SKB_RANGE', `copyBits(${offset}, len ${len}) of a ${this.len}-byte skb into ${dst.length} bytes at ${dstOff}`);
    }
    this.copyOut(offset, dst, len, dstOff);
    this.pool._copies.copyBits += len;
    globalCopies.copyBits += len;
  }

  /**
   * Copy the first `len` linear bytes (from `data`) into `dst` at `dstOff`: the
   * protocol headers a new head needs (software GSO's segments, a GRO merge head;
   * Linux `skb_copy_from_linear_data`). Meter: `len` bytes under `headers`, which
   * `payloadBytesCopied` leaves out, so it is bounded to linear bytes and to
   * {@link SKB_MAX_HEADER_COPY}.
   * @throws SkbError `SKB_RANGE` if `len` exceeds `headlen`, `SKB_MAX_HEADER_COPY` or `dst`
   */
  copyHeaders(dst: Uint8Array, len: number, dstOff = 0): void {
    this.need();
    if (badInt(len) || badInt(dstOff) || len > this.tail - this.data || len > SKB_MAX_HEADER_COPY || dstOff + len > dst.length) {
      skbThrow('SKB_RANGE', `copyHeaders(len ${len}) of a ${this.tail - this.data}-byte linear area into ${dst.length} bytes at ${dstOff} (at most ${SKB_MAX_HEADER_COPY})`);
    }
    const s = this.data;
    if (len < 16) for (let i = 0; i < len; i++) dst[dstOff + i] = this.buf[s + i]!;
    else dst.set(this.buf.subarray(s, s + len), dstOff);
    this.pool._copies.headers += len;
    globalCopies.headers += len;
  }

  /** copyBits without argument checks or closures (the hot path of readers). */
  private copyOut(offset: number, dst: Uint8Array, len: number, dstOff: number): void {
    const headlen = this.tail - this.data;
    if (offset < headlen) {
      const n = Math.min(headlen - offset, len);
      const s = this.data + offset;
      if (n < 16) for (let i = 0; i < n; i++) dst[dstOff + i] = this.buf[s + i]!;
      else dst.set(this.buf.subarray(s, s + n), dstOff);
      len -= n;
      if (len === 0) return;
      dstOff += n;
      offset = headlen;
    }
    const sh = this._sh!;
    let pos = headlen;
    const frags = sh.frags;
    for (let i = 0; i < frags.length; i++) {
      const f = frags[i]!;
      const fend = pos + f.size;
      if (offset < fend) {
        const s = f.off + offset - pos;
        const n = Math.min(fend - offset, len);
        dst.set(f.page.bytes.subarray(s, s + n), dstOff);
        len -= n;
        if (len === 0) return;
        dstOff += n;
        offset = fend;
      }
      pos = fend;
    }
    const fl = sh.fragList;
    for (let j = 0; j < fl.length; j++) {
      const c = fl[j]!;
      const cend = pos + c.len;
      if (offset < cend) {
        const n = Math.min(cend - offset, len);
        c.copyOut(offset - pos, dst, n, dstOff);
        len -= n;
        if (len === 0) return;
        dstOff += n;
        offset = cend;
      }
      pos = cend;
    }
  }

  /**
   * Write `src` into the packet at `offset` (`skb_store_bits`), across frags.
   * Stricter than Linux: refuses (before writing anything) if the data, a touched
   * frag's page (refcount > 1) or a touched fragList skb is shared.
   * Meter: `src.length` bytes (`storeBits`).
   * @throws SkbError `SKB_SHARED` if the data is shared, `SKB_RANGE` out of bounds
   */
  storeBits(offset: number, src: Uint8Array): void {
    const sh = this.need();
    const len = src.length;
    if (badInt(offset) || offset + len > this.len) skbThrow('SKB_RANGE', `storeBits(${offset}, len ${len}) of ${this.len}`);
    if (sh.dataref !== 1 || !this.privateRange(offset, len)) skbThrow('SKB_SHARED', 'storeBits into shared data');
    this.pool._copies.storeBits += len;
    globalCopies.storeBits += len;
    let p = 0;
    this.walk(offset, len, (b, s, e) => {
      b.set(src.subarray(p, p + e - s), s);
      p += e - s;
    });
  }

  /** The data area, every frag page and every fragList skb (recursively) are referenced only by us. */
  private exclusive(): boolean {
    const sh = this._sh!;
    if (sh.dataref !== 1) return false;
    for (const f of sh.frags) if (f.page.refcount !== 1) return false;
    for (const c of sh.fragList) if (c.users !== 1 || !c.exclusive()) return false;
    return true;
  }

  /** Every frag page / fragList skb touched by `[offset, offset + len)` is exclusively ours. */
  private privateRange(offset: number, len: number): boolean {
    if (len === 0) return true;
    const sh = this._sh!;
    let pos = this.tail - this.data;
    const end = offset + len;
    for (const f of sh.frags) {
      if (pos < end && offset < pos + f.size && f.page.refcount !== 1) return false;
      pos += f.size;
    }
    for (const c of sh.fragList) {
      if (pos < end && offset < pos + c.len) {
        if (c.users !== 1 || c.dataref !== 1) return false;
        if (!c.privateRange(Math.max(0, offset - pos), Math.min(end, pos + c.len) - Math.max(offset, pos))) return false;
      }
      pos += c.len;
    }
    return true;
  }

  /**
   * Call `fn(bytes, start, end)` for each contiguous chunk of the packet range
   * `[offset, offset + len)` in order — linear part, frags, then fragList skbs —
   * without copying or allocating. Return `false` from `fn` to stop early.
   * @returns false if stopped early
   */
  forEachChunk(offset: number, len: number, fn: (bytes: Uint8Array, start: number, end: number) => boolean | void): boolean {
    this.need();
    if (badInt(offset) || badInt(len) || offset + len > this.len) {
      skbThrow('SKB_RANGE', `forEachChunk(${offset}, ${len}) of ${this.len}`);
    }
    return this.walk(offset, len, fn);
  }

  /**
   * Iterate the contiguous chunks of `[offset, offset + len)` as views (no copy) —
   * the zero-copy reader's interface (`skb_seq_read` style).
   */
  *chunks(offset = 0, len: number = this.len - offset): Generator<Uint8Array, void, undefined> {
    this.need();
    if (badInt(offset) || badInt(len) || offset + len > this.len) {
      skbThrow('SKB_RANGE', `chunks(${offset}, ${len}) of ${this.len}`);
    }
    const out: Uint8Array[] = [];
    this.walk(offset, len, (b, s, e) => {
      out.push(b.subarray(s, e));
    });
    yield* out;
  }

  private walk(offset: number, len: number, fn: (bytes: Uint8Array, start: number, end: number) => boolean | void): boolean {
    if (len === 0) return true;
    const headlen = this.tail - this.data;
    if (offset < headlen) {
      const n = Math.min(headlen - offset, len);
      if (fn(this.buf, this.data + offset, this.data + offset + n) === false) return false;
      len -= n;
      if (len === 0) return true;
      offset = headlen;
    }
    const sh = this._sh!;
    let pos = headlen;
    const frags = sh.frags;
    for (let i = 0; i < frags.length; i++) {
      const f = frags[i]!;
      const fend = pos + f.size;
      if (offset < fend) {
        const s = offset - pos;
        const n = Math.min(f.size - s, len);
        if (fn(f.page.bytes, f.off + s, f.off + s + n) === false) return false;
        len -= n;
        if (len === 0) return true;
        offset = fend;
      }
      pos = fend;
    }
    const fl = sh.fragList;
    for (let j = 0; j < fl.length; j++) {
      const c = fl[j]!;
      const cend = pos + c.len;
      if (offset < cend) {
        const s = offset - pos;
        const n = Math.min(c.len - s, len);
        if (!c.walk(s, n, fn)) return false;
        len -= n;
        if (len === 0) return true;
        offset = cend;
      }
      pos = cend;
    }
    return true;
  }

  // ================================================================= sharing

  /** Take another reference to the head (`skb_get`). @returns this */
  get(): this {
    this.need();
    this.users++;
    return this;
  }

  /**
   * New head over the same data (`skb_clone`): `dataref` + 1, both marked
   * `cloned`. Header fields and `cb` are copied; `sk` and `destructor` are not.
   */
  clone(): SkBuff {
    const sh = this.need();
    const n = this.pool._allocHead();
    this.copyHeader(n, 0);
    n.buf = this.buf;
    n.head = this.head;
    n.data = this.data;
    n.tail = this.tail;
    n.end = this.end;
    n.len = this.len;
    n.dataLen = this.dataLen;
    n.truesize = this.truesize;
    n._sh = sh;
    sh.dataref++;
    n.cloned = true;
    this.cloned = true;
    return n;
  }

  /**
   * Full private, linear copy (`skb_copy`): headroom and all data copied into a
   * new buffer of `(end - head) + dataLen` bytes. Meter: headroom + `len` bytes (`copy`).
   */
  copy(): SkBuff {
    this.need();
    const headroom = this.data - this.head;
    const n = allocSkb(this.end - this.head + this.dataLen, { pool: this.pool });
    n.buf.set(this.buf.subarray(this.head, this.data), 0);
    n.data = headroom;
    this.copyOut(0, n.buf, this.len, headroom);
    this.pool._copies.copy += headroom + this.len;
    globalCopies.copy += headroom + this.len;
    n.tail = headroom + this.len;
    n.len = this.len;
    this.copyHeader(n, headroom - this.data);
    n._sh!.gsoSize = this._sh!.gsoSize;
    n._sh!.gsoSegs = this._sh!.gsoSegs;
    n._sh!.gsoType = this._sh!.gsoType;
    return n;
  }

  /**
   * Copy the linear part, share the paged part (`pskb_copy`): frags take page
   * references, fragList skbs take `users` references. Meter: headroom + headlen
   * bytes (`pskbCopy`).
   */
  pskbCopy(): SkBuff {
    const sh = this.need();
    const n = allocSkb(this.end - this.head, { pool: this.pool });
    const ns = n._sh!;
    const moved = this.tail - this.head;
    n.buf.set(this.buf.subarray(this.head, this.tail), 0);
    this.pool._copies.pskbCopy += moved;
    globalCopies.pskbCopy += moved;
    n.data = this.data - this.head;
    n.tail = this.tail - this.head;
    for (const f of sh.frags) ns.pushFrag(f.page.get(), f.off, f.size);
    for (const c of sh.fragList) ns.fragList.push(c.get());
    n.len = this.len;
    n.dataLen = this.dataLen;
    n.truesize += this.dataLen;
    ns.gsoSize = sh.gsoSize;
    ns.gsoSegs = sh.gsoSegs;
    ns.gsoType = sh.gsoType;
    this.copyHeader(n, -this.head);
    return n;
  }

  /**
   * Reallocate the linear area with `nhead` more bytes of headroom and `ntail` more
   * of tailroom (`pskb_expand_head`). The new data is private: frags take page
   * references (or move, if this was the only reference), the skb is no longer
   * `cloned`. Header marks and `csumStart` move with the data.
   * Meter: headroom + headlen bytes moved (`expandHead`), also when called by
   * `cow`, `cowHead`, `ensureWritable`, `trim`, `mayPull` or `linearize`.
   */
  expandHead(nhead: number, ntail: number): void {
    const old = this.need();
    if (badInt(nhead) || badInt(ntail)) skbThrow('SKB_RANGE', `expandHead(${nhead}, ${ntail})`);
    const osize = this.end - this.head;
    const size = osize + nhead + ntail;
    const ns = this.pool._allocData(size);
    ns.buf.set(this.buf.subarray(this.head, this.tail), nhead);
    const moved = this.tail - this.head;
    this.pool._copies.expandHead += moved;
    globalCopies.expandHead += moved;
    const delta = nhead - this.head;
    const exclusive = old.dataref === 1;
    for (const f of old.frags) ns.pushFrag(exclusive ? f.page : f.page.get(), f.off, f.size);
    for (const c of old.fragList) ns.fragList.push(exclusive ? c : c.get());
    ns.gsoSize = old.gsoSize;
    ns.gsoSegs = old.gsoSegs;
    ns.gsoType = old.gsoType;
    if (exclusive) {
      // Ownership moved to `ns`: empty the old info without dropping references.
      old.shiftFrags(old.frags.length);
      old.fragList.length = 0;
    }
    this.releaseData();
    this._sh = ns;
    this.buf = ns.buf;
    this.head = 0;
    this.data += delta;
    this.tail += delta;
    this.end = size;
    if (this.macHeader >= 0) this.macHeader += delta;
    if (this.networkHeader >= 0) this.networkHeader += delta;
    if (this.transportHeader >= 0) this.transportHeader += delta;
    if (this.ipSummed === IpSummed.PARTIAL) this.csumStart += delta;
    if (this.sk === null || this.sk === undefined) this.truesize += size - osize;
    this.cloned = false;
    this.nohdr = false;
  }

  /**
   * Make the header area writable with at least `headroom` bytes of headroom
   * (`skb_cow_head`): reallocates only if the headroom is too small or the header
   * is shared.
   */
  cowHead(headroom = 0): void {
    this.need();
    if (badInt(headroom)) skbThrow('SKB_RANGE', `cowHead(${headroom})`);
    const delta = Math.max(0, headroom - (this.data - this.head));
    if (delta > 0 || this.headerCloned()) this.expandHead(delta, 0);
  }

  /**
   * Like {@link SkBuff.cowHead} but unshares whenever the data is shared at all
   * (`skb_cow`): afterwards the linear area is private.
   */
  cow(headroom = 0): void {
    this.need();
    if (badInt(headroom)) skbThrow('SKB_RANGE', `cow(${headroom})`);
    const delta = Math.max(0, headroom - (this.data - this.head));
    if (delta > 0 || this.isCloned()) this.expandHead(delta, 0);
  }

  /**
   * Make the first `writeLen` bytes linear and private (`skb_ensure_writable`).
   * @throws SkbError `SKB_PULL` if the packet is shorter than `writeLen`
   */
  ensureWritable(writeLen: number): void {
    if (!this.mayPull(writeLen)) skbThrow('SKB_PULL', `ensureWritable(${writeLen}) of a ${this.len}-byte skb`);
    if (this.isCloned()) this.expandHead(0, 0);
  }

  /**
   * Make all data private and linear if any of it is shared (`skb_unshare`, done
   * in place: this head keeps its identity, the data is replaced by a `copy()`).
   * Stricter than Linux: besides a shared data area (`isCloned()`), a frag page with
   * other references or a shared fragList skb also triggers the copy, so
   * `storeBits` anywhere succeeds afterwards.
   * @returns this
   */
  unshare(): this {
    this.need();
    if (this.exclusive()) return this;
    const n = this.copy();
    this.releaseData();
    this._sh = n._sh;
    this.buf = n.buf;
    this.head = n.head;
    this.data = n.data;
    this.tail = n.tail;
    this.end = n.end;
    this.len = n.len;
    this.dataLen = n.dataLen;
    this.macHeader = n.macHeader;
    this.networkHeader = n.networkHeader;
    this.transportHeader = n.transportHeader;
    this.csumStart = n.csumStart;
    if (this.sk === null || this.sk === undefined) this.truesize = n.truesize;
    this.cloned = false;
    this.nohdr = false;
    n._sh = null;
    n.destroyHead();
    return this;
  }

  /**
   * Point this skb at the data of `orig` (the thesis's `skb_set_data_part`):
   * geometry, `len`, `dataLen`, `truesize` and header marks are copied, `dataref`
   * is incremented, both are marked `cloned`, and this skb's destructor is
   * cleared. Any data this skb had is released first. Used with
   * {@link allocSkbHead} to send a received buffer without copying.
   */
  setDataPart(orig: SkBuff): void {
    if (this.users === 0) skbThrow('SKB_FREED', 'setDataPart on a freed skb');
    const sh = orig.need();
    if (orig === this) skbThrow('SKB_RANGE', 'setDataPart(self)');
    sh.dataref++;
    if (this._sh !== null) this.releaseData();
    this._sh = sh;
    this.buf = orig.buf;
    this.truesize = orig.truesize;
    this.head = orig.head;
    this.data = orig.data;
    this.tail = orig.tail;
    this.end = orig.end;
    this.len = orig.len;
    this.dataLen = orig.dataLen;
    this.macHeader = orig.macHeader;
    this.networkHeader = orig.networkHeader;
    this.transportHeader = orig.transportHeader;
    this.cloned = true;
    this.destructor = null;
    this.nohdr = false;
    orig.cloned = true;
  }

  /**
   * Promise that this reference will not touch the header area any more, so a
   * clone may push headers into the shared headroom (`__skb_header_release`).
   */
  headerRelease(): void {
    const sh = this.need();
    if (this.nohdr) return;
    this.nohdr = true;
    sh.payloadRefs++;
    if (this.data < sh.hdrLimit) sh.hdrLimit = this.data;
  }

  /** Run and clear the destructor, drop the socket (`skb_orphan`). */
  orphan(): void {
    const d = this.destructor;
    if (d) {
      this.destructor = null;
      d(this);
    }
    this.sk = null;
  }

  /**
   * Drop a reference (`kfree_skb` / `consume_skb`). On the last one the
   * destructor runs, the data reference is dropped (data, pages and fragList skbs
   * return to their pools when `dataref` reaches 0) and the head returns to its pool.
   * @throws SkbError `SKB_FREED` on a double free, `SKB_QUEUED` if the last reference
   *   is dropped while the skb is still on a queue
   */
  free(): void {
    if (this.users <= 0) skbThrow('SKB_FREED', 'free() of a freed skb (double free)');
    if (this.users > 1) {
      this.users--; // an extra reference (skb_get) may be dropped while queued
      return;
    }
    if (this.list !== null) skbThrow('SKB_QUEUED', 'free() of an skb still on a queue (unlink it first)');
    this.users = 0;
    const d = this.destructor;
    if (d) {
      this.destructor = null;
      d(this);
    }
    if (this._sh !== null) this.releaseData();
    this.destroyHead();
  }

  // ================================================================ internals

  /** @internal the shared info, throwing SKB_FREED / SKB_NO_DATA. */
  need(): SkbSharedInfo {
    const sh = this._sh;
    if (sh === null) {
      if (this.users <= 0) skbThrow('SKB_FREED', 'use of a freed skb');
      skbThrow('SKB_NO_DATA', 'skb head without data (setDataPart first)');
    }
    return sh;
  }

  /** Drop this head's data reference. */
  private releaseData(): void {
    const sh = this._sh!;
    this._sh = null;
    if (this.nohdr && --sh.payloadRefs === 0) sh.hdrLimit = Infinity;
    if (--sh.dataref === 0) {
      sh.releaseAll();
      sh.pool._freeData(sh);
    }
  }

  /** Reset every field and return the head to its pool. */
  private destroyHead(): void {
    this.users = 0;
    this.next = null;
    this.prev = null;
    this.list = null;
    this.buf = EMPTY;
    this.head = 0;
    this.data = 0;
    this.tail = 0;
    this.end = 0;
    this.len = 0;
    this.dataLen = 0;
    this.truesize = 0;
    this.macHeader = -1;
    this.networkHeader = -1;
    this.transportHeader = -1;
    const cb = this.cb;
    for (let i = 0; i < SKB_CB_SLOTS; i++) cb[i] = 0;
    this.cbRef = null;
    this.protocol = 0;
    this.dev = null;
    this.sk = null;
    this.destructor = null;
    this.priority = 0;
    this.tstamp = 0;
    this.mark = 0;
    this.hash = 0;
    this.pktType = 0;
    this.ipSummed = IpSummed.NONE;
    this.csum = 0;
    this.csumStart = 0;
    this.csumOffset = 0;
    this.cloned = false;
    this.nohdr = false;
    this.pool._freeHead(this);
  }

  /** `__copy_skb_header`: copy metadata to `n`, shifting buffer offsets by `delta`. */
  private copyHeader(n: SkBuff, delta: number): void {
    n.protocol = this.protocol;
    n.dev = this.dev;
    n.priority = this.priority;
    n.tstamp = this.tstamp;
    n.mark = this.mark;
    n.hash = this.hash;
    n.pktType = this.pktType;
    n.ipSummed = this.ipSummed;
    n.csum = this.csum;
    n.csumStart = this.ipSummed === IpSummed.PARTIAL ? this.csumStart + delta : this.csumStart;
    n.csumOffset = this.csumOffset;
    const a = this.cb;
    const b = n.cb;
    for (let i = 0; i < SKB_CB_SLOTS; i++) b[i] = a[i]!;
    n.cbRef = this.cbRef;
    n.macHeader = this.macHeader >= 0 ? this.macHeader + delta : -1;
    n.networkHeader = this.networkHeader >= 0 ? this.networkHeader + delta : -1;
    n.transportHeader = this.transportHeader >= 0 ? this.transportHeader + delta : -1;
  }
}

/**
 * Allocate an skb with a `size`-byte linear area (`alloc_skb`): `head = data =
 * tail = 0`, `end = size`, `len = 0`, `users = 1`, `dataref = 1`,
 * `truesize = SKB_TRUESIZE(size)`. Buffer contents are unspecified.
 *
 * @param size - linear area size in bytes
 * @param opts - `{ pool }` (default {@link defaultSkbPool})
 * @throws SkbError `SKB_RANGE` if size is not an integer in `[0, maxAllocSize]`
 *   (64 MiB by default), `SKB_NOMEM` if the pool's `maxLiveBytes`, the engine or an
 *   injected fault refuses the memory; either way the pool's counters are unchanged
 * @example
 * const skb = allocSkb(2048);
 * skb.reserve(54);                          // room for Ethernet + IP + TCP
 * skb.putData(new TextEncoder().encode('hello'));
 * skb.push(20).fill(0);                      // a header
 * skb.free();
 */
export function allocSkb(size: number, opts?: AllocSkbOptions): SkBuff {
  const pool = opts?.pool ?? defaultSkbPool;
  const skb = pool._allocHead();
  let sh: SkbSharedInfo;
  try {
    sh = pool._allocData(size);
  } catch (e) {
    pool._unallocHead(skb); // counters exactly as before the call
    throw e;
  }
  skb._sh = sh;
  skb.buf = sh.buf;
  skb.end = size;
  skb.truesize = size + SKB_TRUESIZE_OVERHEAD;
  return skb;
}

/**
 * Allocate a head without data (the thesis's `__alloc_skb_wo_data`), to be pointed
 * at another skb's data with {@link SkBuff.setDataPart}. Data operations on it
 * throw `SKB_NO_DATA` until then; `free()` is allowed.
 */
export function allocSkbHead(opts?: AllocSkbOptions): SkBuff {
  const pool = opts?.pool ?? defaultSkbPool;
  const skb = pool._allocHead();
  skb.truesize = SKB_TRUESIZE_OVERHEAD;
  return skb;
}

