/**
 * `RecordingDevice` — a device double that keeps every frame it carried.
 *
 * Transmitted frames are recorded (a copy of the bytes, the time, and the
 * checksum state) and freed — or, with `loopback: true`, delivered back to
 * this device's receive path. Frames can be injected into the receive path
 * with {@link RecordingDevice.inject}, and are recorded too. Use it to test an
 * upper layer (ipv4, tcp) against the device contract without a peer:
 *
 * ```ts
 * const dev = new RecordingDevice({ clock });
 * dev.open();
 * dev.addPacketHandler(ETH_P.IP, ipRcv);
 * ipv4.output(skb, dev);                 // → dev.queueXmit(skb)
 * expect(dev.sent).toHaveLength(1);
 * dev.inject(buildTcpFrame({ … }));      // → ipRcv(skb, dev) on the next softirq
 * dev.softnet.runUntilIdle();
 * ```
 *
 * @module
 */
import type { Clock } from '@netlayers/clock';
import { IpSummed, type SkBuff } from '@netlayers/skbuff';
import { skbChecksumHelp } from '../csum-help.js';
import { NetdevTx } from '../netdevice.js';
import { RingNetDevice, type RingNetDeviceOptions } from '../ring-device.js';
import { skbFromBytes, skbToBytes } from './frames.js';

/** One recorded frame. */
export interface RecordedFrame {
  /** 'tx' (sent by the stack) or 'rx' (injected / looped back). */
  dir: 'tx' | 'rx';
  /** The frame bytes, link header included (a copy). */
  bytes: Uint8Array;
  /** Time on the device's clock (0 without a clock). */
  timeMs: number;
  /** `ipSummed` when recorded. */
  ipSummed: IpSummed;
}

/** Options of {@link RecordingDevice}. */
export interface RecordingDeviceOptions extends RingNetDeviceOptions {
  /** Clock for timestamps. */
  clock?: Clock;
  /** Deliver every transmitted frame back to this device's receive path. */
  loopback?: boolean;
  /** Finish CHECKSUM_PARTIAL checksums before recording (default true): recorded bytes are wire-exact. */
  finishChecksums?: boolean;
  /** Answer BUSY to transmissions (to test backpressure) while this returns true. */
  busy?: () => boolean;
}

/** A device that records every frame it carries. */
export class RecordingDevice extends RingNetDevice {
  /** Every frame, in order. */
  readonly frames: RecordedFrame[] = [];
  private readonly clock: Clock | undefined;
  private readonly loop: boolean;
  private readonly finish: boolean;
  private readonly busy: (() => boolean) | undefined;

  constructor(opts: RecordingDeviceOptions = {}) {
    super({ name: 'rec0', ...opts });
    this.clock = opts.clock;
    this.loop = opts.loopback ?? false;
    this.finish = opts.finishChecksums ?? true;
    this.busy = opts.busy;
  }

  /** Transmitted frames. */
  get sent(): RecordedFrame[] {
    return this.frames.filter((f) => f.dir === 'tx');
  }

  /** Received (injected or looped) frames. */
  get received(): RecordedFrame[] {
    return this.frames.filter((f) => f.dir === 'rx');
  }

  /** Forgets the recorded frames. */
  clear(): void {
    this.frames.length = 0;
  }

  private record(skb: SkBuff, dir: 'tx' | 'rx'): void {
    this.frames.push({ dir, bytes: skbToBytes(skb), timeMs: this.clock ? this.clock.now() : 0, ipSummed: skb.ipSummed });
  }

  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    if (this.busy?.()) {
      this.netifStopQueue();
      return NetdevTx.BUSY;
    }
    if (this.finish && skb.ipSummed === IpSummed.PARTIAL) {
      if (skb.isCloned()) skb.unshare();
      skbChecksumHelp(skb);
    }
    this.record(skb, 'tx');
    this.stats.txPackets++;
    this.stats.txBytes += skb.len;
    skb.orphan();
    if (this.loop) this.rxDma(skb);
    else skb.free();
    return NetdevTx.OK;
  }

  /**
   * Injects a frame into the receive path (as if it arrived on the wire): it is
   * recorded, placed on the RX ring and delivered by the next NAPI round.
   * @returns false if the RX ring was full (dropped and counted)
   */
  inject(frame: Uint8Array | SkBuff): boolean {
    const skb = frame instanceof Uint8Array ? skbFromBytes(frame) : frame;
    this.record(skb, 'rx');
    return this.rxDma(skb);
  }
}
