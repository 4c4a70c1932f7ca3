/**
 * `DevicePair` — two connected Ethernet devices (Linux `veth`), each end a
 * NAPI driver with an RX ring, the wire between them optionally impaired
 * (loss, duplication, reordering, delay/jitter, corruption, rate limit, MTU
 * clamp; see {@link Impairment}) and optionally paced at a line rate.
 *
 * Data path of one direction (A → B):
 * ```
 *  A.queueXmit ─▶ A.qdisc ─▶ A.ndoStartXmit ─▶ [A.txRing, paced at rateBps] ─▶ link(impairment, timers)
 *        ─▶ B.rxDma ─▶ B.rxRing ─▶ IRQ ─▶ NAPI poll (Softnet.netRxAction) ─▶ B.netifReceiveSkb ─▶ handlers
 * ```
 * Without `rateBps` there is no TX ring: frames go straight onto the wire
 * (like veth). With `rateBps`, the TX ring drains at the line rate; when it is
 * full the driver stops its queue, the qdisc fills, and `queueXmit` reports
 * `CN`/`DROP` to the sender — backpressure as in seed 003 figure 10.
 *
 * Ownership: frames cross as the same skb object (zero copy); the receiver
 * owns what it receives. The transmit side orphans the skb first
 * (`skb_orphan`: its destructor runs, its socket is cleared) and scrubs the
 * per-layer state (`cb`, `cbRef`, header marks, mark, priority), as
 * `dev_forward_skb` does. CHECKSUM_PARTIAL frames arrive as
 * CHECKSUM_UNNECESSARY (the wire is memory; nothing can damage them — unless
 * the corruption impairment flips a bit, in which case the checksum is
 * finished first and the frame arrives CHECKSUM_NONE).
 *
 * Everything is driven by the injected clock and the softnets: nothing happens
 * until the test or event loop advances time and runs softirqs.
 *
 * @module
 */
import type { TimerHandle, TimerService } from '@netlayers/clock';
import { IpSummed, type SkBuff } from '@netlayers/skbuff';
import { NetdevError } from './errors.js';
import type { ImpairmentProfile, ImpairmentStats } from './impairment.js';
import { ImpairedLink } from './link.js';
import { Softnet } from './napi.js';
import { NETIF_F, NetdevTx, type NetRx } from './netdevice.js';
import { Ring } from './ring.js';
import { RingNetDevice, type RingNetDeviceOptions } from './ring-device.js';

/** Options of one end of a {@link DevicePair}. */
export type VethEndOptions = Omit<RingNetDeviceOptions, 'type'>;

/** Options of {@link DevicePair.create}. */
export interface DevicePairOptions {
  /** Timer service for delays and pacing (required with delay/jitter/reorder/rate). */
  clock?: TimerService;
  /** One softnet for both ends (e.g. both ends in one stack). Default: one per end. */
  softnet?: Softnet;
  /** Options of end A (name default `veth0`). */
  a?: VethEndOptions;
  /** Options of end B (name default `veth1`). */
  b?: VethEndOptions;
  /** MTU of both ends (default 1500; per-end options win). */
  mtu?: number;
  /** Features of both ends (default SG | HW_CSUM | RXCSUM | GSO). */
  features?: number;
  /** Impairments in both directions (B→A uses `seed + 1`). */
  impairment?: ImpairmentProfile;
  /** Impairments A→B only (overrides `impairment` for that direction). */
  impairAtoB?: ImpairmentProfile;
  /** Impairments B→A only. */
  impairBtoA?: ImpairmentProfile;
  /** Line rate in bits/s: each end's TX ring drains at this rate (default: unpaced). */
  rateBps?: number;
  /** TX ring entries when paced (default 256). */
  txRingSize?: number;
}

/** One end of a {@link DevicePair} (a veth device). */
export class VethDevice extends RingNetDevice {
  /** The other end. */
  peer: VethDevice | null = null;
  /** @internal this end's outgoing wire. */
  _link: ImpairedLink | null = null;
  private readonly txRing: Ring<SkBuff> | null;
  private readonly rateBps: number;
  private readonly clock: TimerService | undefined;
  private txTimer: TimerHandle | null = null;
  private readonly txWakeThreshold: number;

  constructor(opts: VethEndOptions & { clock?: TimerService | undefined; rateBps?: number | undefined; txRingSize?: number | undefined }) {
    super({ ...opts, type: 'ether' });
    this.clock = opts.clock;
    this.rateBps = opts.rateBps ?? Infinity;
    if (this.rateBps !== Infinity) {
      if (!(this.rateBps > 0)) throw new NetdevError('ERR_BAD_ARGUMENT', `rateBps must be > 0, got ${this.rateBps}`);
      if (this.clock === undefined) throw new NetdevError('ERR_BAD_ARGUMENT', 'a paced DevicePair (rateBps) needs a clock');
    }
    this.txRing = this.rateBps === Infinity ? null : new Ring<SkBuff>(opts.txRingSize ?? 256);
    this.txWakeThreshold = this.txRing ? Math.max(1, this.txRing.capacity >> 2) : 0;
  }

  /** Frames waiting on the TX ring (paced ends only). */
  get txRingSize(): number {
    return this.txRing ? this.txRing.size : 0;
  }

  /** `veth_xmit`. */
  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    const peer = this.peer;
    if (peer === null || !peer.isUp) {
      this._drop(skb, 'PEER_DOWN', 'tx');
      return NetdevTx.OK;
    }
    const ring = this.txRing;
    if (ring !== null) {
      if (ring.isFull) {
        this.netifStopQueue();
        return NetdevTx.BUSY;
      }
      prepareForPeer(skb);
      ring.produce(skb);
      this.stats.txPackets++;
      this.stats.txBytes += skb.len;
      if (ring.isFull) this.netifStopQueue();
      this.kickTx();
      return NetdevTx.OK;
    }
    prepareForPeer(skb);
    this.stats.txPackets++;
    this.stats.txBytes += skb.len;
    (this._link as ImpairedLink).transmit(skb);
    return NetdevTx.OK;
  }

  /**
   * Batched transmit (`xmit_more`). Fast path for the common case — perfect
   * link, unpaced, no taps, peer up, every frame within the MTU and needing no
   * checksum help: the whole burst is scrubbed and placed on the peer's RX ring
   * with one ring operation and at most one interrupt. Anything else takes the
   * generic per-frame path; behaviour and counters are identical either way.
   */
  override xmitBatch(skbs: readonly SkBuff[]): number {
    const peer = this.peer;
    const link = this._link;
    if (
      skbs.length < 2 ||
      this.txRing !== null ||
      link === null ||
      link.impairment !== null ||
      this.hasTaps ||
      !this.isUp ||
      this.queueStopped ||
      peer === null ||
      !peer.isUp
    ) {
      return super.xmitBatch(skbs);
    }
    const limit = this.mtu + this.hardHeaderLen;
    const csumOk = this.hasFeature(NETIF_F.HW_CSUM);
    for (let i = 0; i < skbs.length; i++) {
      const skb = skbs[i] as SkBuff;
      if (skb.len > limit || (!csumOk && skb.ipSummed === IpSummed.PARTIAL)) return super.xmitBatch(skbs);
    }
    let bytes = 0;
    for (let i = 0; i < skbs.length; i++) {
      const skb = skbs[i] as SkBuff;
      skb.dev = this;
      skb.macHeader = skb.data;
      prepareForPeer(skb);
      bytes += skb.len;
    }
    this.stats.txPackets += skbs.length;
    this.stats.txBytes += bytes;
    peer.rxDmaBatch(skbs);
    return skbs.length;
  }

  /** Starts serialising the head of the TX ring if the line is idle. */
  private kickTx(): void {
    const ring = this.txRing;
    if (ring === null || this.txTimer !== null || ring.isEmpty || !this.isUp) return;
    const head = ring.peek() as SkBuff;
    const ms = (head.len * 8 * 1000) / this.rateBps;
    this.txTimer = (this.clock as TimerService).setTimeout(() => {
      this.txTimer = null;
      const skb = ring.consume();
      if (skb !== undefined) (this._link as ImpairedLink).transmit(skb);
      // TX completion: wake the queue once a quarter of the ring is free.
      if (this.queueStopped && ring.free >= this.txWakeThreshold) this.netifWakeQueue();
      this.kickTx();
    }, ms);
  }

  protected override ndoStop(): void {
    super.ndoStop();
    if (this.txTimer !== null) {
      this.txTimer.cancel();
      this.txTimer = null;
    }
    this.txRing?.drain(this.txRing.size, (skb) => this._drop(skb, 'NETDEV_DOWN', 'tx'));
  }

  /**
   * Receive-side fix-up of a frame that crossed the pair: memory cannot damage
   * a CHECKSUM_PARTIAL frame, so the stack need not verify it (veth/lo
   * semantics) — it is delivered CHECKSUM_UNNECESSARY. Done after the taps, so
   * a capture still sees it PARTIAL (and {@link PcapWriter} finishes the
   * checksum in its copy). A frame the link corrupted arrives CHECKSUM_NONE
   * (the link finished its checksum before flipping the bit).
   */
  protected override deliverRx(skb: SkBuff): NetRx {
    if (skb.ipSummed === IpSummed.PARTIAL) skb.ipSummed = IpSummed.UNNECESSARY;
    return super.deliverRx(skb);
  }

  /** Frees every frame this end holds (rings, qdisc, wire). */
  destroy(): void {
    this.stop();
    this._link?.destroy();
  }
}

/** Scrubs per-layer state before a frame crosses to the peer (`skb_scrub_packet`). */
function prepareForPeer(skb: SkBuff): void {
  skb.orphan();
  skb.cb.fill(0);
  skb.cbRef = null;
  skb.mark = 0;
  skb.priority = 0;
  skb.networkHeader = -1;
  skb.transportHeader = -1;
}



/** A veth-like pair of connected devices. */
export class DevicePair {
  /** End A. */
  readonly a: VethDevice;
  /** End B. */
  readonly b: VethDevice;

  private constructor(a: VethDevice, b: VethDevice) {
    this.a = a;
    this.b = b;
  }

  /**
   * Creates both ends, connects them, and opens them.
   * @throws NetdevError `ERR_BAD_ARGUMENT` on bad options (e.g. delays without a clock)
   */
  static create(opts: DevicePairOptions = {}): DevicePair {
    const common = {
      clock: opts.clock,
      rateBps: opts.rateBps,
      txRingSize: opts.txRingSize,
      ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}),
      ...(opts.features !== undefined ? { features: opts.features } : {}),
      ...(opts.softnet !== undefined ? { softnet: opts.softnet } : {}),
    };
    const a = new VethDevice({ name: 'veth0', ...common, ...opts.a });
    const b = new VethDevice({ name: 'veth1', ...common, ...opts.b });
    const pAB = opts.impairAtoB ?? opts.impairment;
    const pBA = opts.impairBtoA ?? (opts.impairment ? { ...opts.impairment, seed: (opts.impairment.seed ?? 1) + 1 } : undefined);
    for (const p of [pAB, pBA]) {
      if (p && opts.clock === undefined && ((p.delayMs ?? 0) > 0 || (p.jitterMs ?? 0) > 0 || (p.reorder ?? 0) > 0 || p.rateBps !== undefined)) {
        throw new NetdevError('ERR_BAD_ARGUMENT', 'delay, jitter, reorder and rate impairments need a clock');
      }
    }
    a.peer = b;
    b.peer = a;
    a._link = new ImpairedLink((skb) => deliver(b, skb), opts.clock, pAB);
    b._link = new ImpairedLink((skb) => deliver(a, skb), opts.clock, pBA);
    a.open();
    b.open();
    return new DevicePair(a, b);
  }

  /** Both ends. */
  get ends(): [VethDevice, VethDevice] {
    return [this.a, this.b];
  }

  /** Impairment counters per direction. */
  linkStats(): { aToB: ImpairmentStats; bToA: ImpairmentStats } {
    return { aToB: (this.a._link as ImpairedLink).stats(), bToA: (this.b._link as ImpairedLink).stats() };
  }

  /** Frames on the wire (scheduled deliveries). */
  get inFlight(): number {
    return (this.a._link?.inFlight ?? 0) + (this.b._link?.inFlight ?? 0);
  }

  /** Stops both ends and frees every frame they hold (rings, qdiscs, in-flight). */
  destroy(): void {
    this.a.destroy();
    this.b.destroy();
  }
}

function deliver(dev: VethDevice, skb: SkBuff): void {
  dev.rxDma(skb);
}

/** Both ends' feature default, for reference. */
export const VETH_FEATURES = NETIF_F.SG | NETIF_F.HW_CSUM | NETIF_F.RXCSUM | NETIF_F.GSO;

