/**
 * The stack under test: our `@netlayers/ipv4` + `@netlayers/tcp` on a virtual
 * clock, attached to a raw (tun-like) link device whose other end is the
 * script. Outbound datagrams are copied into a capture queue with their
 * virtual send time; inbound datagrams are handed to the IP receive path.
 * Addresses exist only inside this in-memory stack.
 *
 * @module
 */
import { VirtualClock } from '@netlayers/clock';
import { Stack as IpStack, type Interface, type LinkDevice } from '@netlayers/ipv4';
import { allocSkb, type SkBuff } from '@netlayers/skbuff';
import { attachTcp, SocketApi, tcpAbort, type TcpConfig, type TcpStack } from '@netlayers/tcp';

/** One captured outbound IPv4 datagram. */
export interface Captured {
  /** Virtual time it was sent, µs. */
  timeUs: number;
  bytes: Uint8Array;
}

/** Options of {@link ScriptHost}. */
export interface ScriptHostOptions {
  localIp: number;
  prefixLen: number;
  mtu: number;
  config: Partial<TcpConfig>;
  /** Most datagrams kept in the capture queue (default 10 000); beyond it the oldest are dropped. */
  maxCaptured?: number;
}

/** Headroom reserved in injected skbs (link header room, like a tun driver's NET_SKB_PAD). */
const RX_HEADROOM = 64;

/** The in-memory host a script talks to. */
export class ScriptHost {
  readonly clock = new VirtualClock(0);
  readonly ip: IpStack;
  readonly iface: Interface;
  readonly tcp: TcpStack;
  readonly api: SocketApi;
  readonly captured: Captured[] = [];
  private readonly maxCaptured: number;

  constructor(o: ScriptHostOptions) {
    this.maxCaptured = o.maxCaptured ?? 10_000;
    const dev: LinkDevice = {
      name: 'tun0',
      mtu: o.mtu,
      macAddr: new Uint8Array(6),
      linkType: 'raw',
      // packetdrill's tun device: TSO and checksum offload on, so TCP emits >MSS packets
      features: { sg: true, hwCsum: true, tso: true, gsoMaxSize: 65536 },
      xmit: (skb: SkBuff): boolean => {
        const bytes = new Uint8Array(skb.len);
        skb.copyBits(0, bytes, skb.len);
        skb.free();
        if (this.captured.length >= this.maxCaptured) this.captured.shift();
        this.captured.push({ timeUs: Math.round(this.clock.now() * 1000), bytes });
        return true;
      },
    };
    this.ip = new IpStack({ clock: this.clock, idSeed: 1 });
    this.iface = this.ip.addInterface({ dev, addr: o.localIp, prefixLen: o.prefixLen });
    this.ip.addRoute({ prefix: 0, prefixLen: 0, iface: this.iface });
    this.tcp = attachTcp(this.ip, { seed: 1, config: o.config });
    this.api = new SocketApi(this.tcp);
  }

  /** Virtual time now, µs. */
  nowUs(): number {
    return Math.round(this.clock.now() * 1000);
  }

  /** Next timer deadline in µs, if any. */
  nextDeadlineUs(): number | undefined {
    const d = this.clock.nextDeadline();
    return d === undefined ? undefined : Math.round(d * 1000);
  }

  /** Runs timers up to `us` (never backwards). */
  advanceTo(us: number): void {
    const ms = us / 1000;
    if (ms > this.clock.now()) this.clock.advanceTo(ms);
  }

  /** Injects one IPv4 datagram (optionally as a GSO packet of `gsoSize`). */
  inject(datagram: Uint8Array, gsoSize = 0): void {
    const skb = allocSkb(datagram.length + RX_HEADROOM);
    skb.reserve(RX_HEADROOM);
    skb.put(datagram.length).set(datagram);
    if (gsoSize > 0 && datagram.length - 40 > gsoSize) {
      skb.gsoSize = gsoSize;
      skb.gsoSegs = Math.ceil((datagram.length - 40) / gsoSize);
    }
    this.ip.receiveIp(this.iface, skb);
  }

  /** Aborts every socket and closes the IP stack (frees everything the host holds). */
  destroy(): void {
    for (const sk of [...this.tcp.sockets.values()]) {
      sk.onDataReady = sk.onWriteSpace = sk.onStateChange = sk.onError = sk.onAcceptReady = null;
      sk.orphan = true;
      tcpAbort(sk);
    }
    this.ip.close();
    this.captured.length = 0;
  }
}
