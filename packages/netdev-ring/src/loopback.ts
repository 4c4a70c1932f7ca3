/**
 * `LoopbackDevice` — `lo`: every frame sent is received again by the same
 * host.
 *
 * As in Linux (`drivers/net/loopback.c`): MTU 65536, Ethernet framing with
 * all-zero MAC addresses and `IFF_NOARP` (the upper layer pushes a 14-byte
 * header with zero addresses, see {@link NetDevice.hardHeader}), features
 * SG | HW_CSUM | RXCSUM | TSO | GSO | FRAGLIST | LOOPBACK (so large TCP
 * segments are never cut), and a transmit function (`loopback_xmit`) that
 * orphans the skb, classifies it (`eth_type_trans`), and queues it on the
 * softnet backlog with `netif_rx` — delivery happens in the next NET_RX
 * round, never re-entrantly inside the sender's call. Checksums are not
 * computed on loopback: received frames are marked CHECKSUM_UNNECESSARY
 * (the checksum fields of CHECKSUM_PARTIAL frames are left unfinished, exactly
 * like on Linux `lo`). A full backlog (`netdev_max_backlog`) drops the frame
 * (counted in `rxDropped`, reason `BACKLOG_FULL`).
 *
 * @module
 */
import { IpSummed, type SkBuff } from '@netlayers/skbuff';
import { NETIF_F, NetDevice, NetdevTx, type NetDeviceOptions, type NetRx } from './netdevice.js';
import type { BacklogTarget } from './napi.js';

/** Features of the loopback device. */
export const LOOPBACK_FEATURES =
  NETIF_F.SG | NETIF_F.HW_CSUM | NETIF_F.RXCSUM | NETIF_F.TSO | NETIF_F.GSO | NETIF_F.FRAGLIST | NETIF_F.LOOPBACK;

/** Options of {@link LoopbackDevice} (type and MAC are fixed). */
export type LoopbackOptions = Omit<NetDeviceOptions, 'type' | 'mac'>;

/** The loopback device. Call {@link NetDevice.open} before use. */
export class LoopbackDevice extends NetDevice {
  private readonly backlogTarget: BacklogTarget<SkBuff> = {
    netifReceiveSkb: (skb: SkBuff): NetRx => this.loopbackRx(skb),
  };

  constructor(opts: LoopbackOptions = {}) {
    super({ name: 'lo', mtu: 65536, features: LOOPBACK_FEATURES, ...opts, type: 'loopback' });
  }

  override get maxMtu(): number {
    return 0xffffff;
  }

  /** `loopback_xmit`. */
  protected ndoStartXmit(skb: SkBuff): NetdevTx {
    skb.orphan();
    const len = skb.len;
    if (this.softnet.netifRx(skb, this.backlogTarget)) {
      this.stats.txPackets++;
      this.stats.txBytes += len;
    } else {
      this.stats.rxFifoErrors++;
      this._drop(skb, 'BACKLOG_FULL', 'rx');
    }
    return NetdevTx.OK;
  }

  private loopbackRx(skb: SkBuff): NetRx {
    return this.receiveFrame(skb);
  }

  /** Like lo: no checksum is ever wrong on loopback (set after the taps, so captures see PARTIAL). */
  protected override deliverRx(skb: SkBuff): NetRx {
    skb.ipSummed = IpSummed.UNNECESSARY;
    return super.deliverRx(skb);
  }
}
