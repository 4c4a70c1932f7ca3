/**
 * `TapDevice` — a {@link NetDevice} backed by a Linux TAP interface
 * (`/dev/net/tun`, `TUNSETIFF` with `IFF_TAP | IFF_NO_PI`), so our stack talks
 * Ethernet with the kernel's own TCP/IP.
 *
 * ## Receive: the fd is the interrupt line, NAPI does the work
 * ```
 *  kernel tap0 ─▶ fd readable ─▶ libuv poll (epoll) ─▶ "IRQ": mask (stop polling), napi.schedule()
 *     ─▶ softirq: napiPoll(budget) ─▶ readIntoBatch: read() into the ring's pages until EAGAIN or budget frames
 *     ─▶ skb per frame (+ virtio-net header → ipSummed/gso*) ─▶ receiveFrame ─▶ [GRO] ─▶ stack
 *     ─▶ under budget: napi complete ─▶ unmask (poll the fd again; level-triggered: no lost wake-up)
 * ```
 * One wake-up reads up to `napiWeight` frames (64) with one native call; the
 * softnet's `netdev_budget` (300) bounds a round, as in Linux. No threadpool
 * read per frame: the fd is non-blocking and watched by the event loop.
 *
 * Each frame is read into its own receive page (a slot of the ring). A frame
 * longer than `rxCopybreak` (256) keeps its page: the skb gets a small head
 * with the protocol headers (copied, metered as `copies.headers`) and the
 * payload as a page fragment, and the slot gets a fresh page from the device's
 * page pool — what a NIC driver does with `build_skb`/`skb_add_rx_frag`, the
 * kernel's copy in `read()` standing for the DMA. Short frames (ACKs, SMTP
 * replies) are copied into an skb and the page stays (Linux's rx_copybreak).
 *
 * ## Transmit: staged, written in batches, without a copy
 * `ndoStartXmit` stages each frame: its virtio-net header (offloads on) in a
 * small per-frame area, and the skb itself, held until written (`txZeroCopy`,
 * the default: the frame goes out with one `writev()` over the header, the
 * skb's linear bytes and its page fragments — the kernel's copy from user
 * memory is the only one, as with a NIC's DMA). An skb with a frag list or more
 * than {@link TAP_MAX_FRAGS} fragments, or every frame with `txZeroCopy: false`,
 * is copied into a staging buffer of `txBufferBytes` (default 1 MiB) and freed.
 * The batch is written with one native call (one `writev()` per frame, until
 * EAGAIN) at the end of an `xmitBatch`, when the batch is full, or in a
 * microtask after the current burst. When the kernel queue is full (EAGAIN)
 * the driver stops its queue, the qdisc holds further frames, and the fd is
 * watched for writability to resume (`netif_wake_queue`).
 *
 * ## Offloads (`offloads: true`)
 * `IFF_VNET_HDR` + `TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)`: the
 * kernel hands us TCP super-frames up to 64 KB with checksums left partial
 * (NEEDS_CSUM → CHECKSUM_PARTIAL, delivered CHECKSUM_UNNECESSARY after the
 * taps, like veth), and takes ours: the device advertises TSO + HW_CSUM, so
 * our TCP sends 64 KB GSO frames that cross in one syscall. Without offloads
 * frames are at most MTU-sized, checksums are computed in software, and GSO
 * segments in software before the device.
 *
 * Bounds: RX staging = `napiWeight` slots of (MTU + 14, or 64 KiB + header
 * with offloads); TX staging `txBufferBytes` and at most `txBatch` frames per
 * write batch; the qdisc holds `txQueueLen` (1000) frames.
 *
 * @module
 */
import { allocSkb, countSkbCopy, PagePool, SKB_MAX_HEADER_COPY, type Page, type SkbPool, type SkBuff } from '@netlayers/skbuff';
import { IpSummed } from '@netlayers/skbuff';
import {
  NETIF_F,
  NetdevTx,
  RingNetDevice,
  safeFree,
  tcpFrameLayout,
  type NetRx,
  type RingNetDeviceOptions,
} from '@netlayers/netdev-ring';
import { tapBinding, UV_READABLE, UV_WRITABLE, type TapBinding } from './binding.js';
import { TapError } from './errors.js';
import { TUN_F, VNET_HDR_LEN, VnetHdr, vnetHdrFromSkb, vnetHdrToSkb, VnetHdrRepr } from './vnet-hdr.js';

/** Options of {@link TapDevice.open}. */
export interface TapDeviceOptions extends Omit<RingNetDeviceOptions, 'type' | 'rxRingSize' | 'features' | 'name'> {
  /** Interface name to attach to or create (default `tap0`; `''` lets the kernel pick `tapN`). */
  ifname?: string;
  /** `IFF_VNET_HDR` + TSO/checksum offloads (default false). */
  offloads?: boolean;
  /** Extra feature flags to clear (e.g. `NETIF_F.GRO`). */
  disableFeatures?: number;
  /** Pool for received skbs (default: the default pool). */
  pool?: SkbPool;
  /** Headroom reserved in received skbs (default 32, `NET_SKB_PAD`). */
  rxHeadroom?: number;
  /** TX staging buffer in bytes (default 1 MiB; at least one maximal frame). */
  txBufferBytes?: number;
  /** Frames per write batch (default 64). */
  txBatch?: number;
  /** Send frames from the skbs' own memory with `writev()` (default true); false copies each into the staging buffer. */
  txZeroCopy?: boolean;
  /** Hand received frames up in their receive page (default true); false copies every frame into an skb. */
  rxZeroCopy?: boolean;
  /** Frames of at most this many bytes are copied into an skb and the page reused (default 256). */
  rxCopybreak?: number;
  /** Keep the event loop alive while the device is up (default true). */
  ref?: boolean;
}

/** Syscall and batching counters of a {@link TapDevice}. */
export interface TapStats {
  /** Poll wake-ups that scheduled NAPI ("interrupts"). */
  rxWakeups: number;
  /** read() calls that returned a frame. */
  rxReads: number;
  /** read() calls that returned EAGAIN (end of a batch). */
  rxEmptyReads: number;
  /** Wire segments received (a GSO frame counts as its segments). */
  rxSegments: number;
  /** Native write batches (one N-API call each). */
  txBatches: number;
  /** write() calls that sent a frame. */
  txWrites: number;
  /** write() batches stopped by EAGAIN (kernel queue full). */
  txEagain: number;
  /** Wire segments sent (a GSO frame counts as its segments). */
  txSegments: number;
  /** Frames written from the skb's own memory (writev, no copy). */
  txZeroCopyFrames: number;
  /** Frames copied into the staging buffer first. */
  txCopiedFrames: number;
  /** Frames handed up in their receive page (headers copied only). */
  rxZeroCopyFrames: number;
  /** Frames copied into an skb (at most `rxCopybreak` bytes, or `rxZeroCopy: false`). */
  rxCopiedFrames: number;
  /** Frames dropped because their virtio-net header was inconsistent. */
  rxBadVnetHdr: number;
}

const MAX_GSO_FRAME = 65535 + 14;
/** Most page fragments a frame sent without a copy may have (the addon's 64 iovecs: header, linear part, frags). */
export const TAP_MAX_FRAGS = 60;

/** A NAPI driver over a TAP file descriptor. */
export class TapDevice extends RingNetDevice {
  /** The kernel's interface name (as `ip link` shows it). */
  readonly ifname: string;
  /** True when opened with `IFF_VNET_HDR` offloads. */
  readonly offloads: boolean;
  /** Syscall / batching counters. */
  readonly tapStats: TapStats = {
    rxWakeups: 0,
    rxReads: 0,
    rxEmptyReads: 0,
    rxSegments: 0,
    txBatches: 0,
    txWrites: 0,
    txEagain: 0,
    txSegments: 0,
    txZeroCopyFrames: 0,
    txCopiedFrames: 0,
    rxZeroCopyFrames: 0,
    rxCopiedFrames: 0,
    rxBadVnetHdr: 0,
  };
  private fd: number;
  private readonly b: TapBinding;
  private readonly watcher: unknown;
  private events = 0;
  private readonly hdr: number;
  private readonly slot: number;
  /** The receive ring: one page per slot, `slot` bytes each. */
  private readonly rxPages: Page[];
  private readonly rxViews: Uint8Array[];
  private readonly rxPagePool: PagePool;
  private readonly rxZeroCopy: boolean;
  private readonly rxCopybreak: number;
  private readonly rxLens: Int32Array;
  private readonly rxHeadroom: number;
  private readonly pool: SkbPool | undefined;
  private readonly txBuf: Uint8Array;
  private readonly txOffs: Int32Array;
  private readonly txLens: Int32Array;
  private readonly txSegs: Int32Array;
  /** Staged skbs (zero-copy frames), null for frames copied into txBuf. */
  private readonly txSkbs: (SkBuff | null)[];
  /** Per-frame virtio-net headers of zero-copy frames. */
  private readonly txHdrs: Uint8Array;
  private readonly txCounts: Int32Array;
  private readonly txViews: Uint8Array[] = [];
  private readonly txZeroCopy: boolean;
  private txCount = 0;
  private txUsed = 0;
  private txHead = 0;
  private flushQueued = false;
  private readonly vh: VnetHdrRepr = { flags: 0, gsoType: 0, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 };
  private readonly flushTask = (): void => {
    this.flushQueued = false;
    this.txFlush();
  };

  private constructor(opts: TapDeviceOptions, fd: number, ifname: string, b: TapBinding) {
    const offloads = opts.offloads ?? false;
    const features =
      (offloads ? NETIF_F.SG | NETIF_F.HW_CSUM | NETIF_F.RXCSUM | NETIF_F.TSO | NETIF_F.GSO : NETIF_F.SG | NETIF_F.GSO | NETIF_F.GRO) &
      ~(opts.disableFeatures ?? 0);
    super({ ...opts, name: ifname, type: 'ether', rxRingSize: 1, features });
    this.fd = fd;
    this.b = b;
    this.ifname = ifname;
    this.offloads = offloads;
    this.hdr = offloads ? VNET_HDR_LEN : 0;
    this.slot = this.hdr + (offloads ? MAX_GSO_FRAME : Math.max(this.mtu + 14 + 4, 1518));
    const weight = this.napi.weight;
    this.rxPagePool = new PagePool({ pageSize: this.slot, maxCached: 4 * weight });
    this.rxPages = Array.from({ length: weight }, () => this.rxPagePool.alloc());
    this.rxViews = this.rxPages.map((p) => p.bytes);
    this.rxLens = new Int32Array(weight);
    this.rxZeroCopy = opts.rxZeroCopy ?? true;
    this.rxCopybreak = opts.rxCopybreak ?? 256;
    if (!Number.isInteger(this.rxCopybreak) || this.rxCopybreak < 0) throw new TapError('ERR_BAD_ARGUMENT', `rxCopybreak must be an integer ≥ 0, got ${this.rxCopybreak}`);
    this.rxHeadroom = opts.rxHeadroom ?? 32;
    this.pool = opts.pool;
    const txBytes = opts.txBufferBytes ?? 1 << 20;
    if (!Number.isInteger(txBytes) || txBytes < this.slot) {
      throw new TapError('ERR_BAD_ARGUMENT', `txBufferBytes must be an integer ≥ ${this.slot}, got ${txBytes}`);
    }
    const txBatch = opts.txBatch ?? 64;
    if (!Number.isInteger(txBatch) || txBatch < 1) throw new TapError('ERR_BAD_ARGUMENT', `txBatch must be ≥ 1, got ${txBatch}`);
    this.txBuf = new Uint8Array(txBytes);
    this.txOffs = new Int32Array(txBatch);
    this.txLens = new Int32Array(txBatch);
    this.txSegs = new Int32Array(txBatch);
    this.txSkbs = new Array<SkBuff | null>(txBatch).fill(null);
    this.txHdrs = new Uint8Array(txBatch * Math.max(this.hdr, 1));
    this.txCounts = new Int32Array(txBatch);
    this.txZeroCopy = opts.txZeroCopy ?? true;
    this.watcher = b.watch(fd, (status, ev) => this.onPoll(status, ev));
    if (opts.ref === false) b.ref(this.watcher, false);
  }

  /**
   * Opens (or creates) TAP interface `ifname` and brings the device up. The
   * kernel side (address, `ip link set up`) is configured with `ip`, outside.
   * @throws TapError `ERR_TAP_UNAVAILABLE` (addon not built), `ERR_TAP_OPEN` (no
   *   `/dev/net/tun`, no CAP_NET_ADMIN, interface busy), `ERR_BAD_ARGUMENT`
   * @example
   * const dev = TapDevice.open({ ifname: 'tap0', offloads: true });
   */
  static open(opts: TapDeviceOptions = {}): TapDevice {
    const b = tapBinding();
    const name = opts.ifname ?? 'tap0';
    if (name.length > 15) throw new TapError('ERR_BAD_ARGUMENT', `interface names have at most 15 bytes: ${name}`);
    const offloads = opts.offloads ?? false;
    let fd: number;
    let ifname: string;
    try {
      [fd, ifname] = b.open(name, offloads ? VNET_HDR_LEN : 0, offloads ? TUN_F.CSUM | TUN_F.TSO4 | TUN_F.TSO6 : 0);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const hint =
        code === 'EPERM' || code === 'EACCES'
          ? ' (needs CAP_NET_ADMIN: run as root, or create the device with `ip tuntap add dev NAME mode tap user $USER`)'
          : code === 'ENOENT'
            ? ' (no /dev/net/tun: modprobe tun)'
            : code === 'EBUSY'
              ? ' (another process holds the interface)'
              : '';
      throw new TapError('ERR_TAP_OPEN', `cannot open TAP ${name}: ${(e as Error).message}${hint}`, code);
    }
    const dev = new TapDevice(opts, fd, ifname, b);
    dev.open();
    return dev;
  }

  // ------------------------------------------------------------ poll watcher

  private setEvents(ev: number): void {
    if (ev === this.events || this.fd < 0) return;
    this.events = ev;
    this.b.setEvents(this.watcher, ev);
  }

  private wantEvents(): number {
    return (this.irqEnabled && this.isUp ? UV_READABLE : 0) | (this.txCount > 0 ? UV_WRITABLE : 0);
  }

  private onPoll(status: number, ev: number): void {
    if (this.fd < 0) return;
    if (status < 0) {
      this.stats.rxErrors++;
      this._error(new TapError('ERR_TAP_IO', `poll on ${this.ifname} failed (libuv status ${status})`));
      return;
    }
    if ((ev & UV_WRITABLE) !== 0 && this.txCount > 0) {
      this.txFlush();
      if (this.txCount === 0) this.netifWakeQueue();
    }
    if ((ev & UV_READABLE) !== 0 && this.irqEnabled) {
      this.tapStats.rxWakeups++;
      this.rxInterrupt(); // masks the "IRQ" and schedules NAPI
    }
    this.setEvents(this.wantEvents());
    // irq_exit → do_softirq: poll right away, in this wake-up.
    this.softnet.doSoftirq();
  }

  protected override napiComplete(): void {
    this.irqEnabled = true;
    this.setEvents(this.wantEvents());
  }

  // ------------------------------------------------------------ receive

  /** NAPI poll: reads up to `budget` frames from the fd. */
  override napiPoll(budget: number): number {
    if (this.fd < 0) return 0;
    const max = Math.min(budget, this.rxLens.length);
    const n = this.b.readIntoBatch(this.fd, this.rxViews, max, this.rxLens);
    if (n < 0) {
      this.stats.rxErrors++;
      this._error(new TapError('ERR_TAP_IO', `read on ${this.ifname} failed: errno ${-n}`));
      return 0;
    }
    this.tapStats.rxReads += n;
    if (n < max) this.tapStats.rxEmptyReads++;
    for (let i = 0; i < n; i++) this.rxOne(i, this.rxLens[i] as number);
    this.groFlush();
    return n;
  }

  private rxOne(i: number, len: number): void {
    const hdr = this.hdr;
    const flen = len - hdr;
    if (flen < 14) {
      this.stats.rxLengthErrors++;
      this.stats.rxErrors++;
      this._countDrop('PKT_TOO_SMALL', 'rx');
      return;
    }
    const page = this.rxPages[i] as Page;
    const b = page.bytes;
    const opt = this.pool ? { pool: this.pool } : undefined;
    let skb: SkBuff;
    const fresh = this.rxZeroCopy && flen > this.rxCopybreak ? this.tryPage() : null;
    if (fresh !== null) {
      // the headers into a small head, the payload stays in the page (which the skb takes)
      const hl = frameHeaderLen(b, hdr, flen);
      skb = allocSkb(this.rxHeadroom + hl, opt);
      skb.reserve(this.rxHeadroom);
      skb.buf.set(b.subarray(hdr, hdr + hl), skb.putUnchecked(hl));
      countSkbCopy(skb, hl, 'headers');
      this.rxPages[i] = fresh;
      this.rxViews[i] = fresh.bytes;
      if (flen > hl) skb.addFrag(page, hdr + hl, flen - hl, b.length);
      else page.put();
      this.tapStats.rxZeroCopyFrames++;
    } else {
      skb = allocSkb(this.rxHeadroom + flen, opt);
      skb.reserve(this.rxHeadroom);
      skb.buf.set(b.subarray(hdr, len), skb.putUnchecked(flen));
      countSkbCopy(skb, flen);
      this.tapStats.rxCopiedFrames++;
    }
    if (hdr > 0 && !vnetHdrToSkb(VnetHdr.newUnchecked(b, 0), skb)) {
      this.tapStats.rxBadVnetHdr++;
      this.stats.rxErrors++;
      this._drop(skb, 'PKT_TOO_SMALL', 'rx');
      return;
    }
    this.tapStats.rxSegments += skb.gsoSize > 0 ? Math.max(1, skb.gsoSegs) : 1;
    this.receiveFrame(skb);
  }

  /** A fresh receive page, or null when the pool cannot give one (the frame is then copied). */
  private tryPage(): Page | null {
    try {
      return this.rxPagePool.alloc();
    } catch {
      return null;
    }
  }

  /**
   * After the taps: a CHECKSUM_PARTIAL frame came from the kernel's memory and
   * is delivered CHECKSUM_UNNECESSARY (veth semantics); a capture still sees it
   * PARTIAL and finishes the sum in its copy.
   */
  protected override deliverRx(skb: SkBuff): NetRx {
    if (skb.ipSummed === IpSummed.PARTIAL) skb.ipSummed = IpSummed.UNNECESSARY;
    return super.deliverRx(skb);
  }

  // ------------------------------------------------------------ transmit

  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    if (this.fd < 0) {
      this._drop(skb, 'NETDEV_DOWN', 'tx');
      return NetdevTx.OK;
    }
    const len = skb.len;
    const isGso = len > this.mtu + this.hardHeaderLen;
    let hdrLen = 0;
    if (isGso) {
      const l = this.offloads ? tcpFrameLayout(skb, this.hardHeaderLen) : null;
      if (l === null || skb.gsoSize === 0) {
        this._drop(skb, 'PKT_TOO_BIG', 'tx');
        return NetdevTx.OK;
      }
      hdrLen = l.payload;
    }
    const need = this.hdr + len;
    if (need > this.slot) {
      this._drop(skb, 'PKT_TOO_BIG', 'tx');
      return NetdevTx.OK;
    }
    const zc = this.txZeroCopy && skb.fragList.length === 0 && skb.nrFrags <= TAP_MAX_FRAGS;
    const room = (): boolean => this.txCount < this.txOffs.length && (zc || this.txUsed + need <= this.txBuf.length);
    if (!room()) {
      this.txFlush();
      if (!room()) {
        this.netifStopQueue();
        this.setEvents(this.wantEvents());
        return NetdevTx.BUSY;
      }
    }
    const i = this.txCount;
    const at = zc ? i * this.hdr : this.txUsed;
    if (this.hdr > 0) {
      if (!vnetHdrFromSkb(skb, this.vh, hdrLen, isGso)) {
        this._drop(skb, 'CSUM_ERROR', 'tx');
        return NetdevTx.OK;
      }
      VnetHdrRepr.emit(this.vh, zc ? this.txHdrs : this.txBuf, at);
    }
    this.txCount++;
    this.txOffs[i] = at;
    this.txLens[i] = need;
    this.txSegs[i] = isGso ? Math.ceil((len - hdrLen) / skb.gsoSize) : 1;
    this.stats.txPackets++;
    this.stats.txBytes += len;
    if (zc) {
      this.txSkbs[i] = skb; // held until written
    } else {
      skb.copyBits(0, this.txBuf, len, at + this.hdr);
      this.txUsed += need;
      safeFree(skb);
    }
    if (this.batchDepth === 0 && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
    return NetdevTx.OK;
  }

  protected override ndoFlush(): void {
    this.txFlush();
  }

  /** Writes the staged frames now (until EAGAIN). @returns frames still staged */
  txFlush(): number {
    if (this.txCount === 0 || this.fd < 0) return this.txCount;
    const head = this.txHead;
    const count = this.txCount - head;
    const views = this.txViews;
    views.length = 0;
    const counts = this.txCounts;
    for (let k = head; k < this.txCount; k++) {
      const v0 = views.length;
      const skb = this.txSkbs[k];
      const at = this.txOffs[k] as number;
      if (skb !== null && skb !== undefined) {
        if (this.hdr > 0) views.push(this.txHdrs.subarray(at, at + this.hdr));
        skb.forEachChunk(0, skb.len, (b, st, e) => {
          views.push(b.subarray(st, e));
        });
      } else {
        views.push(this.txBuf.subarray(at, at + (this.txLens[k] as number)));
      }
      counts[k - head] = views.length - v0;
    }
    const n = this.b.writevBatch(this.fd, views, counts, count);
    views.length = 0;
    this.tapStats.txBatches++;
    if (n < 0) {
      // A hard error (e.g. EIO: the kernel side is down): drop what is staged.
      this.stats.txErrors += count;
      this._error(new TapError('ERR_TAP_IO', `write on ${this.ifname} failed: errno ${-n}`));
      for (let k = 0; k < count; k++) this._countDrop('DRIVER_ERROR', 'tx');
      this.txReset();
      return 0;
    }
    this.tapStats.txWrites += n;
    for (let k = head; k < head + n; k++) {
      this.tapStats.txSegments += this.txSegs[k] as number;
      const skb = this.txSkbs[k];
      if (skb !== null && skb !== undefined) {
        this.txSkbs[k] = null;
        this.tapStats.txZeroCopyFrames++;
        safeFree(skb);
      } else this.tapStats.txCopiedFrames++;
    }
    if (n === count) {
      this.txReset();
      this.setEvents(this.wantEvents());
      return 0;
    }
    this.tapStats.txEagain++;
    this.txHead = head + n;
    this.setEvents(this.wantEvents());
    return count - n;
  }

  /** Empties the staging area; frames not written are dropped (their skbs freed). */
  private txReset(): void {
    for (let k = this.txHead; k < this.txCount; k++) {
      const skb = this.txSkbs[k];
      if (skb !== null && skb !== undefined) safeFree(skb);
      this.txSkbs[k] = null;
    }
    this.txCount = 0;
    this.txHead = 0;
    this.txUsed = 0;
  }

  // ------------------------------------------------------------ lifecycle

  /** The TAP file descriptor (-1 once destroyed). */
  get fileDescriptor(): number {
    return this.fd;
  }

  protected override ndoOpen(): void {
    this.irqEnabled = true;
    this.setEvents(this.wantEvents());
  }

  protected override ndoStop(): void {
    super.ndoStop();
    this.setEvents(this.txCount > 0 ? UV_WRITABLE : 0);
  }

  /**
   * Writes what is staged (best effort), stops the device, closes the watcher
   * and the fd. The kernel interface disappears if it was not persistent.
   * Idempotent.
   */
  destroy(): void {
    if (this.fd < 0) return;
    this.txFlush();
    this.stop();
    this.b.unwatch(this.watcher);
    this.b.close(this.fd);
    this.fd = -1;
    this.txReset();
    for (const p of this.rxPages) p.put();
    this.rxPages.length = 0;
    this.rxViews.length = 0;
  }
}

/**
 * Bytes of protocol headers at the start of an Ethernet frame at `b[off..off+len)`:
 * Ethernet, then IPv4's header, then TCP's (or UDP's) when they are complete —
 * what a driver copies into the head of an skb whose payload stays in a page
 * (Linux `eth_get_headlen`). Never more than `len` nor {@link SKB_MAX_HEADER_COPY}.
 */
export function frameHeaderLen(b: Uint8Array, off: number, len: number): number {
  let hl = 14;
  const type = ((b[off + 12] as number) << 8) | (b[off + 13] as number);
  if (type === 0x0800 && len >= 14 + 20) {
    const ihl = ((b[off + 14] as number) & 0x0f) * 4;
    const frag = (((b[off + 20] as number) & 0x1f) << 8) | (b[off + 21] as number);
    if (ihl >= 20 && len >= 14 + ihl) {
      hl += ihl;
      const proto = b[off + 23] as number;
      if (frag === 0 && proto === 6 && len >= hl + 20) {
        const doff = ((b[off + hl + 12] as number) >> 4) * 4;
        if (doff >= 20 && len >= hl + doff) hl += doff;
      } else if (frag === 0 && proto === 17 && len >= hl + 8) hl += 8;
    }
  }
  return Math.min(hl, len, SKB_MAX_HEADER_COPY);
}
