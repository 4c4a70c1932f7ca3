/**
 * One host of our stack on one end of a cross-thread link: a
 * `SharedRingDevice` (Ethernet, ARP, NAPI, qdisc), an IPv4 `Stack` with TCP
 * attached, and the event-loop driver that stands in for interrupts and
 * softirqs:
 *
 * ```
 *  loop: dev.poll()              the "hardware check": RX interrupt, TX queue wake
 *        softnet.doSoftirq()     NET_RX (NAPI → IP → TCP) and NET_TX (qdisc → ring)
 *        idle → await RX doorbell (Atomics.waitAsync: the thread sleeps)
 *        TX ring full → await the space doorbell
 * ```
 *
 * Softirqs raised from process context (a socket write) run on the next
 * `setImmediate`. The two link profiles are the thesis experiment's two
 * links: 64K MTU with checksum offload (received frames CHECKSUM_UNNECESSARY)
 * and 1500 MTU with software checksums, optionally with a one-way delay.
 * @module
 */
import { RealClock } from '@netlayers/clock';
import { attachNetDevice, Stack as IpStack } from '@netlayers/ipv4';
import { createSharedLink, NETIF_F, SharedRingDevice, Softnet, type SharedLinkBuffers } from '@netlayers/netdev-ring';
import { attachTcp, createNet, tcpAbort, type TcpStack } from '@netlayers/tcp';
import type { NetLike } from '../load/net-like.js';

/** A link between the relay's stack and the load generator's stack. */
export interface LinkProfile {
  /** `64k` or `1500` (used in configuration names). */
  name: string;
  mtu: number;
  /** Checksum offload (HW_CSUM | RXCSUM, received frames need no verification) or software checksums. */
  offload: boolean;
  /** One-way delay of each end's transmit side (ms), 0 for none. */
  delayMs: number;
}

/** The experiment's links. */
export const LINKS: Record<'64k' | '1500', LinkProfile> = {
  '64k': { name: '64k', mtu: 65536, offload: true, delayMs: 0 },
  '1500': { name: '1500', mtu: 1500, offload: false, delayMs: 0 },
};

/** Each direction's ring: room for 64 frames of the 64K MTU. */
export const RING_BYTES = 1 << 22;

/** Addresses of the relay's end (a) and the load generator's end (b). */
export const ADDR = { a: '198.18.0.1', b: '198.18.0.2' } as const;
const ADDR_NUM = { a: 0xc6120001, b: 0xc6120002 } as const;

/** Allocates the shared memory of a link. */
export function newLink(): SharedLinkBuffers {
  return createSharedLink({ byteCapacity: RING_BYTES });
}

/** A running host. */
export interface NlHost {
  readonly tcp: TcpStack;
  readonly ip: IpStack;
  readonly dev: SharedRingDevice;
  readonly net: NetLike;
  readonly address: string;
  /** Stops the driver, aborts sockets and frees the device. */
  close(): void;
}

const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * startHost - builds the stack on end `end` of `link` and starts its driver.
 */
export function startHost(link: SharedLinkBuffers, end: 'a' | 'b', profile: LinkProfile, seed: number): NlHost {
  const clock = new RealClock({ unref: true });
  let scheduled = false;
  let closed = false;
  const softnet: Softnet = new Softnet({
    clock,
    onRaise: () => {
      if (scheduled || closed) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        if (!closed) softnet.doSoftirq(); // re-raises (→ onRaise) if work is left
      });
    },
  });
  const features = NETIF_F.SG | NETIF_F.GSO | NETIF_F.GRO | (profile.offload ? NETIF_F.HW_CSUM | NETIF_F.RXCSUM : 0);
  const dev = new SharedRingDevice({
    link,
    end,
    softnet,
    mtu: profile.mtu,
    features,
    rxCsumUnnecessary: profile.offload,
    txQueueLen: 4096,
    // room in front of every received frame for the headers TCP pushes when the relay
    // forwards the same skb (`maxTcpHeader`): without it each relayed skb is expanded (copied)
    rxHeadroom: 192,
    ...(profile.delayMs > 0 ? { impairment: { delayMs: profile.delayMs, seed }, clock } : {}),
  });
  dev.open();
  const ip = new IpStack({ clock, idSeed: seed });
  attachNetDevice(ip, dev, { addr: ADDR_NUM[end], prefixLen: 24 });
  const tcp = attachTcp(ip, { seed });
  const need = profile.mtu + 14;
  const loop = async (): Promise<void> => {
    while (!closed) {
      dev.poll();
      if (softnet.pending) {
        softnet.doSoftirq();
        await immediate();
      } else if (dev.queueStopped) {
        await dev.txShared.waitForSpaceAsync(need, 5);
      } else {
        await dev.waitForRx(50);
      }
    }
  };
  void loop();
  return {
    tcp,
    ip,
    dev,
    net: createNet(tcp) as unknown as NetLike,
    address: ADDR[end],
    close() {
      closed = true;
      for (const sk of [...tcp.sockets.values()]) {
        sk.onDataReady = sk.onWriteSpace = sk.onStateChange = sk.onError = sk.onAcceptReady = null;
        tcpAbort(sk);
      }
      softnet.runUntilIdle();
      dev.destroy();
      ip.close();
    },
  };
}
