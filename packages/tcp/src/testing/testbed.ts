/**
 * `createTestbed`: two hosts with our full stack (TCP over `@netlayers/ipv4` over
 * `@netlayers/netdev-ring`) on a virtual or real clock, for users' own
 * property-based tests (and ours).
 *
 * - `link: 'pair'` — two IPv4 stacks (198.18.0.1/24 and 198.18.0.2/24) joined by
 *   a veth-like `DevicePair` (Ethernet + ARP, NAPI, qdisc) with the given MTU and
 *   seeded impairments; `checksumOffload: false` makes TCP checksum in software.
 * - `link: 'loopback'` — one IPv4 stack with a `LoopbackDevice` (`lo`,
 *   127.0.0.1/8, MTU 65536, checksums unnecessary); both hosts are views of the
 *   same TCP stack (as two processes on one Linux host).
 * - `link: 'loopback2'` — two IPv4 + TCP stacks (198.18.0.1 and 198.18.0.2)
 *   joined by two crossed `LoopbackDevice`s: each host transmits through its own
 *   `lo` (MTU 65536, CHECKSUM_PARTIAL → UNNECESSARY, softnet backlog), whose
 *   receive handler is the other host's IP layer.
 * - `link: 'direct'` — two TCP stacks wired through TCP's own in-memory
 *   {@link DirectLink} (no IP layer): the fastest, for TCP-only tests.
 *
 * With `clock: 'virtual'` nothing runs until `runUntil` advances time: it flushes
 * microtasks, runs softirqs and due timers in order, and stops when the predicate
 * holds (or throws after `timeoutMs` of virtual time).
 *
 * @module
 */

import { RealClock, VirtualClock } from '@netlayers/clock';
import { attachNetDevice, EtherType, netdevLink, Stack as IpStack } from '@netlayers/ipv4';
import { DevicePair, LoopbackDevice, NETIF_F, Softnet, type ImpairmentProfile } from '@netlayers/netdev-ring';
import type { TimerService } from '../clock.js';
import { attachTcp } from '../inet.js';
import { DirectLink } from '../link.js';
import { createNet, type NetApi, type TcpConnectOptions, type TcpServerOptions, type TcpServer, type TcpSocket } from '../net-compat.js';
import { tcpAbort } from '../socket.js';
import { TcpStack, type TcpConfig } from '../stack.js';

/** Options of {@link createTestbed}. */
export interface TestbedOptions {
  /** `'pair'` (default), `'loopback'`, `'loopback2'` or `'direct'`. */
  link?: 'loopback' | 'loopback2' | 'pair' | 'direct';
  /** Link MTU (pair default 1500; loopback 65536). */
  mtu?: number;
  /** Seeded impairments of the wire (pair and direct). */
  impairment?: ImpairmentProfile;
  /** Seed for impairments, hash keys and ISNs. */
  seed?: number;
  /** `'virtual'` (default, deterministic) or `'real'`. */
  clock?: 'virtual' | 'real';
  /** Device checksum offload (pair: default true; false = software checksums). */
  checksumOffload?: boolean;
  /** TCP tunables for both hosts. */
  tcp?: Partial<TcpConfig>;
  /** RX ring entries of each DevicePair end (default 4096). */
  rxRingSize?: number;
  /** Enable GRO on the DevicePair ends (default true). */
  gro?: boolean;
  /** Enable GSO on the DevicePair ends, so TCP sends 64 KiB super-segments (default true). */
  gso?: boolean;
}

/** One host of a testbed. */
export interface TestHost {
  /** Dotted-quad address of this host. */
  readonly address: string;
  /** The address as a number. */
  readonly addr: number;
  /** The TCP instance. */
  readonly tcp: TcpStack;
  /** The IPv4 stack (undefined on the direct link). */
  readonly ip: IpStack | undefined;
  /** `net`-style API bound to this host. */
  readonly net: NetApi;
  createServer(opts?: TcpServerOptions | ((s: TcpSocket) => void), onConnection?: (s: TcpSocket) => void): TcpServer;
  connect(portOrOpts: number | TcpConnectOptions, hostOrCb?: string | (() => void), cb?: () => void): TcpSocket;
}

/** What {@link createTestbed} returns. */
export interface Testbed {
  readonly hosts: [TestHost, TestHost];
  readonly clock: VirtualClock | RealClock;
  /**
   * Runs the simulation until `pred()` is true. Virtual clock: steps through
   * microtasks, softirqs and timers; throws `Error('runUntil timeout')` after
   * `timeoutMs` of virtual time. Real clock: polls until `timeoutMs` of real time.
   */
  runUntil(pred: () => boolean, opts?: { timeoutMs?: number; wallTimeoutMs?: number }): Promise<void>;
  /** Advances virtual time by `ms` (flushing work); on a real clock, waits `ms`. */
  sleep(ms: number): Promise<void>;
  /** Aborts every socket, frees every frame and buffer the testbed holds. */
  destroy(): void;
  /**
   * Runs pending softirqs (device rings, NAPI, backlogs) synchronously until idle;
   * for tight benchmark loops. @returns rounds run
   */
  pump(): number;
  /** The device pair (link 'pair'). */
  readonly pair: DevicePair | undefined;
  /** The direct link (link 'direct'). */
  readonly direct: DirectLink | undefined;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function makeHost(address: string, addr: number, tcp: TcpStack, ip: IpStack | undefined): TestHost {
  const net = createNet(tcp);
  return { address, addr, tcp, ip, net, createServer: net.createServer, connect: net.connect };
}

/**
 * Builds two connected hosts.
 * @example
 * const tb = createTestbed({ link: 'pair', impairment: { loss: 0.05, seed: 7 } });
 * const [a, b] = tb.hosts;
 * const srv = b.createServer((s) => s.pipe(s)).listen(7);
 * const c = a.connect(7, b.address);
 */
export function createTestbed(opts: TestbedOptions = {}): Testbed {
  const virtual = (opts.clock ?? 'virtual') === 'virtual';
  const clock: VirtualClock | RealClock = virtual ? new VirtualClock(0) : new RealClock({ unref: true });
  const seed = opts.seed ?? 1;
  const link = opts.link ?? 'pair';
  const softnets: Softnet[] = [];
  const makeSoftnet = (): Softnet => {
    let scheduled = false;
    const sn: Softnet = new Softnet({
      clock,
      onRaise: () => {
        if (scheduled) return;
        scheduled = true;
        const run = (): void => {
          scheduled = false;
          sn.doSoftirq();
          if (sn.pending && !scheduled) {
            scheduled = true;
            schedule(run);
          }
        };
        schedule(run);
      },
    });
    softnets.push(sn);
    return sn;
  };
  const schedule = (fn: () => void): void => {
    if (virtual) clock.setTimeout(fn, 0);
    else setImmediate(fn);
  };
  const tcpOpts = (s: number) => ({ seed: s, ...(opts.tcp !== undefined ? { config: opts.tcp } : {}) });
  let hosts: [TestHost, TestHost];
  let pair: DevicePair | undefined;
  let direct: DirectLink | undefined;
  const ipStacks: IpStack[] = [];
  const tcps: TcpStack[] = [];
  let extraDestroy: (() => void) | undefined;
  if (link === 'direct') {
    const imp = opts.impairment ?? {};
    direct = new DirectLink({
      clock: clock as TimerService,
      mtu: opts.mtu ?? 1500,
      csumOffload: opts.checksumOffload ?? false,
      seed: imp.seed ?? seed,
      impairment: {
        ...(imp.loss !== undefined ? { loss: imp.loss } : {}),
        ...(imp.duplicate !== undefined ? { duplicate: imp.duplicate } : {}),
        ...(imp.reorder !== undefined ? { reorder: imp.reorder } : {}),
        ...(imp.corrupt !== undefined ? { corrupt: imp.corrupt } : {}),
        ...(imp.delayMs !== undefined ? { delayMs: imp.delayMs } : {}),
        ...(imp.jitterMs !== undefined ? { jitterMs: imp.jitterMs } : {}),
      },
    });
    const A = 0xc6120001;
    const B = 0xc6120002;
    let ta!: TcpStack;
    let tb!: TcpStack;
    ta = new TcpStack({ clock, net: direct.attach(A, (s, sa, da) => ta.tcpV4Rcv(s, sa, da)), ...tcpOpts(seed) });
    tb = new TcpStack({ clock, net: direct.attach(B, (s, sa, da) => tb.tcpV4Rcv(s, sa, da)), ...tcpOpts(seed + 1) });
    tcps.push(ta, tb);
    hosts = [makeHost('198.18.0.1', A, ta, undefined), makeHost('198.18.0.2', B, tb, undefined)];
  } else if (link === 'loopback2') {
    const sn = makeSoftnet();
    const loA = new LoopbackDevice({ softnet: sn, name: 'lo-a', ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}) });
    const loB = new LoopbackDevice({ softnet: sn, name: 'lo-b', ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}) });
    loA.open();
    loB.open();
    const A = 0xc6120001;
    const B = 0xc6120002;
    const ipa = new IpStack({ clock, idSeed: seed });
    const ipb = new IpStack({ clock, idSeed: seed + 1 });
    const ifa = ipa.addInterface({ dev: netdevLink(loA), addr: A, prefixLen: 24 });
    const ifb = ipb.addInterface({ dev: netdevLink(loB), addr: B, prefixLen: 24 });
    // crossed: what A sends on lo-a is received by B, and vice versa
    loA.addPacketHandler(EtherType.IPV4, (skb) => ipb.receiveIp(ifb, skb));
    loB.addPacketHandler(EtherType.IPV4, (skb) => ipa.receiveIp(ifa, skb));
    ipStacks.push(ipa, ipb);
    const ta = attachTcp(ipa, tcpOpts(seed));
    const tb = attachTcp(ipb, tcpOpts(seed + 1));
    tcps.push(ta, tb);
    hosts = [makeHost('198.18.0.1', A, ta, ipa), makeHost('198.18.0.2', B, tb, ipb)];
    extraDestroy = () => {
      loA.stop();
      loB.stop();
    };
  } else if (link === 'loopback') {
    const sn = makeSoftnet();
    const lo = new LoopbackDevice({ softnet: sn, ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}) });
    lo.open();
    const ip = new IpStack({ clock, idSeed: seed });
    attachNetDevice(ip, lo, { addr: 0x7f000001, prefixLen: 8 });
    ipStacks.push(ip);
    const t = attachTcp(ip, tcpOpts(seed));
    tcps.push(t);
    const h = makeHost('127.0.0.1', 0x7f000001, t, ip);
    hosts = [h, h];
    extraDestroy = () => lo.stop();
  } else {
    const features =
      NETIF_F.SG | ((opts.gso ?? true) ? NETIF_F.GSO : 0) | ((opts.gro ?? true) ? NETIF_F.GRO : 0) | ((opts.checksumOffload ?? true) ? NETIF_F.HW_CSUM | NETIF_F.RXCSUM : 0);
    const rxRingSize = opts.rxRingSize ?? 4096;
    pair = DevicePair.create({
      clock,
      mtu: opts.mtu ?? 1500,
      features,
      a: { softnet: makeSoftnet(), rxRingSize },
      b: { softnet: makeSoftnet(), rxRingSize },
      ...(opts.impairment !== undefined ? { impairment: { seed, ...opts.impairment } } : {}),
    });
    const A = 0xc6120001;
    const B = 0xc6120002;
    const ipa = new IpStack({ clock, idSeed: seed });
    const ipb = new IpStack({ clock, idSeed: seed + 1 });
    attachNetDevice(ipa, pair.a, { addr: A, prefixLen: 24 });
    attachNetDevice(ipb, pair.b, { addr: B, prefixLen: 24 });
    ipStacks.push(ipa, ipb);
    const ta = attachTcp(ipa, tcpOpts(seed));
    const tb = attachTcp(ipb, tcpOpts(seed + 1));
    tcps.push(ta, tb);
    hosts = [makeHost('198.18.0.1', A, ta, ipa), makeHost('198.18.0.2', B, tb, ipb)];
  }

  async function runUntil(pred: () => boolean, o: { timeoutMs?: number; wallTimeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = o.timeoutMs ?? 60_000;
    if (!virtual) {
      const end = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > end) throw new Error('runUntil timeout');
        await tick();
      }
      return;
    }
    const vc = clock as VirtualClock;
    const deadline = vc.now() + timeoutMs;
    const wallEnd = Date.now() + (o.wallTimeoutMs ?? 120_000);
    for (let i = 0; i < 50_000_000; i++) {
      if ((i & 0xffff) === 0xffff && Date.now() > wallEnd) throw new Error(`runUntil: ${o.wallTimeoutMs ?? 120_000} ms of real time spent (livelock?) at virtual ${vc.now()} ms`);
      await tick();
      if (pred()) return;
      const next = vc.nextDeadline();
      if (next === undefined) {
        await tick();
        if (pred()) return;
        if (vc.nextDeadline() === undefined) throw new Error('runUntil: simulation idle and predicate false');
        continue;
      }
      if (next > deadline) {
        vc.advanceTo(deadline);
        await tick();
        if (pred()) return;
        throw new Error(`runUntil timeout after ${timeoutMs} ms of virtual time`);
      }
      vc.advanceTo(next);
    }
    throw new Error('runUntil: step limit');
  }

  async function sleep(ms: number): Promise<void> {
    if (!virtual) {
      await new Promise((r) => setTimeout(r, ms));
      return;
    }
    const vc = clock as VirtualClock;
    const end = vc.now() + ms;
    for (;;) {
      await tick();
      const next = vc.nextDeadline();
      if (next === undefined || next > end) break;
      vc.advanceTo(next);
    }
    vc.advanceTo(end);
    await tick();
  }

  function destroy(): void {
    for (const t of tcps) {
      for (const sk of [...t.sockets.values()]) {
        sk.onDataReady = sk.onWriteSpace = sk.onStateChange = sk.onError = sk.onAcceptReady = null;
        tcpAbort(sk);
      }
    }
    for (let i = 0; i < 3; i++) for (const sn of softnets) sn.runUntilIdle();
    pair?.destroy();
    direct?.purge();
    extraDestroy?.();
    for (const ip of ipStacks) ip.close();
    for (const t of tcps) {
      for (const sk of [...t.sockets.values()]) {
        sk.orphan = true;
        tcpAbort(sk);
      }
    }
  }

  function pump(): number {
    let n = 0;
    for (let i = 0; i < 1000; i++) {
      let any = false;
      for (const sn of softnets) {
        if (sn.pending) {
          sn.doSoftirq();
          any = true;
          n++;
        }
      }
      if (!any) break;
    }
    return n;
  }

  return { hosts, clock, runUntil, sleep, destroy, pump, pair, direct };
}
