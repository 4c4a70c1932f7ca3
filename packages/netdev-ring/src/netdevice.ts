/**
 * `NetDevice` — the network device (`struct net_device`), its receive
 * dispatch by ethertype (`packet_type` handlers) and its transmit path through
 * the qdisc to the driver.
 *
 * ## Receive (driver → stack)
 * A driver's NAPI poll takes frames off its RX ring, counts them, classifies
 * them (`eth_type_trans`: sets `skb.protocol`, pulls the link header) and
 * calls {@link NetDevice.netifReceiveSkb}, which hands each frame to the taps
 * (`ETH_P.ALL` observers such as a pcap capture) and then to the handler(s)
 * registered for `skb.protocol` in the device's {@link PacketTypes} table
 * (`dev_add_pack` / `ptype_base`). A frame nobody registered for is freed and
 * counted in `rxNohandler`.
 *
 * ## Transmit (stack → driver)
 * The upper layer builds the whole frame (link header included, see
 * {@link NetDevice.hardHeader}) and calls {@link NetDevice.queueXmit}
 * (`dev_queue_xmit`): the frame is queued on the device's {@link PfifoQdisc}
 * (bounded by `txQueueLen`) and the qdisc is run, handing frames to the driver
 * (`ndo_start_xmit`) until it is empty or the driver stops its queue. On the
 * way, frames larger than the MTU are segmented by GSO if the device lacks TSO
 * (or dropped if they cannot be), and CHECKSUM_PARTIAL checksums are finished
 * in software if the device lacks checksum offload (`validate_xmit_skb`).
 *
 * Backpressure (seed 003 figure 10): a driver whose ring is full stops its
 * queue (`netifStopQueue`), frames accumulate in the qdisc, and once the qdisc
 * is full `queueXmit` answers `CN` (the queue is full: wait) or `DROP` (this
 * frame was dropped). {@link NetDevice.onTxWake} listeners are called when the
 * qdisc has drained to half its limit again (like `sk_write_space`).
 *
 * ## Ownership
 * An skb passed to `queueXmit`, `xmit` (unless it answers `BUSY`) or
 * `netifReceiveSkb` belongs to the device from then on: it is freed on every
 * drop path. A packet handler receives an skb it owns and must free (or queue)
 * it. Taps only borrow the skb for the duration of the call.
 *
 * ## Never throws on the data path
 * Drops are counted in {@link NetDeviceStats} and by reason in
 * {@link NetDevice.dropReasons}; exceptions thrown by handlers or drivers are
 * contained, counted and reported to `onError`.
 *
 * Linux counterparts: `include/linux/netdevice.h`, `net/core/dev.c`
 * (`dev_queue_xmit`, `__dev_xmit_skb`, `sch_direct_xmit`, `dev_hard_start_xmit`,
 * `validate_xmit_skb`, `netif_receive_skb`, `deliver_skb`, `dev_add_pack`,
 * `netif_stop_queue`, `netif_wake_queue`), `struct rtnl_link_stats64`.
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';
import { IpSummed } from '@netlayers/skbuff';
import { skbChecksumHelp } from './csum-help.js';
import { ETH_HLEN, ETH_P, ETH_ZERO, ethHeader, ethTypeTrans, rawIpTypeTrans } from './ether.js';
import { NetdevError } from './errors.js';
import { skbGsoSegment, skbIsGsoTcp } from './gso.js';
import { Softnet } from './napi.js';
import { PfifoQdisc, type QdiscStats } from './qdisc.js';

/** Feature flags (`NETIF_F_*`). */
export const NETIF_F = {
  /** Scatter/gather: frames may carry paged data. */
  SG: 1 << 0,
  /** Transmit checksum offload for any protocol (`NETIF_F_HW_CSUM`). */
  HW_CSUM: 1 << 1,
  /** Receive checksum offload (`NETIF_F_RXCSUM`). */
  RXCSUM: 1 << 2,
  /** TCP segmentation offload: the device accepts frames larger than the MTU. */
  TSO: 1 << 3,
  /** Software GSO allowed (segment at the device boundary when TSO is absent). */
  GSO: 1 << 4,
  /** Generic receive offload: coalesce TCP segments in NAPI. */
  GRO: 1 << 5,
  /** Loopback device (`NETIF_F_LOOPBACK`). */
  LOOPBACK: 1 << 6,
  /** Accepts frame lists (`NETIF_F_FRAGLIST`). */
  FRAGLIST: 1 << 7,
} as const;

/** Link types (`ARPHRD_*`): Ethernet, loopback (Ethernet header, zero MACs), or none (raw IP). */
export type DeviceType = 'ether' | 'loopback' | 'none';

/** `ndo_start_xmit` return codes. */
export const NetdevTx = { OK: 'OK', BUSY: 'BUSY' } as const;
/** One of {@link NetdevTx}: `OK` = the device took the skb, `BUSY` = not taken, caller keeps it. */
export type NetdevTx = (typeof NetdevTx)[keyof typeof NetdevTx];

/** `dev_queue_xmit` return codes (`NET_XMIT_*`). */
export const NetXmit = { SUCCESS: 'SUCCESS', DROP: 'DROP', CN: 'CN' } as const;
/**
 * One of {@link NetXmit}: `SUCCESS` = queued or sent; `CN` = queued, but the queue is now
 * full — stop sending until `onTxWake`; `DROP` = dropped (and freed).
 */
export type NetXmit = (typeof NetXmit)[keyof typeof NetXmit];

/** `netif_receive_skb` return codes (`NET_RX_*`). */
export const NetRx = { SUCCESS: 'SUCCESS', DROP: 'DROP' } as const;
/** One of {@link NetRx}. */
export type NetRx = (typeof NetRx)[keyof typeof NetRx];

/** Why a frame was dropped (Linux `enum skb_drop_reason`, abridged). */
export type DropReason =
  | 'NETDEV_DOWN'
  | 'PEER_DOWN'
  | 'PKT_TOO_BIG'
  | 'PKT_TOO_SMALL'
  | 'QDISC_DROP'
  | 'RX_RING_FULL'
  | 'BACKLOG_FULL'
  | 'NO_HANDLER'
  | 'HANDLER_ERROR'
  | 'GSO_ERROR'
  | 'CSUM_ERROR'
  | 'DRIVER_ERROR'
  | 'LINK_LOSS'
  | 'LINK_MTU'
  | 'LINK_RATE';

/** Interface counters, as `ifconfig` / `ip -s link` show them (`rtnl_link_stats64`). */
export interface NetDeviceStats {
  rxPackets: number;
  rxBytes: number;
  rxErrors: number;
  rxDropped: number;
  /** Frames no protocol handler wanted. */
  rxNohandler: number;
  /** Frames lost because the RX ring (or backlog) was full ("overruns"). */
  rxFifoErrors: number;
  /** Runt frames and frames longer than the MTU. */
  rxLengthErrors: number;
  multicast: number;
  txPackets: number;
  txBytes: number;
  txErrors: number;
  txDropped: number;
  /** Frames lost because the TX ring / wire buffer was full at delivery time. */
  txFifoErrors: number;
  /** Hardware interrupts raised for received frames (NAPI schedules). */
  rxInterrupts: number;
}

function zeroStats(): NetDeviceStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    rxErrors: 0,
    rxDropped: 0,
    rxNohandler: 0,
    rxFifoErrors: 0,
    rxLengthErrors: 0,
    multicast: 0,
    txPackets: 0,
    txBytes: 0,
    txErrors: 0,
    txDropped: 0,
    txFifoErrors: 0,
    rxInterrupts: 0,
  };
}

/**
 * A protocol receive function (`packet_type.func`): owns `skb` (free it or queue it).
 * `skb.data` points at the network header; `skb.protocol` is the ethertype.
 */
export type PacketHandler = (skb: SkBuff, dev: NetDevice) => void;

/** A tap (`ETH_P_ALL` observer): borrows the frame (link header at `skb.data`) for the call only. */
export type PacketTap = (skb: SkBuff, dir: 'rx' | 'tx', dev: NetDevice) => void;

interface PtypeEntry {
  readonly type: number;
  readonly handler: PacketHandler;
  readonly dev: NetDevice | null;
}

/**
 * The protocol handler table (`ptype_base`): one per stack instance, shared by
 * its devices. Handlers bound to a device only see that device's frames.
 */
export class PacketTypes {
  private readonly byType = new Map<number, PtypeEntry[]>();

  /**
   * `dev_add_pack`: registers `handler` for ethertype `type`.
   * @param dev restrict to frames from this device (default: any device sharing this table)
   * @returns a function that removes the registration (`dev_remove_pack`)
   */
  add(type: number, handler: PacketHandler, dev: NetDevice | null = null): () => void {
    if (!Number.isInteger(type) || type < 0 || type > 0xffff) {
      throw new NetdevError('ERR_BAD_ARGUMENT', `ethertype must be a 16-bit integer, got ${type}`);
    }
    const e: PtypeEntry = { type, handler, dev };
    const list = this.byType.get(type) ?? [];
    this.byType.set(type, [...list, e]);
    return () => {
      const cur = this.byType.get(type);
      if (!cur) return;
      const next = cur.filter((x) => x !== e);
      if (next.length === 0) this.byType.delete(type);
      else this.byType.set(type, next);
    };
  }

  /** @internal handlers for `type` (copy-on-write array: safe to iterate while handlers change it). */
  _lookup(type: number): readonly PtypeEntry[] | undefined {
    return this.byType.get(type);
  }
}

let nextIfindex = 1;

/** Options common to all devices. */
export interface NetDeviceOptions {
  /** Interface name (default `eth<N>`). */
  name?: string;
  /** Interface index (default: next from a process-wide counter). */
  ifindex?: number;
  /** MTU in bytes: largest network-layer packet (default 1500). */
  mtu?: number;
  /** MAC address (default: a locally administered address derived from ifindex). */
  mac?: Uint8Array;
  /** Link type (default 'ether'). */
  type?: DeviceType;
  /** Feature flags, a bitwise OR of {@link NETIF_F} (default SG | HW_CSUM | RXCSUM | GSO). */
  features?: number;
  /** qdisc length in packets (default 1000). */
  txQueueLen?: number;
  /** The softnet (softirq context) this device's NAPI and NET_TX run on (default: a new one). */
  softnet?: Softnet;
  /** Protocol handler table (default: a new one; pass one table to all devices of a stack). */
  ptypes?: PacketTypes;
  /** Receives contained exceptions from handlers/drivers. */
  onError?: (err: unknown, dev: NetDevice) => void;
}

/** Default features of a new device. */
export const DEFAULT_FEATURES = NETIF_F.SG | NETIF_F.HW_CSUM | NETIF_F.RXCSUM | NETIF_F.GSO;

/**
 * Base class of every device. A driver subclasses it and implements
 * {@link NetDevice.ndoStartXmit}; receive-side drivers call
 * {@link NetDevice.receiveFrame} (count + classify + deliver) from their NAPI poll.
 */
export abstract class NetDevice {
  /** Interface name. */
  readonly name: string;
  /** Interface index. */
  readonly ifindex: number;
  /** True for a loopback device (`IFF_LOOPBACK`). */
  readonly isLoopback: boolean;
  /** Link type. */
  readonly type: DeviceType;
  /** Bytes of link header this device's frames carry (14 for ether/loopback, 0 for none). */
  readonly hardHeaderLen: number;
  /** MTU (largest network-layer packet). Change with {@link setMtu}. */
  mtu: number;
  /** MAC address (6 bytes; zeros for loopback and raw devices). */
  readonly mac: Uint8Array;
  /** Feature flags ({@link NETIF_F}). */
  features: number;
  /** Interface counters. */
  readonly stats: NetDeviceStats = zeroStats();
  /** Drops by reason. */
  readonly dropReasons: Partial<Record<DropReason, number>> = {};
  /** The qdisc (pfifo bounded by `txQueueLen`). */
  readonly qdisc: PfifoQdisc;
  /** The softnet context. */
  readonly softnet: Softnet;
  /** Protocol handler table. */
  readonly ptypes: PacketTypes;
  private up = false;
  private txStopped = false;
  private qdiscRunning = false;
  private wakePending = false;
  private readonly wakeListeners = new Set<() => void>();
  private readonly taps = new Set<PacketTap>();
  private readonly onErrorCb: ((err: unknown, dev: NetDevice) => void) | undefined;

  constructor(opts: NetDeviceOptions = {}) {
    this.ifindex = opts.ifindex ?? nextIfindex++;
    this.name = opts.name ?? `eth${this.ifindex}`;
    this.type = opts.type ?? 'ether';
    this.hardHeaderLen = this.type === 'none' ? 0 : ETH_HLEN;
    this.isLoopback = this.type === 'loopback';
    this.mtu = opts.mtu ?? 1500;
    if (!Number.isInteger(this.mtu) || this.mtu < 68 || this.mtu > 0xffffff) {
      throw new NetdevError('ERR_BAD_ARGUMENT', `MTU must be an integer in [68, 2^24), got ${this.mtu}`);
    }
    if (opts.mac !== undefined && opts.mac.length !== 6) {
      throw new NetdevError('ERR_BAD_ARGUMENT', 'MAC address must be 6 bytes');
    }
    this.mac =
      opts.mac !== undefined
        ? Uint8Array.from(opts.mac)
        : this.type === 'ether'
          ? new Uint8Array([0x02, 0x4e, 0x4c, (this.ifindex >> 16) & 0xff, (this.ifindex >> 8) & 0xff, this.ifindex & 0xff])
          : new Uint8Array(6);
    this.features = opts.features ?? DEFAULT_FEATURES;
    this.qdisc = new PfifoQdisc(opts.txQueueLen ?? 1000);
    this.softnet = opts.softnet ?? new Softnet();
    this.ptypes = opts.ptypes ?? new PacketTypes();
    this.onErrorCb = opts.onError;
  }

  // ------------------------------------------------------------ state

  /** True between {@link open} and {@link stop} (`IFF_UP`). */
  get isUp(): boolean {
    return this.up;
  }

  /** `IFF_NOARP`: no address resolution on this link (loopback and raw-IP devices). */
  get noArp(): boolean {
    return this.type !== 'ether';
  }

  /** `txqueuelen`. */
  get txQueueLen(): number {
    return this.qdisc.limit;
  }
  set txQueueLen(n: number) {
    if (!Number.isInteger(n) || n < 0) throw new NetdevError('ERR_BAD_ARGUMENT', `txqueuelen must be ≥ 0, got ${n}`);
    this.qdisc.limit = n;
  }

  /** True if `flag` ({@link NETIF_F}) is set. */
  hasFeature(flag: number): boolean {
    return (this.features & flag) !== 0;
  }

  /** `dev_set_mtu`. @throws NetdevError `ERR_BAD_ARGUMENT` outside [68, maxMtu] */
  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > this.maxMtu) {
      throw new NetdevError('ERR_BAD_ARGUMENT', `MTU must be an integer in [68, ${this.maxMtu}], got ${mtu}`);
    }
    this.mtu = mtu;
  }

  /** Largest MTU the driver supports. */
  get maxMtu(): number {
    return 0xffffff;
  }

  /** `dev_open`: brings the interface up and starts its queue. Idempotent. */
  open(): void {
    if (this.up) return;
    this.up = true;
    this.txStopped = false;
    this.ndoOpen();
  }

  /** `dev_close`: brings the interface down; queued frames are freed. Idempotent. */
  stop(): void {
    if (!this.up) return;
    this.up = false;
    this.ndoStop();
    this.qdisc.reset();
  }

  /** Driver hook run by {@link open}. */
  protected ndoOpen(): void {}
  /** Driver hook run by {@link stop}: free everything on the rings. */
  protected ndoStop(): void {}

  // ------------------------------------------------------------ errors / drops

  /** @internal count and free a dropped skb. */
  _drop(skb: SkBuff, reason: DropReason, dir: 'rx' | 'tx'): void {
    this.dropReasons[reason] = (this.dropReasons[reason] ?? 0) + 1;
    if (dir === 'rx') this.stats.rxDropped++;
    else this.stats.txDropped++;
    safeFree(skb);
  }

  /** @internal count a drop whose skb is already gone (freed elsewhere). */
  _countDrop(reason: DropReason, dir: 'rx' | 'tx'): void {
    this.dropReasons[reason] = (this.dropReasons[reason] ?? 0) + 1;
    if (dir === 'rx') this.stats.rxDropped++;
    else this.stats.txDropped++;
  }

  /** @internal report a contained exception. */
  _error(err: unknown): void {
    try {
      this.onErrorCb?.(err, this);
    } catch {
      /* an error reporter must not break the data path */
    }
  }

  // ------------------------------------------------------------ taps

  /**
   * Adds an `ETH_P_ALL`-style observer of every frame received and sent
   * (`dev_queue_xmit_nit`): pcap capture, {@link RecordingDevice}-style
   * recorders. The tap borrows the skb (link header at `skb.data`) for the call.
   * @returns a function removing the tap
   */
  addTap(tap: PacketTap): () => void {
    this.taps.add(tap);
    return () => {
      this.taps.delete(tap);
    };
  }

  /** True when at least one tap is attached (drivers' fast paths must then take the slow path). */
  protected get hasTaps(): boolean {
    return this.taps.size > 0;
  }

  private runTaps(skb: SkBuff, dir: 'rx' | 'tx'): void {
    for (const t of this.taps) {
      try {
        t(skb, dir, this);
      } catch (e) {
        this._error(e);
      }
    }
  }

  // ------------------------------------------------------------ receive

  /**
   * Registers a protocol handler for frames of ethertype `type` from this
   * device (`dev_add_pack` with `pt.dev = dev`). For a stack with several
   * devices, share one {@link PacketTypes} and register once with
   * `ptypes.add(type, fn)`.
   * @returns a function removing the registration
   */
  addPacketHandler(type: number, handler: PacketHandler): () => void {
    return this.ptypes.add(type, handler, this);
  }

  /**
   * Driver receive helper: counts the frame, classifies it (`eth_type_trans`
   * for Ethernet/loopback, the IP version for raw devices), and delivers it
   * through GRO (if `NETIF_F.GRO`) or {@link netifReceiveSkb}. `skb.data`
   * must point at the link header. Takes ownership.
   */
  receiveFrame(skb: SkBuff): NetRx {
    const len = skb.len;
    if (!this.up) {
      this._drop(skb, 'NETDEV_DOWN', 'rx');
      return NetRx.DROP;
    }
    // Oversize frames are runts' opposite: dropped, unless they are GSO packets (gsoSize set
    // by a TSO sender, as veth forwards them) or this device accepts large frames (TSO).
    if (len > this.mtu + this.hardHeaderLen && skb.gsoSize === 0 && !this.hasFeature(NETIF_F.TSO)) {
      this.stats.rxLengthErrors++;
      this.stats.rxErrors++;
      this._drop(skb, 'PKT_TOO_BIG', 'rx');
      return NetRx.DROP;
    }
    this.stats.rxPackets++;
    this.stats.rxBytes += len;
    skb.dev = this;
    if (this.taps.size > 0) this.runTaps(skb, 'rx');
    const ok = this.type === 'none' ? rawIpTypeTrans(skb) : ethTypeTrans(skb, this);
    if (!ok) {
      this.stats.rxLengthErrors++;
      this.stats.rxErrors++;
      this._drop(skb, 'PKT_TOO_SMALL', 'rx');
      return NetRx.DROP;
    }
    if (skb.pktType === 2 || skb.pktType === 1) this.stats.multicast++;
    return this.deliverRx(skb);
  }

  /** @internal hook for GRO-capable drivers; default delivers directly. */
  protected deliverRx(skb: SkBuff): NetRx {
    return this.netifReceiveSkb(skb);
  }

  /**
   * `netif_receive_skb`: delivers a classified frame (`skb.data` at the
   * network header, `skb.protocol` set) to the handlers registered for
   * `skb.protocol`. Takes ownership: a frame no handler wants is freed and
   * counted in `rxNohandler`. If several handlers match, each gets its own
   * reference (a clone for all but the last).
   */
  netifReceiveSkb(skb: SkBuff): NetRx {
    skb.dev = this;
    const list = this.ptypes._lookup(skb.protocol);
    if (list !== undefined && list.length === 1) {
      // Fast path: one handler (the common case: ip_rcv for 0x0800).
      const e = list[0] as PtypeEntry;
      if (e.dev === null || e.dev === this) {
        try {
          e.handler(skb, this);
        } catch (err) {
          this.dropReasons.HANDLER_ERROR = (this.dropReasons.HANDLER_ERROR ?? 0) + 1;
          this.stats.rxErrors++;
          this._error(err);
        }
        return NetRx.SUCCESS;
      }
    }
    let matches = 0;
    if (list !== undefined) for (const e of list) if (e.dev === null || e.dev === this) matches++;
    if (matches === 0) {
      this.stats.rxNohandler++;
      this._drop(skb, 'NO_HANDLER', 'rx');
      return NetRx.DROP;
    }
    let left = matches;
    for (const e of list as readonly PtypeEntry[]) {
      if (e.dev !== null && e.dev !== this) continue;
      left--;
      let mine: SkBuff;
      try {
        mine = left === 0 ? skb : skb.clone();
      } catch (err) {
        this._error(err);
        continue;
      }
      try {
        e.handler(mine, this);
      } catch (err) {
        this.dropReasons.HANDLER_ERROR = (this.dropReasons.HANDLER_ERROR ?? 0) + 1;
        this.stats.rxErrors++;
        this._error(err);
      }
    }
    return NetRx.SUCCESS;
  }

  // ------------------------------------------------------------ transmit

  /**
   * `dev_hard_header`: pushes this device's link header (Ethernet for 'ether'
   * and 'loopback', nothing for 'none') and sets `skb.protocol`. The skb needs
   * `hardHeaderLen` bytes of private headroom (`allocSkb` + `reserve`).
   * @param type ethertype (e.g. `ETH_P.IP`)
   * @param daddr destination MAC (default: zeros on loopback, broadcast otherwise)
   * @param saddr source MAC (default: this device's)
   * @returns the number of bytes pushed
   * @throws SkbError `SKB_UNDER` if the headroom is too small
   */
  hardHeader(skb: SkBuff, type: number, daddr?: Uint8Array, saddr?: Uint8Array): number {
    skb.protocol = type;
    if (this.hardHeaderLen === 0) {
      skb.macHeader = skb.data;
      return 0;
    }
    const dst = daddr ?? (this.type === 'loopback' ? ETH_ZERO : BROADCAST);
    ethHeader(skb, type, dst, saddr ?? this.mac);
    return ETH_HLEN;
  }

  /** True when the qdisc has room (a sender may keep sending). */
  get txWritable(): boolean {
    return this.qdisc.qlen < this.qdisc.limit;
  }

  /**
   * `dev_queue_xmit`: queues a complete frame (`skb.data` at the link header)
   * on the qdisc and runs the qdisc. Takes ownership in every case.
   * @returns `SUCCESS`; `CN` if the frame was queued but the qdisc is now full (wait for
   *   {@link onTxWake}); `DROP` if it was dropped (device down, qdisc full)
   */
  queueXmit(skb: SkBuff): NetXmit {
    skb.dev = this;
    skb.macHeader = skb.data;
    if (!this.up) {
      this._drop(skb, 'NETDEV_DOWN', 'tx');
      return NetXmit.DROP;
    }
    if (!this.qdisc.enqueue(skb)) {
      this.wakePending = true;
      this.dropReasons.QDISC_DROP = (this.dropReasons.QDISC_DROP ?? 0) + 1;
      safeFree(skb);
      return NetXmit.DROP;
    }
    this._qdiscRun();
    if (this.qdisc.qlen >= this.qdisc.limit) {
      this.wakePending = true;
      return NetXmit.CN;
    }
    return NetXmit.SUCCESS;
  }

  /** Alias of {@link queueXmit} under its Linux name. */
  devQueueXmit(skb: SkBuff): NetXmit {
    return this.queueXmit(skb);
  }

  /**
   * Direct transmit to the driver, bypassing the qdisc (`dev_direct_xmit` /
   * `dev_hard_start_xmit` after `validate_xmit_skb`).
   * @returns `BUSY` if the driver queue is stopped or full (the caller keeps the skb);
   *   `OK` otherwise — the skb was sent or dropped and counted (device down, too big)
   */
  xmit(skb: SkBuff): NetdevTx {
    skb.dev = this;
    if (!this.up) {
      this._drop(skb, 'NETDEV_DOWN', 'tx');
      return NetdevTx.OK;
    }
    if (this.txStopped) return NetdevTx.BUSY;
    return this.hardStartXmit(skb, false);
  }

  /**
   * Transmits many frames directly to the driver (`xmit_more`: the driver may
   * ring its doorbell once for the batch). Stops at the first `BUSY`.
   * @returns how many were taken (a prefix); the caller keeps the rest
   */
  xmitBatch(skbs: readonly SkBuff[]): number {
    let i = 0;
    this.batchDepth++;
    try {
      for (; i < skbs.length; i++) {
        if (this.xmit(skbs[i] as SkBuff) === NetdevTx.BUSY) break;
      }
    } finally {
      this.batchDepth--;
      if (this.batchDepth === 0) this.ndoFlush();
    }
    return i;
  }

  /** >0 while inside {@link xmitBatch}: drivers may defer their doorbell to {@link ndoFlush}. */
  protected batchDepth = 0;

  /** Driver hook: end of a transmit batch — ring the doorbell now. */
  protected ndoFlush(): void {}

  /**
   * `validate_xmit_skb` + `dev_hard_start_xmit` for one frame: MTU check, GSO,
   * checksum help, taps, then the driver. Never throws.
   * @param fromQdisc true when called from the qdisc (BUSY segments are requeued there)
   */
  private hardStartXmit(skb: SkBuff, fromQdisc: boolean): NetdevTx {
    try {
      const payload = skb.len - this.hardHeaderLen;
      if (payload > this.mtu && !this.hasFeature(NETIF_F.TSO)) {
        if (!skbIsGsoTcp(skb, this.hardHeaderLen) || !this.hasFeature(NETIF_F.GSO)) {
          this._drop(skb, 'PKT_TOO_BIG', 'tx');
          return NetdevTx.OK;
        }
        const segs = skbGsoSegment(skb, {
          hardHeaderLen: this.hardHeaderLen,
          mss: skb.gsoSize > 0 ? Math.min(skb.gsoSize, this.mtu) : undefined,
          mtu: this.mtu,
          hwCsum: this.hasFeature(NETIF_F.HW_CSUM),
        });
        if (segs === null) {
          this._drop(skb, 'GSO_ERROR', 'tx');
          return NetdevTx.OK;
        }
        safeFree(skb);
        for (let i = 0; i < segs.length; i++) {
          const seg = segs[i] as SkBuff;
          seg.dev = this;
          const rc = this.txOne(seg);
          if (rc === NetdevTx.BUSY) {
            // Keep the remaining segments in order at the head of the qdisc.
            for (let j = segs.length - 1; j >= i; j--) this.qdisc.requeue(segs[j] as SkBuff, false);
            if (!fromQdisc) this.softnet.netifSchedule(this);
            return NetdevTx.OK;
          }
        }
        return NetdevTx.OK;
      }
      if (skb.ipSummed === IpSummed.PARTIAL && !this.hasFeature(NETIF_F.HW_CSUM)) {
        if (!skbChecksumHelp(skb)) {
          this.stats.txErrors++;
          this._drop(skb, 'CSUM_ERROR', 'tx');
          return NetdevTx.OK;
        }
      }
      return this.txOne(skb);
    } catch (e) {
      this.stats.txErrors++;
      this._error(e);
      this._drop(skb, 'DRIVER_ERROR', 'tx');
      return NetdevTx.OK;
    }
  }

  private txOne(skb: SkBuff): NetdevTx {
    if (this.taps.size > 0) this.runTaps(skb, 'tx');
    let rc: NetdevTx;
    try {
      rc = this.ndoStartXmit(skb);
    } catch (e) {
      this.stats.txErrors++;
      this._error(e);
      this._drop(skb, 'DRIVER_ERROR', 'tx');
      return NetdevTx.OK;
    }
    return rc;
  }

  /**
   * The driver's transmit function (`ndo_start_xmit`). Return `OK` when the skb
   * was taken (sent, queued on the TX ring, or dropped and counted), `BUSY`
   * when the TX ring is full (the skb is NOT taken; also stop the queue).
   * Drivers count `txPackets`/`txBytes` when they take a frame.
   */
  protected abstract ndoStartXmit(skb: SkBuff): NetdevTx;

  /** @internal `qdisc_run`: feeds the driver until the qdisc is empty or the queue stops. */
  _qdiscRun(): void {
    if (this.qdiscRunning) return;
    this.qdiscRunning = true;
    try {
      while (this.up && !this.txStopped) {
        const skb = this.qdisc.dequeue();
        if (skb === undefined) break;
        if (this.hardStartXmit(skb, true) === NetdevTx.BUSY) {
          this.qdisc.requeue(skb);
          break;
        }
      }
    } finally {
      this.qdiscRunning = false;
    }
    this.maybeWakeSenders();
  }

  private maybeWakeSenders(): void {
    if (!this.wakePending || this.qdisc.qlen > this.qdisc.limit >> 1) return;
    this.wakePending = false;
    for (const l of this.wakeListeners) {
      try {
        l();
      } catch (e) {
        this._error(e);
      }
    }
  }

  /**
   * Registers a listener called when the qdisc, after reporting `CN`/`DROP`,
   * has drained to half its limit: the sender may resume (`sk_write_space`).
   * @returns a function removing the listener
   */
  onTxWake(listener: () => void): () => void {
    this.wakeListeners.add(listener);
    return () => {
      this.wakeListeners.delete(listener);
    };
  }

  /** True while the driver has stopped its queue (`netif_queue_stopped`). */
  get queueStopped(): boolean {
    return this.txStopped;
  }

  /** `netif_stop_queue`: the driver's TX ring is full; the qdisc holds frames. */
  netifStopQueue(): void {
    this.txStopped = true;
  }

  /** `netif_start_queue`: allow transmission without scheduling the qdisc. */
  netifStartQueue(): void {
    this.txStopped = false;
  }

  /** `netif_wake_queue`: the TX ring has room again; NET_TX will run the qdisc. */
  netifWakeQueue(): void {
    if (!this.txStopped) return;
    this.txStopped = false;
    if (this.qdisc.qlen > 0) this.softnet.netifSchedule(this);
  }

  /** Snapshot of the qdisc counters. */
  qdiscStats(): QdiscStats {
    return this.qdisc.stats();
  }
}

const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** Frees an skb, swallowing a double-free error (the data path must not throw). */
export function safeFree(skb: SkBuff): void {
  try {
    if (skb.users > 0) skb.free();
  } catch {
    /* already freed or still queued elsewhere: nothing more we can do here */
  }
}

export { ETH_P };
