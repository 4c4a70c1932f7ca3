/**
 * `createTapHost` — our whole stack (IPv4 + ARP + ICMP + UDP + TCP) on a
 * {@link TapDevice}, driven by Node's event loop: the softnet's softirqs run
 * from `setImmediate` (and right after each fd wake-up), protocol timers on a
 * {@link RealClock}. The protocol code stays sans-I/O; this file is the I/O
 * shell around it.
 *
 * @module
 */
import { RealClock } from '@netlayers/clock';
import { attachNetDevice, Stack as IpStack, type Interface } from '@netlayers/ipv4';
import { Softnet } from '@netlayers/netdev-ring';
import { attachTcp, createNet, tcpAbort, type NetApi, type TcpConfig, type TcpStack } from '@netlayers/tcp';
import { TapError } from './errors.js';
import { TapDevice, type TapDeviceOptions } from './tap-device.js';

/** Options of {@link createTapHost}. */
export interface TapHostOptions extends Omit<TapDeviceOptions, 'softnet'> {
  /** Our address with prefix, e.g. `198.18.0.2/24`. */
  addr: string;
  /** Default gateway (optional). */
  gw?: string;
  /** TCP tunables. */
  tcp?: Partial<TcpConfig>;
  /** Seed for ISNs and hash keys (default: random). */
  seed?: number;
}

/** A running host. */
export interface TapHost {
  readonly dev: TapDevice;
  readonly ip: IpStack;
  readonly iface: Interface;
  readonly tcp: TcpStack;
  /** `node:net`-style API (createServer / connect) on our TCP. */
  readonly net: NetApi;
  /** Our address, dotted quad. */
  readonly address: string;
  readonly clock: RealClock;
  /** Aborts every socket, closes the device and frees what the stack holds. Idempotent. */
  close(): void;
}

/** Parses `a.b.c.d` into a number. @throws TapError `ERR_BAD_ARGUMENT` */
export function parseAddr(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null || m.slice(1).some((x) => Number(x) > 255)) throw new TapError('ERR_BAD_ARGUMENT', `not an IPv4 address: ${s}`);
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** Parses `a.b.c.d/len`. @throws TapError `ERR_BAD_ARGUMENT` */
export function parseCidr(s: string): { addr: number; prefixLen: number; address: string } {
  const [a, p] = s.split('/');
  const prefixLen = p === undefined ? 32 : Number(p);
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) throw new TapError('ERR_BAD_ARGUMENT', `bad prefix length in ${s}`);
  return { addr: parseAddr(a ?? ''), prefixLen, address: a ?? '' };
}

/**
 * Opens the TAP device and brings our stack up on it.
 * @throws TapError as {@link TapDevice.open}, or `ERR_BAD_ARGUMENT` for bad addresses
 * @example
 * const host = createTapHost({ ifname: 'tap0', addr: '198.18.0.2/24', offloads: true });
 * host.net.createServer((s) => s.pipe(s)).listen(7);
 */
export function createTapHost(opts: TapHostOptions): TapHost {
  const { addr, prefixLen, address } = parseCidr(opts.addr);
  const gw = opts.gw !== undefined ? parseAddr(opts.gw) : undefined;
  const clock = new RealClock({ unref: true });
  let scheduled = false;
  let closed = false;
  const softnet: Softnet = new Softnet({
    clock,
    onRaise: () => {
      if (scheduled || closed) return;
      scheduled = true;
      setImmediate(run);
    },
  });
  const run = (): void => {
    scheduled = false;
    if (closed) return;
    softnet.doSoftirq();
    if (softnet.pending && !scheduled) {
      scheduled = true;
      setImmediate(run);
    }
  };
  const dev = TapDevice.open({ ...opts, softnet });
  const ip = new IpStack({ clock });
  const iface = attachNetDevice(ip, dev, { addr, prefixLen });
  if (gw !== undefined) ip.addRoute({ prefix: 0, prefixLen: 0, gateway: gw, iface });
  const tcp = attachTcp(ip, { ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.tcp !== undefined ? { config: opts.tcp } : {}) });
  const net = createNet(tcp);
  return {
    dev,
    ip,
    iface,
    tcp,
    net,
    address,
    clock,
    close(): void {
      if (closed) return;
      for (const sk of [...tcp.sockets.values()]) {
        sk.onDataReady = sk.onWriteSpace = sk.onStateChange = sk.onError = sk.onAcceptReady = null;
        tcpAbort(sk);
      }
      softnet.runUntilIdle();
      dev.destroy();
      closed = true;
      ip.close();
      for (const sk of [...tcp.sockets.values()]) {
        sk.orphan = true;
        tcpAbort(sk);
      }
    },
  };
}
