/**
 * Hostile peers (issue 13, TCP part), in virtual time over the direct link: SYN
 * floods, connection floods beyond the backlog, a peer that never reads, a peer
 * whose window stays zero, and out-of-order floods. Each prints what it measured
 * (bytes, skbs, time) and checks it against the configured bound, while a
 * well-behaved connection on another port is served to completion meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { inetAccept, tcpAbort, tcpClose, tcpRecvmsg, tcpSendmsg } from '../src/socket.js';
import type { TcpSock } from '../src/sock.js';
import { TcpState } from '../src/state.js';
import { TcpError } from '../src/errors.js';
import { TcpFlags } from '../src/wire/tcp.js';
import { A, B, directEnv, inject, type DirectEnv } from './helpers/direct-env.js';

const WELL_BYTES = 2 << 20;

/** A well-behaved client A → B:81 that moves {@link WELL_BYTES} while `step()` is called once per ms. */
function wellBehaved(env: DirectEnv) {
  const l = env.listen(81, 8);
  const c = env.connect(81);
  env.clock.advance(20);
  const s = inetAccept(l);
  const data = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
  const buf = new Uint8Array(256 * 1024);
  let sent = 0;
  let got = 0;
  return {
    step(): void {
      if (sent < WELL_BYTES) {
        try {
          sent += tcpSendmsg(c, data.subarray(0, Math.min(data.length, WELL_BYTES - sent)));
        } catch (e) {
          if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
        }
      }
      for (;;) {
        let k: number;
        try {
          k = tcpRecvmsg(s, buf);
        } catch (e) {
          if (e instanceof TcpError && e.code === 'EAGAIN') break;
          throw e;
        }
        if (k === 0) break;
        got += k;
      }
    },
    get got(): number {
      return got;
    },
    close(): void {
      tcpClose(c);
      tcpClose(s);
      tcpClose(l);
    },
  };
}

/** Runs `ms` of virtual time, calling `attack(t)` and serving the well-behaved client every ms. */
function underAttack(env: DirectEnv, ms: number, attack: (t: number) => void): { servedAtMs: number } {
  const w = wellBehaved(env);
  let servedAtMs = -1;
  for (let t = 0; t < ms; t++) {
    attack(t);
    w.step();
    env.clock.advance(1);
    if (servedAtMs < 0 && w.got === WELL_BYTES) servedAtMs = t;
  }
  w.step();
  expect(w.got).toBe(WELL_BYTES);
  w.close();
  return { servedAtMs };
}

/** Most skbs alive at once while the well-behaved client runs alone (the reference for the attacks). */
function wellBehavedLiveSkbs(): number {
  const env = directEnv();
  const live0 = skbStats().live;
  let max = 0;
  const w = wellBehaved(env);
  for (let t = 0; t < 3000; t++) {
    w.step();
    env.clock.advance(1);
    max = Math.max(max, skbStats().live - live0);
  }
  w.close();
  env.clock.advance(600_000);
  return max;
}

function finish(env: DirectEnv, live0: number): void {
  env.clock.advance(600_000);
  expect(env.b.socketCount).toBe(0);
  expect(skbStats().live).toBe(live0);
}

describe('hostile peers (TCP)', () => {
  it('SYN flood of 10,000 spoofed SYN/s: SYN queue and skbs bounded, legitimate service continues', () => {
    const live0 = skbStats().live;
    const env = directEnv();
    const l = env.listen(80, 16);
    let n = 0;
    let maxLive = 0;
    let maxSynQ = 0;
    const { servedAtMs } = underAttack(env, 3000, () => {
      for (let k = 0; k < 10; k++, n++) {
        inject(env.b, (0x0b000000 + n) >>> 0, B, { srcPort: 1024 + (n % 60000), dstPort: 80, seq: (n * 40503) >>> 0, flags: TcpFlags.SYN, window: 65535, options: { mss: 1460 } });
      }
      maxLive = Math.max(maxLive, skbStats().live - live0);
      maxSynQ = Math.max(maxSynQ, l.synQueueLen);
    });
    const legit = env.connect(80);
    env.clock.advance(20);
    expect(legit.state).toBe(TcpState.ESTABLISHED);
    const ref = wellBehavedLiveSkbs();
    console.log(
      `SYN flood: ${n} SYNs in 3 s; SYN queue max ${maxSynQ} (bound 16), live skbs max +${maxLive} (well-behaved transfer alone: +${ref}), ` +
        `cookies ${env.b.mib.syncookiesSent}; well-behaved 2 MiB served in ${servedAtMs} ms`,
    );
    expect(maxSynQ).toBeLessThanOrEqual(16);
    expect(maxLive).toBeLessThanOrEqual(ref + 64); // the flood itself holds a handful of skbs (SYN-ACK retransmissions)
    const s = inetAccept(l);
    tcpClose(s);
    tcpClose(legit);
    tcpClose(l);
    finish(env, live0);
  });

  it('connection flood beyond the backlog: accept and SYN queues stay at their bounds, nothing else grows', () => {
    const live0 = skbStats().live;
    const env = directEnv();
    const l = env.listen(80, 16); // the application never accepts during the flood
    const flooders: TcpSock[] = [];
    let maxAcceptQ = 0;
    let maxSynQ = 0;
    let maxSocks = 0;
    const { servedAtMs } = underAttack(env, 2000, (t) => {
      if (t % 4 === 0) flooders.push(env.connect(80)); // 250 connects/s, 500 in all
      maxAcceptQ = Math.max(maxAcceptQ, l.acceptQueue.length);
      maxSynQ = Math.max(maxSynQ, l.synQueueLen);
      maxSocks = Math.max(maxSocks, env.b.socketCount);
    });
    const established = flooders.filter((c) => c.state === TcpState.ESTABLISHED).length;
    console.log(
      `connection flood: ${flooders.length} connects; accept queue max ${maxAcceptQ} (backlog 16), SYN queue max ${maxSynQ}, server sockets max ${maxSocks}; ` +
        `${established} clients think they are connected, overflows ${env.b.mib.listenOverflows}; well-behaved 2 MiB served in ${servedAtMs} ms`,
    );
    expect(maxAcceptQ).toBeLessThanOrEqual(16);
    expect(maxSynQ).toBeLessThanOrEqual(16);
    expect(maxSocks).toBeLessThanOrEqual(1 + 16 + 16 + 2 + 1); // listeners, accept queue, SYN queue, well-behaved pair
    for (let s = inetAcceptOrNull(l); s !== null; s = inetAcceptOrNull(l)) tcpAbort(s);
    for (const c of flooders) tcpAbort(c);
    tcpClose(l);
    finish(env, live0);
  });

  it('a peer that never reads: the sender holds at most sndbuf, the receiver at most rcvbuf', () => {
    const live0 = skbStats().live;
    const env = directEnv({ sndbuf: 256 * 1024, rcvbuf: 128 * 1024 });
    const { l, c, s } = env.established();
    const chunk = new Uint8Array(64 * 1024);
    let written = 0;
    let maxW = 0;
    let maxR = 0;
    const { servedAtMs } = underAttack(env, 3000, () => {
      try {
        written += tcpSendmsg(c, chunk);
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
      }
      maxW = Math.max(maxW, c.wmemQueued);
      maxR = Math.max(maxR, s.rmemAlloc);
    });
    console.log(`never reads: ${written} B accepted by the sender; sender queued max ${maxW} B (sndbuf ${c.sndbuf}), receiver charged max ${maxR} B (rcvbuf ${s.rcvbuf}); well-behaved served in ${servedAtMs} ms`);
    expect(maxW).toBeLessThanOrEqual(c.sndbuf + 64 * 1024); // one skb of slack, as sk_stream_memory_free
    // in-order data may overcommit rcvbuf by what is in flight (dropped beyond 2·rcvbuf, tcpDataQueue)
    expect(maxR).toBeLessThanOrEqual(2 * s.rcvbuf);
    expect(written).toBeLessThan(c.sndbuf + s.rcvbuf + 128 * 1024);
    tcpAbort(c);
    tcpAbort(s);
    tcpClose(l);
    finish(env, live0);
  });

  it('a zero window forever: probes back off to rtoMax and the connection ends (ETIMEDOUT) with bounded memory', () => {
    const live0 = skbStats().live;
    const env = directEnv({ rcvbuf: 64 * 1024 });
    const { l, c, s } = env.established();
    // fill the peer's buffer; it never reads, so its window stays 0
    const data = new Uint8Array(512 * 1024);
    let written = 0;
    for (let t = 0; t < 2000; t++) {
      try {
        written += tcpSendmsg(c, data.subarray(written));
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
      }
      env.clock.advance(1);
    }
    const zeroAt = env.clock.now();
    const probes0 = env.a.mib.probes;
    let endedAt = -1;
    let maxW = 0;
    for (let k = 0; k < 3600 && endedAt < 0; k++) {
      env.clock.advance(1000);
      maxW = Math.max(maxW, c.wmemQueued);
      if (c.state === TcpState.CLOSE) endedAt = env.clock.now();
    }
    const probeTimes = env.segs.filter((g) => g.dir === 'A>B' && g.t > zeroAt && g.len === 0 && g.seq === ((c.sndUna - 1) >>> 0)).map((g) => g.t);
    const gaps = probeTimes.slice(1).map((t, i) => t - probeTimes[i]!);
    console.log(
      `zero window: ${env.a.mib.probes - probes0} probes, largest gap ${Math.max(...gaps)} ms (rtoMax ${env.a.config.rtoMax}), ` +
        `ended after ${(endedAt - zeroAt) / 1000} s; sender queued max ${maxW} B (sndbuf ${c.sndbuf})`,
    );
    expect(endedAt).toBeGreaterThan(0);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(env.a.config.rtoMax + 1000);
    expect(env.a.mib.probes - probes0).toBeLessThanOrEqual(env.a.config.retries2 + 1);
    expect(maxW).toBeLessThanOrEqual(c.sndbuf + 64 * 1024);
    expect(() => tcpRecvmsg(c, new Uint8Array(1))).toThrow(TcpError);
    tcpClose(c);
    tcpAbort(s);
    tcpClose(l);
    finish(env, live0);
  });

  it('out-of-order flood: ofo memory stays within rcvbuf (pruned), the connection still delivers in-order data', () => {
    const live0 = skbStats().live;
    const env = directEnv({ rcvbuf: 256 * 1024 });
    const { l, c, s } = env.established();
    const payload = new Uint8Array(1000);
    let n = 0;
    let maxR = 0;
    let maxOfo = 0;
    let x = 12345;
    const { servedAtMs } = underAttack(env, 1000, () => {
      // 50 segments/ms at random offsets beyond a hole, inside the advertised window
      for (let k = 0; k < 50; k++, n++) {
        x = (x * 1103515245 + 12345) >>> 0;
        const off = 1000 + (x % 200_000);
        inject(env.b, A, B, { srcPort: c.lport, dstPort: 80, seq: (s.rcvNxt + off) >>> 0, ack: s.sndNxt, flags: TcpFlags.ACK, window: 1000 }, payload);
      }
      maxR = Math.max(maxR, s.rmemAlloc);
      maxOfo = Math.max(maxOfo, s.ofoQueue.length);
    });
    const m = env.b.mib;
    console.log(
      `ofo flood: ${n} segments; receiver charged max ${maxR} B (rcvbuf ${s.rcvbuf}), ofo max ${maxOfo} skbs in ${s.ofoQueue.runs} runs; ` +
        `dropped ${m.ofoDrop}, pruned ${m.ofoPruned}, duplicates ${m.ofoDup}; well-behaved served in ${servedAtMs} ms`,
    );
    expect(maxR).toBeLessThanOrEqual(s.rcvbuf);
    expect(m.ofoDrop + m.ofoDup).toBeGreaterThan(0);
    // in-order data from the real client is accepted: out-of-order data is pruned for it
    const before = s.rcvNxt;
    c.nodelay = true;
    expect(tcpSendmsg(c, new Uint8Array(1000).fill(9))).toBe(1000);
    env.clock.advance(50);
    expect(((s.rcvNxt - before) >>> 0) >= 1000).toBe(true);
    tcpAbort(c);
    tcpAbort(s);
    tcpClose(l);
    finish(env, live0);
  });
});

function inetAcceptOrNull(l: TcpSock): TcpSock | null {
  try {
    return inetAccept(l);
  } catch {
    return null;
  }
}
