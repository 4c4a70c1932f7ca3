/**
 * A bulk transfer in virtual time over an impaired DevicePair (two full stacks:
 * TCP over IPv4 over Ethernet/ARP), driven synchronously through the socket API:
 * write as much as the send buffer takes, read everything readable, then jump
 * the virtual clock to its next deadline. Every received byte is checked
 * against the position-dependent pattern (bench/pattern.ts), in each direction.
 *
 * Used by the goodput-vs-loss bench (bench/goodput-loss.ts) and the 20 %-loss
 * test (test/loss-20.test.ts). Bounded: at most `maxVirtualMs` of virtual time
 * and `maxSteps` clock jumps, then it throws.
 *
 * @module
 */
import type { VirtualClock } from '@netlayers/clock';
import { TcpError } from '../src/errors.js';
import { inetAccept, inetBind, inetConnect, inetListen, tcpAbort, tcpRecvmsg, tcpSendmsg } from '../src/socket.js';
import type { TcpSock } from '../src/sock.js';
import type { TcpMib } from '../src/stack.js';
import { TcpState } from '../src/state.js';
import { createTestbed, type Testbed } from '../src/testing/index.js';
import { ccConfig, congestionControlOf, setCongestionControl } from './cc.js';
import { patternAt, patternMatches } from './pattern.js';

/** One simulated transfer. */
export interface LossSimOptions {
  /** Bytes the client sends to the server. */
  bytes: number;
  /** Bytes the server sends back at the same time (default 0: one direction). */
  reverseBytes?: number;
  /** Random loss probability of each frame, each direction (0..1). */
  loss: number;
  /** Round-trip time of the link in ms (half of it one-way delay each direction). */
  rttMs: number;
  /** Congestion control name ('reno', 'cubic', 'vegas'; see `availableCongestionControls` in bench/cc.ts). */
  cc: string;
  /** Negotiate SACK (timestamps follow the same switch). */
  sack: boolean;
  /** Bottleneck rate of the link in bits/s, each direction (default unlimited); frames queue up to 100 ms behind it. */
  rateBps?: number;
  /** Seed of the impairment streams, ISNs and hash keys. */
  seed: number;
  /** Virtual-time cap in ms (default 4 h). */
  maxVirtualMs?: number;
  /** Cap on clock jumps (default 50 M). */
  maxSteps?: number;
}

/** Counters of one sender. */
export interface SenderCounters {
  outSegs: number;
  retransSegs: number;
  fastRetrans: number;
  timeouts: number;
}

/** What a simulated transfer measured. */
export interface LossSimResult {
  /** Verified bytes received by the server and by the client. */
  received: [number, number];
  /** Virtual ms from the connection being established until the last byte of each direction was read. */
  virtualMs: [number, number];
  /** Client-side and server-side sender counters. */
  senders: [SenderCounters, SenderCounters];
  /** Frames the link dropped (both directions). */
  linkLost: number;
  /** The two senders' smoothed RTT (ms) when the transfer ended: queueing at a bottleneck shows here. */
  srttMs: [number, number];
  /** Clock jumps taken. */
  steps: number;
}

function counters(m: TcpMib): SenderCounters {
  return { outSegs: m.outSegs, retransSegs: m.retransSegs, fastRetrans: m.fastRetrans, timeouts: m.timeouts };
}

/** One direction of the transfer: what to send from `tx` and what `rx` has verified. */
class Flow {
  sent = 0;
  got = 0;
  doneAt = -1;
  constructor(
    readonly name: string,
    readonly tx: TcpSock,
    readonly rx: TcpSock,
    readonly total: number,
    private readonly buf: Uint8Array,
  ) {}

  /** Writes until the send buffer is full; @returns whether anything moved. */
  fill(): boolean {
    let moved = false;
    while (this.sent < this.total) {
      const n = again(() => tcpSendmsg(this.tx, patternAt(this.sent, Math.min(this.buf.length, this.total - this.sent))));
      if (n === 0) break;
      this.sent += n;
      moved = true;
    }
    return moved;
  }

  /** Reads and verifies everything readable; @returns whether anything moved. */
  drain(now: number): boolean {
    let moved = false;
    while (this.got < this.total) {
      const n = again(() => tcpRecvmsg(this.rx, this.buf));
      if (n === 0) break;
      if (!patternMatches(this.got, this.buf.subarray(0, n))) throw new Error(`${this.name}: wrong bytes at stream offset ${this.got}`);
      this.got += n;
      moved = true;
    }
    if (this.got > this.total) throw new Error(`${this.name}: ${this.got} bytes received, ${this.total} sent`);
    if (this.got === this.total && this.doneAt < 0) this.doneAt = now;
    return moved;
  }
}

/** Runs `f`, turning EAGAIN into 0. */
function again(f: () => number): number {
  try {
    return f();
  } catch (e) {
    if (e instanceof TcpError && e.code === 'EAGAIN') return 0;
    throw e;
  }
}

/** Jumps the clock to its next deadline; throws past the caps. */
function step(vc: VirtualClock, capMs: number, what: () => string): void {
  const next = vc.nextDeadline();
  if (next === undefined) throw new Error(`loss-sim: simulation idle before the end (${what()})`);
  if (next > capMs) throw new Error(`loss-sim: virtual-time cap of ${capMs} ms reached (${what()})`);
  vc.advanceTo(next);
}

function establish(tb: Testbed, vc: VirtualClock, cc: string, capMs: number): [TcpSock, TcpSock, TcpSock] {
  const [a, b] = tb.hosts;
  const l = b.tcp.newSock();
  setCongestionControl(l, cc);
  inetBind(l, 0, 5001);
  inetListen(l, 16);
  const c = a.tcp.newSock();
  setCongestionControl(c, cc);
  inetConnect(c, b.addr, 5001);
  for (let i = 0; i < 100_000; i++) {
    const s = again(() => inetAccept(l).id);
    if (s !== 0 && c.state === TcpState.ESTABLISHED) return [l, c, b.tcp.sockets.get(s)!];
    step(vc, capMs, () => 'connecting');
  }
  throw new Error('loss-sim: connect did not complete');
}

/**
 * Transfers `bytes` client→server (and `reverseBytes` server→client at the same
 * time) in virtual time; every byte verified. Frees the testbed.
 * @example
 * const r = simulateBulk({ bytes: 1 << 20, loss: 0.01, rttMs: 10, cc: 'reno', sack: true, seed: 1 });
 * console.log((r.received[0] * 8) / r.virtualMs[0] / 1000, 'Mbit/s');
 */
export function simulateBulk(o: LossSimOptions): LossSimResult {
  const reverse = o.reverseBytes ?? 0;
  const capMs = o.maxVirtualMs ?? 4 * 3600_000;
  const maxSteps = o.maxSteps ?? 50_000_000;
  const oneWay = o.rttMs / 2;
  const tb = createTestbed({
    link: 'pair',
    seed: o.seed,
    tcp: { ...ccConfig(o.cc), sack: o.sack, timestamps: o.sack, timeWaitMs: 1000 },
    ...(o.loss > 0 || oneWay > 0 || o.rateBps !== undefined
      ? { impairment: { loss: o.loss, delayMs: oneWay, ...(o.rateBps !== undefined ? { rateBps: o.rateBps } : {}) } }
      : {}),
  });
  const vc = tb.clock as VirtualClock;
  const [a, b] = tb.hosts;
  // a throwing TCP timer would otherwise be rethrown in a microtask this synchronous loop never yields to
  let timerError: unknown;
  for (const h of tb.hosts) h.tcp.wheel.onError = (e) => (timerError ??= e);
  try {
    const [l, c, s] = establish(tb, vc, o.cc, capMs);
    for (const sk of [c, s]) {
      const got = `${congestionControlOf(sk)}, sack ${sk.sackOk}, timestamps ${sk.tstampOk}`;
      if (got !== `${o.cc}, sack ${o.sack}, timestamps ${o.sack}`) throw new Error(`loss-sim: connection runs ${got}, not what was asked`);
    }
    const t0 = vc.now();
    const flows = [new Flow('client→server', c, s, o.bytes, new Uint8Array(1 << 16)), new Flow('server→client', s, c, reverse, new Uint8Array(1 << 16))];
    const what = (): string => `${flows.map((f) => `${f.name} ${f.got}/${f.total}`).join(', ')}; ${o.cc}, sack ${o.sack}, loss ${o.loss}, RTT ${o.rttMs} ms, seed ${o.seed}, at ${vc.now()} ms`;
    let steps = 0;
    for (const f of flows) f.drain(vc.now());
    while (flows.some((f) => f.doneAt < 0)) {
      // checked before the calls, which would throw the socket's error without the context
      if (timerError !== undefined) throw new Error(`loss-sim: a TCP timer threw (${what()})`, { cause: timerError });
      for (const sk of [c, s]) {
        if (sk.state === TcpState.CLOSE) throw new Error(`loss-sim: connection closed (${sk.err ?? sk.softErr ?? 'no error'}, ${sk.retransmits} retransmissions of the head) (${what()})`);
      }
      let moved = false;
      for (const f of flows) moved = f.fill() || moved;
      for (const f of flows) moved = f.drain(vc.now()) || moved;
      if (moved) continue; // sending or reading may have queued work due now
      if (++steps > maxSteps) throw new Error(`loss-sim: ${maxSteps} clock steps (${what()})`);
      step(vc, capMs, what);
    }
    const ls = tb.pair!.linkStats();
    const result: LossSimResult = {
      received: [flows[0]!.got, flows[1]!.got],
      virtualMs: [flows[0]!.doneAt - t0, flows[1]!.doneAt - t0],
      senders: [counters(a.tcp.mib), counters(b.tcp.mib)],
      linkLost: ls.aToB.lost + ls.bToA.lost,
      srttMs: [c.srtt, s.srtt],
      steps,
    };
    for (const sk of [c, s, l]) tcpAbort(sk);
    return result;
  } finally {
    tb.destroy();
  }
}
