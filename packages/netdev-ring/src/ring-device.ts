/**
 * `RingNetDevice` — a NAPI driver over an RX descriptor ring.
 *
 * The "hardware" side ({@link RingNetDevice.rxDma}) places received frames on
 * the RX ring (seed 003 figure 9, steps 4–6) and raises an interrupt if
 * interrupts are enabled (step 7). The interrupt handler masks further RX
 * interrupts and schedules NAPI. The NAPI poll drains at most `weight` frames
 * per call, counts and classifies them and delivers them (through GRO when
 * `NETIF_F.GRO` is on). When a poll finishes under its weight, NAPI completes,
 * interrupts are re-enabled and the ring is re-checked (a frame that arrived
 * between the last poll and the re-enable raises the interrupt at once — no
 * lost wake-up).
 *
 * A full RX ring drops the frame at the "NIC" (counted in `rxDropped` and
 * `rxFifoErrors`, reason `RX_RING_FULL`): under overload, frames are dropped
 * here, cheaply, before the stack spent anything on them.
 *
 * Linux counterparts: a NAPI driver's `*_poll` and `*_interrupt`,
 * `napi_complete_done`, `napi_gro_receive`, `ethtool -g` ring sizes.
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';
import { GroList } from './gro.js';
import { Napi } from './napi.js';
import { NETIF_F, NetDevice, NetRx, type NetDeviceOptions } from './netdevice.js';
import { Ring } from './ring.js';

/** Options of a {@link RingNetDevice}. */
export interface RingNetDeviceOptions extends NetDeviceOptions {
  /** RX ring entries, a power of two (default 256). */
  rxRingSize?: number;
  /** NAPI weight (default 64). */
  napiWeight?: number;
}

/** A device whose receive side is an RX ring polled by NAPI. */
export abstract class RingNetDevice extends NetDevice {
  /** The RX descriptor ring (frames waiting for NAPI). */
  readonly rxRing: Ring<SkBuff>;
  /** The device's NAPI context. */
  readonly napi: Napi;
  /** True when RX interrupts are enabled (not polling). */
  irqEnabled = true;
  private gro: GroList | null = null;
  private readonly pollBound = (skb: SkBuff): void => {
    this.receiveFrame(skb);
  };

  constructor(opts: RingNetDeviceOptions = {}) {
    super(opts);
    this.rxRing = new Ring<SkBuff>(opts.rxRingSize ?? 256);
    const weight = opts.napiWeight;
    this.napi = new Napi(this.softnet, (budget) => this.napiPoll(budget), {
      ...(weight !== undefined ? { weight } : {}),
      onComplete: () => this.napiComplete(),
    });
  }

  /**
   * Hardware side: a frame arrives and is placed on the RX ring (DMA); raises
   * the RX interrupt. Takes ownership: if the device is down or the ring is
   * full the frame is dropped and counted.
   * @returns false if dropped
   */
  rxDma(skb: SkBuff): boolean {
    if (!this.isUp) {
      this._drop(skb, 'NETDEV_DOWN', 'rx');
      return false;
    }
    if (!this.rxRing.produce(skb)) {
      this.stats.rxFifoErrors++;
      this._drop(skb, 'RX_RING_FULL', 'rx');
      return false;
    }
    this.rxInterrupt();
    return true;
  }

  /**
   * Hardware side, batched: places frames on the ring and raises at most one
   * interrupt. Frames that do not fit are dropped and counted.
   * @returns how many were placed on the ring
   */
  rxDmaBatch(skbs: readonly SkBuff[]): number {
    if (!this.isUp) {
      for (const s of skbs) this._drop(s, 'NETDEV_DOWN', 'rx');
      return 0;
    }
    const n = this.rxRing.produceBatch(skbs);
    for (let i = n; i < skbs.length; i++) {
      this.stats.rxFifoErrors++;
      this._drop(skbs[i] as SkBuff, 'RX_RING_FULL', 'rx');
    }
    if (n > 0) this.rxInterrupt();
    return n;
  }

  /** `napi_schedule` for this device's NAPI context. @returns true if newly scheduled */
  napiSchedule(): boolean {
    return this.napi.schedule();
  }

  /** The RX interrupt: masks interrupts and schedules NAPI (if interrupts are enabled). */
  rxInterrupt(): void {
    if (!this.irqEnabled) return;
    this.irqEnabled = false;
    this.stats.rxInterrupts++;
    this.napi.schedule();
  }

  /**
   * The NAPI poll function (`napi->poll`): delivers up to `budget` frames from
   * the RX ring. @returns frames processed
   */
  napiPoll(budget: number): number {
    const n = this.rxRing.drain(budget, this.pollBound);
    this.gro?.flush();
    return n;
  }

  /** NAPI completed under budget: re-enable the interrupt and re-check the ring. */
  protected napiComplete(): void {
    this.irqEnabled = true;
    if (!this.rxRing.isEmpty) this.rxInterrupt();
  }

  /** @internal flush GRO-held packets (end of a poll). */
  protected groFlush(): void {
    this.gro?.flush();
  }

  protected override deliverRx(skb: SkBuff): NetRx {
    if (this.hasFeature(NETIF_F.GRO)) {
      if (this.gro === null) this.gro = new GroList((s) => this.netifReceiveSkb(s));
      this.gro.receive(skb);
      return NetRx.SUCCESS;
    }
    if (this.gro !== null) this.gro.flush();
    return this.netifReceiveSkb(skb);
  }

  /** GRO counters (merged segments, flushes), or null if GRO never ran. */
  groStats(): ReturnType<GroList['stats']> | null {
    return this.gro === null ? null : this.gro.stats();
  }

  /** Frees everything on the RX ring (device going down). */
  protected override ndoStop(): void {
    this.gro?.flush();
    this.rxRing.drain(this.rxRing.size, (skb) => this._drop(skb, 'NETDEV_DOWN', 'rx'));
    this.irqEnabled = true;
  }
}
