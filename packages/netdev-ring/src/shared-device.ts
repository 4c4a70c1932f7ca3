/**
 * `SharedRingDevice` — one end of a device pair whose two ends live in
 * different threads (`worker_threads`), connected by two {@link SharedRing}s
 * in shared memory. Frames cross as copied bytes: the sender copies each frame
 * into the ring and frees its skb; the receiver's NAPI poll copies each frame
 * out into a fresh skb from its own pool (the receiver owns it).
 *
 * ```
 *   thread 1                                      thread 2
 *   SharedRingDevice A ──▶ SharedRing aToB ──▶ SharedRingDevice B
 *                      ◀── SharedRing bToA ◀──
 * ```
 *
 * Interrupts are doorbells: when NAPI completes, the device arms its RX
 * doorbell (notification suppression: the peer notifies only then). The
 * thread's event loop calls {@link SharedRingDevice.poll} (cheap: checks both
 * rings) and runs `softnet.doSoftirq()`; when idle it awaits
 * {@link SharedRingDevice.waitForRx} (an `Atomics.waitAsync` on the doorbell).
 * Transmit fills the ring; when it is full the driver stops its queue
 * (`BUSY`), frames accumulate in the qdisc, and `poll()` wakes the queue when
 * the peer has drained enough. {@link NetDevice.xmitBatch} copies a batch and
 * publishes it with one index store and at most one doorbell.
 *
 * Checksums: frame metadata does not cross threads, so CHECKSUM_PARTIAL
 * frames have their checksum finished in software before the copy, and
 * received frames are CHECKSUM_NONE (verified by the stack) unless
 * `rxCsumUnnecessary` is set.
 *
 * @module
 */
import type { TimerService } from '@netlayers/clock';
import { allocSkb, IpSummed, skbPartialCsum, type SkbPool, type SkBuff } from '@netlayers/skbuff';
import { skbChecksumHelp } from './csum-help.js';
import { NetdevError } from './errors.js';
import type { ImpairmentProfile, ImpairmentStats } from './impairment.js';
import { ImpairedLink } from './link.js';
import { NetdevTx, safeFree } from './netdevice.js';
import { RingNetDevice, type RingNetDeviceOptions } from './ring-device.js';
import { SharedRing, type RingFrame, type RingWaitResult, type SharedRingOptions, type SharedRingStats } from './shared-ring.js';

/** The shared memory of a cross-thread link: send it to the other thread with `postMessage`. */
export interface SharedLinkBuffers {
  /** Frames from end A to end B. */
  aToB: SharedArrayBuffer;
  /** Frames from end B to end A. */
  bToA: SharedArrayBuffer;
}

/**
 * Allocates the two rings of a cross-thread device pair.
 * @param opts ring size (default 1 MiB each) and notification suppression (default on)
 */
export function createSharedLink(opts: SharedRingOptions = {}): SharedLinkBuffers {
  return { aToB: SharedRing.create(opts).buffer, bToA: SharedRing.create(opts).buffer };
}

/** Options of {@link SharedRingDevice}. */
export interface SharedRingDeviceOptions extends Omit<RingNetDeviceOptions, 'type' | 'rxRingSize'> {
  /** The link's shared memory (from {@link createSharedLink}). */
  link: SharedLinkBuffers;
  /** Which end this thread is. */
  end: 'a' | 'b';
  /** Pool for received skbs (default: the default pool). */
  pool?: SkbPool;
  /** Headroom reserved in received skbs (default 64). */
  rxHeadroom?: number;
  /** Mark received frames CHECKSUM_UNNECESSARY (default false: the stack verifies). */
  rxCsumUnnecessary?: boolean;
  /** Impairments applied on this end's transmit side (needs `clock` for delays). */
  impairment?: ImpairmentProfile;
  /** Timer service for impairment delays. */
  clock?: TimerService;
}

/** One end of a cross-thread device pair. */
export class SharedRingDevice extends RingNetDevice {
  /** Ring this end transmits into. */
  readonly txShared: SharedRing;
  /** Ring this end receives from. */
  readonly rxShared: SharedRing;
  private readonly pool: SkbPool | undefined;
  private readonly rxHeadroom: number;
  private readonly rxUnnecessary: boolean;
  private readonly link: ImpairedLink | null;
  private readonly pendingSkbs: SkBuff[] = [];
  private readonly pendingViews: RingFrame[] = [];
  private pendingBytes = 0;
  private readonly deliverView = (view: Uint8Array): void => {
    const skb = allocSkb(this.rxHeadroom + view.length, this.pool ? { pool: this.pool } : undefined);
    skb.reserve(this.rxHeadroom);
    skb.buf.set(view, skb.putUnchecked(view.length));
    if (this.rxUnnecessary) skb.ipSummed = IpSummed.UNNECESSARY;
    this.receiveFrame(skb);
  };

  constructor(opts: SharedRingDeviceOptions) {
    super({ name: opts.end === 'a' ? 'shr0' : 'shr1', ...opts, type: 'ether', rxRingSize: 1 });
    const tx = opts.end === 'a' ? opts.link.aToB : opts.link.bToA;
    const rx = opts.end === 'a' ? opts.link.bToA : opts.link.aToB;
    this.txShared = SharedRing.attach(tx);
    this.rxShared = SharedRing.attach(rx);
    if (this.mtu + this.hardHeaderLen > this.txShared.maxFrame) {
      throw new NetdevError(
        'ERR_BAD_ARGUMENT',
        `MTU ${this.mtu} does not fit the shared ring (max frame ${this.txShared.maxFrame}); use a larger byteCapacity`,
      );
    }
    this.pool = opts.pool;
    this.rxHeadroom = opts.rxHeadroom ?? 64;
    this.rxUnnecessary = opts.rxCsumUnnecessary ?? false;
    const imp = opts.impairment;
    if (imp !== undefined && opts.clock === undefined && ((imp.delayMs ?? 0) > 0 || (imp.jitterMs ?? 0) > 0 || (imp.reorder ?? 0) > 0)) {
      throw new NetdevError('ERR_BAD_ARGUMENT', 'delay, jitter and reorder impairments need a clock');
    }
    const link = imp === undefined ? null : new ImpairedLink((skb) => this.writeDelivered(skb), opts.clock, imp);
    this.link = link !== null && link.impairment !== null ? link : null;
  }

  protected override ndoOpen(): void {
    this.rxShared.armDoorbell();
  }

  /** Copies one frame's bytes into the TX ring now; a full ring drops it (impaired path). */
  private writeDelivered(skb: SkBuff): void {
    const bytes = frameBytes(skb);
    if (skb.len > this.txShared.maxFrame || !this.txShared.produce(bytes)) {
      this.stats.txFifoErrors++;
      this._drop(skb, 'RX_RING_FULL', 'tx');
      return;
    }
    safeFree(skb);
  }

  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    if (skb.len > this.txShared.maxFrame) {
      this._drop(skb, 'PKT_TOO_BIG', 'tx');
      return NetdevTx.OK;
    }
    let frame: RingFrame | undefined;
    if (skb.ipSummed === IpSummed.PARTIAL) {
      // The "NIC" finishes the checksum as it reads the frame: into the copy it puts on
      // the ring, never into the skb (which a relayed, cloned skb shares with its reader).
      frame = this.link === null ? framePartial(skb) : undefined;
      if (frame === undefined) {
        if (skb.isCloned()) skb.unshare();
        if (!skbChecksumHelp(skb)) {
          this._drop(skb, 'CSUM_ERROR', 'tx');
          return NetdevTx.OK;
        }
      }
    }
    if (this.link !== null) {
      // Backpressure before the impairment decides (so decisions stay a function of the
      // frames offered): room for the frame and a possible duplicate, or BUSY. Copies the
      // link delivers later (delay/jitter) may still find the ring full: dropped, counted
      // in txFifoErrors.
      if (!this.txShared.canProduce(2 * (skb.len + 8))) {
        this.netifStopQueue();
        return NetdevTx.BUSY;
      }
      skb.orphan();
      this.stats.txPackets++;
      this.stats.txBytes += skb.len;
      this.link.transmit(skb);
      return NetdevTx.OK;
    }
    if (this.batchDepth > 0) {
      // xmit_more: collect, publish once in ndoFlush.
      // Conservative space check for the whole pending batch as one record
      // (≥ the space of separate records, each ≤ 8 bytes of header + padding).
      if (!this.txShared.canProduce(this.pendingBytes + skb.len + 8)) {
        this.ndoFlush();
        if (!this.txShared.canProduce(skb.len)) {
          this.netifStopQueue();
          return NetdevTx.BUSY;
        }
      }
      skb.orphan();
      this.pendingSkbs.push(skb);
      this.pendingViews.push(frame ?? frameBytes(skb));
      this.pendingBytes += skb.len + 8;
      this.stats.txPackets++;
      this.stats.txBytes += skb.len;
      return NetdevTx.OK;
    }
    if (!this.txShared.produce(frame ?? frameBytes(skb))) {
      this.netifStopQueue();
      return NetdevTx.BUSY;
    }
    skb.orphan();
    this.stats.txPackets++;
    this.stats.txBytes += skb.len;
    safeFree(skb);
    return NetdevTx.OK;
  }

  protected override ndoFlush(): void {
    const views = this.pendingViews;
    if (views.length === 0) return;
    let off = 0;
    while (off < views.length) {
      const n = this.txShared.produceBatch(views, off);
      if (n === 0) break; // cannot happen: space was checked when each frame was taken
      off += n;
    }
    for (let i = 0; i < this.pendingSkbs.length; i++) {
      const skb = this.pendingSkbs[i] as SkBuff;
      if (i < off) safeFree(skb);
      else this._drop(skb, 'RX_RING_FULL', 'tx');
    }
    this.pendingSkbs.length = 0;
    views.length = 0;
    this.pendingBytes = 0;
  }

  /** NAPI poll: copies up to `budget` frames out of the shared RX ring and delivers them. */
  override napiPoll(budget: number): number {
    const n = this.rxShared.consumeWith(budget, this.deliverView);
    this.groFlush();
    return n;
  }

  protected override napiComplete(): void {
    this.irqEnabled = true;
    // Arm the doorbell; if frames slipped in meanwhile, take the "interrupt" now.
    if (!this.rxShared.armDoorbell()) this.rxInterrupt();
  }

  /**
   * The event loop's check of the hardware: raises the RX interrupt if frames
   * wait and interrupts are enabled, and wakes the TX queue when the peer made
   * room. Cheap; call it every loop turn.
   * @returns true if there is receive work (a softirq round is pending)
   */
  poll(): boolean {
    if (this.irqEnabled && !this.rxShared.isEmpty) this.rxInterrupt();
    if (this.queueStopped && this.txShared.canProduce(this.mtu + this.hardHeaderLen)) this.netifWakeQueue();
    return this.softnet.pending;
  }

  /** Waits (without blocking the thread) until the peer rings the RX doorbell or `timeoutMs` passes. */
  waitForRx(timeoutMs: number): Promise<RingWaitResult> {
    return this.rxShared.waitForDataAsync(timeoutMs);
  }

  /** Counters of both rings (doorbells rung/suppressed, frames). */
  ringStats(): { tx: SharedRingStats; rx: SharedRingStats } {
    return { tx: this.txShared.stats(), rx: this.rxShared.stats() };
  }

  /** Impairment counters of this end's transmit side. */
  linkStats(): ImpairmentStats | null {
    return this.link === null ? null : this.link.stats();
  }

  /** Stops the device and frees everything it holds (including frames delayed on the link). */
  destroy(): void {
    this.ndoFlush();
    this.stop();
    this.link?.destroy();
  }
}

/**
 * The frame's bytes for the ring: one view for a linear skb, else the views of
 * its linear area, page fragments and frag-list members in order (the ring
 * gathers them, as a NIC's scatter-gather DMA does: no CPU copy here).
 */
function frameBytes(skb: SkBuff): RingFrame {
  if (skb.dataLen === 0) return skb.buf.subarray(skb.data, skb.tail);
  const parts: Uint8Array[] = [];
  gather(skb, parts);
  return parts;
}

/**
 * The frame of a CHECKSUM_PARTIAL skb with its checksum finished in the gather list
 * (the sum over `[csumStart, end)` folded into a 2-byte part replacing the field), or
 * undefined when the field is not in the linear area or the offsets are out of range.
 */
function framePartial(skb: SkBuff): RingFrame | undefined {
  const start = skb.csumStart - skb.data;
  const field = start + skb.csumOffset;
  if (start < 0 || field + 2 > skb.tail - skb.data) return undefined;
  const v = skbPartialCsum(skb);
  const parts: Uint8Array[] = [];
  gather(skb, parts);
  const linear = parts[0]!;
  parts.splice(0, 1, linear.subarray(0, field), new Uint8Array([v >>> 8, v & 0xff]), linear.subarray(field + 2));
  skb.ipSummed = IpSummed.NONE;
  return parts;
}

function gather(skb: SkBuff, parts: Uint8Array[]): void {
  if (skb.tail > skb.data) parts.push(skb.buf.subarray(skb.data, skb.tail));
  for (const f of skb.frags) if (f.size > 0) parts.push(f.page.bytes.subarray(f.off, f.off + f.size));
  for (const m of skb.fragList) gather(m, parts);
}
