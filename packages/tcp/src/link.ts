/**
 * A minimal in-memory "wire" that connects TCP stacks directly through their
 * {@link TcpNetOps} (no IP layer): each endpoint has an address; `queueXmit`
 * delivers the segment to the stack owning the destination address after a delay,
 * through a seeded impairment model (loss, duplication, reordering, corruption).
 * Used by unit tests and as the `'direct'` link of the testbed; the real testbed
 * runs over `@netlayers/ipv4` and `@netlayers/netdev-ring`.
 *
 * Like a real device, the link owns the skb it is given: a delivered frame is the
 * same skb (shared payload, no copy) unless it is duplicated or corrupted, which
 * copies it first.
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import type { TimerHandle, TimerService } from './clock.js';
import type { TcpNetOps, TcpRoute } from './stack.js';

/** Per-frame impairment probabilities and delays. */
export interface LinkImpairment {
  /** Drop probability 0..1. */
  loss?: number;
  /** Duplicate probability. */
  duplicate?: number;
  /** Probability a frame gets an extra random delay (reordering). */
  reorder?: number;
  /** Flip one byte with this probability. */
  corrupt?: number;
  /** Base one-way delay in ms. */
  delayMs?: number;
  /** Uniform extra delay 0..jitterMs. */
  jitterMs?: number;
}

/** mulberry32: tiny seeded PRNG. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Endpoint {
  addr: number;
  rcv: (skb: SkBuff, saddr: number, daddr: number) => void;
}

interface InFlight {
  at: number;
  skb: SkBuff;
  saddr: number;
  daddr: number;
}

/** Options of {@link DirectLink}. */
export interface DirectLinkOptions {
  clock: TimerService;
  mtu?: number;
  csumOffload?: boolean;
  tso?: boolean;
  impairment?: LinkImpairment;
  seed?: number;
}

/** The in-memory wire. */
export class DirectLink {
  readonly mtu: number;
  readonly csumOffload: boolean;
  readonly tso: boolean;
  impairment: LinkImpairment;
  private readonly clock: TimerService;
  private readonly endpoints = new Map<number, Endpoint>();
  private queue: InFlight[] = [];
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private readonly rand: () => number;
  /** Optional per-frame filter (return false to drop): `skb.data` is at the TCP header. */
  filter: ((skb: SkBuff, saddr: number, daddr: number) => boolean) | undefined;
  /** Counters. */
  readonly stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, corrupted: 0, reordered: 0 };

  constructor(opts: DirectLinkOptions) {
    this.clock = opts.clock;
    this.mtu = opts.mtu ?? 1500;
    this.csumOffload = opts.csumOffload ?? false;
    this.tso = opts.tso ?? false;
    this.impairment = opts.impairment ?? {};
    this.rand = mulberry32(opts.seed ?? 1);
  }

  /** Net ops for the stack at `addr`; `rcv` is called with delivered segments. */
  attach(addr: number, rcv: (skb: SkBuff, saddr: number, daddr: number) => void): TcpNetOps {
    this.endpoints.set(addr, { addr, rcv });
    const route: TcpRoute = { saddr: addr, mtu: this.mtu, csumOffload: this.csumOffload, tso: this.tso, gsoMaxSize: 65536 };
    return {
      maxHeader: 64,
      route: (daddr) => (this.endpoints.has(daddr) ? route : undefined),
      queueXmit: (skb, saddr, daddr) => this.xmit(skb, saddr, daddr),
    };
  }

  /** Frames in flight. */
  get pending(): number {
    return this.queue.length;
  }

  private xmit(skb: SkBuff, saddr: number, daddr: number): void {
    this.stats.sent++;
    const imp = this.impairment;
    const r = this.rand;
    if (!this.endpoints.has(daddr) || (imp.loss !== undefined && r() < imp.loss) || (this.filter !== undefined && !this.filter(skb, saddr, daddr))) {
      this.stats.dropped++;
      skb.free();
      return;
    }
    let s = skb;
    if (imp.corrupt !== undefined && r() < imp.corrupt) {
      s = skb.copy();
      skb.free();
      const i = Math.floor(r() * s.len);
      if (i < s.headlen) s.buf[s.data + i]! ^= 1 << Math.floor(r() * 8);
      this.stats.corrupted++;
    }
    let delay = imp.delayMs ?? 0;
    if (imp.jitterMs !== undefined) delay += r() * imp.jitterMs;
    if (imp.reorder !== undefined && r() < imp.reorder) {
      delay += 1 + r() * Math.max(2, (imp.delayMs ?? 1) * 2);
      this.stats.reordered++;
    }
    this.enqueue(s, saddr, daddr, delay);
    if (imp.duplicate !== undefined && r() < imp.duplicate) {
      this.stats.duplicated++;
      this.enqueue(s.copy(), saddr, daddr, delay + r() * 2);
    }
  }

  private enqueue(skb: SkBuff, saddr: number, daddr: number, delay: number): void {
    const at = this.clock.now() + delay;
    const q = this.queue;
    // keep sorted by delivery time (stable: FIFO for equal times)
    let i = q.length;
    while (i > 0 && q[i - 1]!.at > at) i--;
    q.splice(i, 0, { at, skb, saddr, daddr });
    this.arm();
  }

  private arm(): void {
    const first = this.queue[0];
    if (first === undefined) return;
    if (this.timer !== null && this.timer.active && this.timerAt <= first.at) return;
    this.timer?.cancel();
    this.timerAt = first.at;
    this.timer = this.clock.setTimeout(this.deliver, Math.max(0, first.at - this.clock.now()));
  }

  private readonly deliver = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now();
    let n = 0;
    while (this.queue.length > 0 && this.queue[0]!.at <= now && n < 4096) {
      const f = this.queue.shift()!;
      const ep = this.endpoints.get(f.daddr);
      n++;
      if (ep === undefined) {
        f.skb.free();
        continue;
      }
      this.stats.delivered++;
      ep.rcv(f.skb, f.saddr, f.daddr);
    }
    this.arm();
  };

  /** Frees every frame still in flight. */
  purge(): void {
    for (const f of this.queue) f.skb.free();
    this.queue = [];
    this.timer?.cancel();
    this.timer = null;
  }
}
