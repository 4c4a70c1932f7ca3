/**
 * Linux timer and push behaviours (issue 10) over a DirectLink in virtual time, with
 * every segment recorded: quick-ACK mode for the first data of a connection (up to
 * `TCP_MAX_QUICKACKS` = 16 immediate ACKs) then the ≈40 ms delayed ACK
 * (`TCP_DELACK_MIN`); immediate ACKs while out-of-order data is held and when the
 * hole fills; quick-ACK mode again after a duplicate segment (`tcp_enter_quickack_mode`);
 * RTO = SRTT + max(4·RTTVAR, 200 ms) (RFC 6298 with Linux's 200 ms floor, for small
 * and large RTTs); SYN-ACK retransmissions at 1 s, 2 s, 4 s (`TCP_TIMEOUT_INIT`);
 * TCP_CORK, MSG_MORE and TCP_NODELAY pushing what Nagle or the cork held.
 * (Data RTO backoff and SYN retransmissions are in scenarios.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { SocketApi } from '../src/socket-api.js';
import { inetAccept, inetBind, inetConnect, inetListen, tcpClose, tcpSendmsg, tcpShutdown } from '../src/socket.js';
import { VirtualClock } from '@netlayers/clock';
import { DirectLink } from '../src/link.js';
import { createTestbed } from '../src/testing/index.js';
import { TcpStack } from '../src/stack.js';
import type { TcpSock } from '../src/sock.js';
import { TcpFlags, TcpPacket } from '../src/wire/tcp.js';
import { apiConnect } from './helpers/api-conn.js';
import { A, B, directEnv, type DirectEnv, type Seg } from './helpers/direct-env.js';

const data = (s: Seg): boolean => s.dir === 'A>B' && s.len > 0;
const acks = (s: Seg): boolean => s.dir === 'B>A' && s.len === 0;

function closeAll(env: DirectEnv, ...socks: TcpSock[]): void {
  for (const k of socks) tcpClose(k);
  env.clock.advance(200_000);
}

/** Sends one `len`-byte segment from c and returns how long B took to ACK it (ms, link delay excluded). */
function ackDelay(env: DirectEnv, c: TcpSock, len: number, delayMs: number): number {
  const mark = env.segs.length;
  tcpSendmsg(c, new Uint8Array(len));
  env.clock.advance(300);
  const sent = env.segs.slice(mark).find(data)!;
  const ack = env.segs.slice(mark).find(acks)!;
  return ack.t - sent.t - delayMs;
}

/** Two stacks over a DirectLink with TSO (64 KiB GSO), the client's data packets recorded. */
function tsoPair(oneWayMs: number) {
  const clock = new VirtualClock(0);
  const link = new DirectLink({ clock, tso: true, impairment: { delayMs: oneWayMs } });
  const pkts: { len: number; flags: number }[] = [];
  const a: TcpStack = new TcpStack({ clock, net: link.attach(A, (x, sa, da) => a.tcpV4Rcv(x, sa, da)), seed: 1 });
  const b: TcpStack = new TcpStack({ clock, net: link.attach(B, (x, sa, da) => b.tcpV4Rcv(x, sa, da)), seed: 2 });
  link.filter = (skb, sa) => {
    const p = TcpPacket.unchecked(skb.buf, skb.data, skb.headlen);
    if (sa === A && skb.len > p.headerLen) pkts.push({ len: skb.len - p.headerLen, flags: p.flags });
    return true;
  };
  const l = b.newSock();
  inetBind(l, 0, 80);
  inetListen(l, 4);
  const c = a.newSock();
  inetConnect(c, B, 80);
  clock.advance(4 * oneWayMs + 1);
  const s = inetAccept(l);
  expect(c.tso).toBe(true);
  return {
    clock,
    c,
    pkts,
    close(): void {
      for (const k of [c, s, l]) tcpClose(k);
      clock.advance(200_000);
    },
  };
}

describe('Linux delayed ACK and quick-ACK mode', () => {
  it('the first 16 data segments are ACKed at once (quick-ACK mode), later ones after ≈40 ms', () => {
    const live = skbStats().live;
    const env = directEnv({}, 1);
    const { c, s, l } = env.established();
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) delays.push(ackDelay(env, c, 100, 1));
    expect(delays.slice(0, 16).every((d) => d <= 1)).toBe(true);
    for (const d of delays.slice(16)) {
      expect(d).toBeGreaterThanOrEqual(40); // TCP_DELACK_MIN
      expect(d).toBeLessThanOrEqual(42);
    }
    expect(env.b.mib.delayedAcks).toBe(4);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live);
  });

  it('out-of-order data is ACKed at once (with SACK), so is the segment that fills the hole', () => {
    const live = skbStats().live;
    const env = directEnv({ sack: true }, 1);
    const { c, s, l } = env.established();
    for (let i = 0; i < 17; i++) ackDelay(env, c, 100, 1); // quick ACKs used up
    expect(ackDelay(env, c, 100, 1)).toBeGreaterThanOrEqual(40);
    c.nodelay = true;
    const base = c.sndNxt;
    let dropped = false;
    env.setDrop((p, sa, len) => {
      if (sa !== A || len === 0 || dropped || p.seq !== base) return false;
      dropped = true;
      return true;
    });
    const mark = env.segs.length;
    for (let i = 0; i < 3; i++) tcpSendmsg(c, new Uint8Array(100));
    env.clock.advance(3);
    const dup = env.segs.slice(mark).filter(acks);
    expect(dup.length).toBe(2); // one immediate ACK per out-of-order segment
    for (const d of dup) expect(d.ack).toBe(base);
    env.clock.advance(1000); // the sender retransmits the hole (fast retransmit or RTO)
    const fill = env.segs.slice(mark).find((x) => data(x) && x.seq === base && x.t > env.segs[mark]!.t)!;
    const ackOfFill = env.segs.slice(mark).find((x) => acks(x) && x.t >= fill.t && x.ack === ((base + 300) >>> 0))!;
    expect(ackOfFill.t - fill.t - 1).toBeLessThanOrEqual(1); // hole filled: ACK now (RFC 5681 §4.2)
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live);
  });

  it('a FIN before any data is ACKed at once; after data it waits for the delayed-ACK timer', () => {
    const live = skbStats().live;
    for (const withData of [false, true]) {
      const env = directEnv({}, 1);
      const { c, s, l } = env.established();
      if (withData) ackDelay(env, c, 100, 1);
      const mark = env.segs.length;
      tcpShutdown(c, 1);
      env.clock.advance(100);
      const fin = env.segs.slice(mark).find((x) => x.dir === 'A>B' && (x.flags & TcpFlags.FIN) !== 0)!;
      const ack = env.segs.slice(mark).find((x) => acks(x) && x.ack === ((fin.seq + 1) >>> 0))!;
      const d = ack.t - fin.t - 1;
      if (withData) expect(d).toBeGreaterThanOrEqual(40); // tcp_fin: pingpong, the delayed ACK (ato 40 ms)
      else expect(d).toBeLessThanOrEqual(1); // icsk_ack.ato still 0: the delayed-ACK timer fires at once
      closeAll(env, c, s, l);
    }
    expect(skbStats().live).toBe(live);
  });

  it('a duplicate segment re-enters quick-ACK mode: the next data is ACKed at once', () => {
    const live = skbStats().live;
    const env = directEnv({}, 1);
    const { c, s, l } = env.established();
    for (let i = 0; i < 17; i++) ackDelay(env, c, 100, 1);
    expect(ackDelay(env, c, 100, 1)).toBeGreaterThanOrEqual(40);
    // the peer resends old data (a spurious retransmission): B ACKs at once and quick-ACKs again
    const dupBefore = env.b.mib.dupData;
    const mark = env.segs.length;
    const rtx = c.rtxQueue.peek();
    expect(rtx).toBeNull(); // all acknowledged: resend the last 100 bytes by hand
    c.sndNxt = (c.sndNxt - 100) >>> 0;
    c.sndUna = c.sndNxt;
    c.writeSeq = c.sndNxt;
    tcpSendmsg(c, new Uint8Array(100));
    env.clock.advance(5);
    expect(env.b.mib.dupData).toBe(dupBefore + 1);
    const ack = env.segs.slice(mark).find(acks)!;
    expect(ack.t - env.segs.slice(mark).find(data)!.t - 1).toBeLessThanOrEqual(1);
    expect(ackDelay(env, c, 100, 1)).toBeLessThanOrEqual(1);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live);
  });
});

describe('receiver MSS estimate (drives the delayed-ACK engine)', () => {
  it('a GRO skb counts as segments of its gso_size, not its length (tcp_measure_rcv_mss)', async () => {
    const live = skbStats().live;
    const tb = createTestbed({ link: 'pair', tcp: { timestamps: true } });
    const conn = await apiConnect(tb, 7001);
    const { sa, sb, c, s } = conn;
    expect(sa.send(c, new Uint8Array(256 << 10))).toBe(256 << 10);
    const buf = new Uint8Array(1 << 20);
    let got = 0;
    await tb.runUntil(() => {
      try {
        got += sb.recv(s, buf);
      } catch {
        /* EAGAIN */
      }
      return got === 256 << 10;
    });
    const info = sb.tcpInfo(s);
    expect(info.tcpi_advmss).toBe(1460);
    expect(info.tcpi_rcv_mss).toBe(sa.tcpInfo(c).tcpi_snd_mss); // 1448: 1460 less the timestamp option
    conn.close();
    tb.destroy();
    expect(skbStats().live).toBe(live);
  });
});

describe('Linux RTO and SYN-ACK timers', () => {
  it('the passive side takes an RTT sample from its SYN-ACK: its first RTO is SRTT + 200 ms, not 1 s', () => {
    const live = skbStats().live;
    const env = directEnv({}, 5);
    const { c, s, l } = env.established();
    expect(s.srtt).toBeGreaterThanOrEqual(10);
    expect(s.srtt).toBeLessThanOrEqual(11);
    s.nodelay = true;
    env.setDrop((_p, sa, len) => sa === B && len > 0);
    const mark = env.segs.length;
    tcpSendmsg(s, new Uint8Array(100));
    env.clock.advance(1500);
    const tx = env.segs.slice(mark).filter((x) => x.dir === 'B>A' && x.len > 0).map((x) => x.t);
    expect(tx[1]! - tx[0]!).toBeGreaterThanOrEqual(210);
    expect(tx[1]! - tx[0]!).toBeLessThanOrEqual(212);
    env.setDrop(undefined);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live);
  });


  for (const oneWay of [5, 200]) {
    it(`RTO = SRTT + max(4·RTTVAR, 200 ms) with a ${2 * oneWay} ms RTT`, () => {
      const live = skbStats().live;
      const env = directEnv({}, oneWay);
      const l = env.listen();
      const c = env.connect();
      env.clock.advance(4 * oneWay);
      const s = inetAccept(l);
      c.nodelay = true;
      for (let i = 0; i < 4; i++) {
        tcpSendmsg(c, new Uint8Array(100));
        env.clock.advance(2 * oneWay + 50);
      }
      const expected = c.srtt + Math.max(4 * c.rttvar, 200);
      expect(c.rto).toBeCloseTo(expected, 6);
      expect(c.srtt).toBeGreaterThanOrEqual(2 * oneWay);
      expect(c.srtt).toBeLessThanOrEqual(2 * oneWay + 1);
      if (oneWay === 5) expect(c.rto).toBeLessThan(215); // the 200 ms floor dominates
      env.setDrop((_p, sa, len) => sa === A && len > 0);
      const mark = env.segs.length;
      tcpSendmsg(c, new Uint8Array(100));
      env.clock.advance(2 * expected + 100);
      const tx = env.segs.slice(mark).filter(data).map((x) => x.t);
      expect(tx.length).toBeGreaterThanOrEqual(2);
      expect(tx[1]! - tx[0]!).toBeGreaterThanOrEqual(Math.floor(expected));
      expect(tx[1]! - tx[0]!).toBeLessThanOrEqual(Math.ceil(expected) + 1);
      env.setDrop(undefined);
      closeAll(env, c, s, l);
      expect(skbStats().live).toBe(live);
    });
  }

  it('SYN-ACK retransmissions at 1 s, 2 s, 4 s while the final ACK is lost', () => {
    const live = skbStats().live;
    const env = directEnv({ synAckRetries: 3 }, 1);
    env.setDrop((p, sa) => sa === A && (p.flags & TcpFlags.SYN) === 0); // the client's ACKs never arrive
    const l = env.listen();
    const c = env.connect();
    env.clock.advance(20_000);
    const synAcks = env.segs.filter((x) => x.dir === 'B>A' && (x.flags & (TcpFlags.SYN | TcpFlags.ACK)) === (TcpFlags.SYN | TcpFlags.ACK));
    const t0 = synAcks[0]!.t;
    expect(synAcks.map((x) => x.t - t0).slice(0, 4)).toEqual([0, 1000, 3000, 7000]);
    env.setDrop(undefined);
    closeAll(env, c, l);
    expect(skbStats().live).toBe(live);
  });
});

describe('Nagle, TCP_CORK, MSG_MORE and TCP_NODELAY push', () => {
  it('MSG_MORE on a TSO route: a write over one MSS sends its full segments, the remainder waits (tcp_mss_split_point)', () => {
    const live = skbStats().live;
    const t = tsoPair(1);
    const { c } = t;
    c.nodelay = true;
    const mss = c.mss;
    const lens = (): number[] => t.pkts.map((x) => x.len);
    tcpSendmsg(c, new Uint8Array(2 * mss + 180), true); // one skb (the size goal is 64 KiB)
    t.clock.advance(1); // before the ACK is back
    expect(lens()).toEqual([2 * mss]);
    t.clock.advance(5); // the ACK pushes pending frames without the call's MSG_MORE (TCP_NODELAY): the rest goes, as Linux
    expect(lens()).toEqual([2 * mss, 180]);
    tcpSendmsg(c, new Uint8Array(50), true);
    tcpSendmsg(c, new Uint8Array(50));
    t.clock.advance(5);
    expect(lens()).toEqual([2 * mss, 180, 100]);
    t.close();
    expect(skbStats().live).toBe(live);
  });

  it('TSO packets are sized to about 1 ms at the pacing rate (tcp_tso_autosize), each with PSH', () => {
    const live = skbStats().live;
    // 50 ms RTT, cwnd 10: 2 × 14600 B per 50 ms ≈ 570 B per ms → the 2-segment minimum
    const far = tsoPair(25);
    const mss = far.c.mss;
    tcpSendmsg(far.c, new Uint8Array(10 * mss));
    far.clock.advance(1);
    expect(far.pkts.map((x) => x.len)).toEqual([2 * mss, 2 * mss, 2 * mss, 2 * mss, 2 * mss]);
    expect(far.pkts.every((x) => (x.flags & TcpFlags.PSH) !== 0)).toBe(true);
    far.close();
    // a 0.2 ms RTT (< 512 µs) adds a whole 64 KiB: one packet for the initial window
    const near = tsoPair(0.1);
    tcpSendmsg(near.c, new Uint8Array(10 * mss));
    near.clock.advance(0.05);
    expect(near.pkts.map((x) => x.len)).toEqual([10 * mss]);
    near.close();
    expect(skbStats().live).toBe(live);
  });

  function apiPair(env: DirectEnv, oneWay: number) {
    const sa = new SocketApi(env.a);
    const sb = new SocketApi(env.b);
    const lfd = sb.socket();
    sb.bind(lfd, 0, 9000);
    sb.listen(lfd, 4);
    const c = sa.socket();
    try {
      sa.connect(c, B, 9000);
    } catch {
      /* EINPROGRESS */
    }
    env.clock.advance(4 * oneWay);
    const acc = sb.accept(lfd);
    return { sa, sb, c, s: acc.fd, lfd, close: () => [sa.close(c), sb.close(acc.fd), sb.close(lfd), env.clock.advance(200_000)] };
  }

  it('TCP_CORK holds partial segments (full ones leave); uncorking pushes the rest with PSH', () => {
    const live = skbStats().live;
    const env = directEnv({}, 1);
    const p = apiPair(env, 1);
    const mss = p.sa.tcpSock(p.c).mss;
    p.sa.setsockopt(p.c, 'TCP_CORK', true);
    const mark = env.segs.length;
    p.sa.send(p.c, new Uint8Array(100));
    p.sa.send(p.c, new Uint8Array(100));
    env.clock.advance(100); // nothing in flight, and still nothing leaves
    expect(env.segs.slice(mark).filter(data)).toEqual([]);
    p.sa.send(p.c, new Uint8Array(mss));
    env.clock.advance(5);
    expect(env.segs.slice(mark).filter(data).map((x) => x.len)).toEqual([mss]);
    p.sa.setsockopt(p.c, 'TCP_CORK', false);
    const out = env.segs.slice(mark).filter(data);
    expect(out.map((x) => x.len)).toEqual([mss, 200]);
    expect(out[1]!.flags & TcpFlags.PSH).toBe(TcpFlags.PSH);
    p.close();
    expect(skbStats().live).toBe(live);
  });

  it('a cork left on releases its data after one RTO (the probe timer: tcp(7)’s 200 ms ceiling)', () => {
    const live = skbStats().live;
    const env = directEnv({}, 1);
    const p = apiPair(env, 1);
    const rto = p.sa.tcpSock(p.c).rto;
    p.sa.setsockopt(p.c, 'TCP_CORK', true);
    const mark = env.segs.length;
    const t0 = env.clock.now();
    p.sa.send(p.c, new Uint8Array(100));
    env.clock.advance(1000);
    const out = env.segs.slice(mark).filter(data);
    expect(out.map((x) => x.len)).toEqual([100]);
    expect(out[0]!.flags & TcpFlags.PSH).toBe(TcpFlags.PSH); // tcp_write_wakeup pushes what it sends
    expect(out[0]!.t - t0).toBeGreaterThanOrEqual(Math.floor(rto));
    expect(out[0]!.t - t0).toBeLessThanOrEqual(Math.ceil(rto) + 1);
    expect(rto).toBeGreaterThanOrEqual(200);
    p.close();
    expect(skbStats().live).toBe(live);
  });

  it('MSG_MORE holds a partial segment until a send without it', () => {
    const live = skbStats().live;
    const env = directEnv({}, 1);
    const p = apiPair(env, 1);
    const mark = env.segs.length;
    p.sa.send(p.c, new Uint8Array(300), { more: true });
    env.clock.advance(100);
    expect(env.segs.slice(mark).filter(data)).toEqual([]);
    p.sa.send(p.c, new Uint8Array(200));
    const out = env.segs.slice(mark).filter(data);
    expect(out.map((x) => x.len)).toEqual([500]);
    expect(out[0]!.flags & TcpFlags.PSH).toBe(TcpFlags.PSH);
    p.close();
    expect(skbStats().live).toBe(live);
  });

  it('Nagle holds a small segment behind unacknowledged small data; setting TCP_NODELAY pushes it at once', () => {
    const live = skbStats().live;
    const env = directEnv({}, 20);
    const p = apiPair(env, 20);
    const mark = env.segs.length;
    p.sa.send(p.c, new Uint8Array(10));
    p.sa.send(p.c, new Uint8Array(10)); // held: a small segment is in flight (Minshall)
    env.clock.advance(5);
    expect(env.segs.slice(mark).filter(data).map((x) => x.len)).toEqual([10]);
    p.sa.setsockopt(p.c, 'TCP_NODELAY', true);
    expect(env.segs.slice(mark).filter(data).map((x) => x.len)).toEqual([10, 10]);
    const out = env.segs.slice(mark).filter(data);
    expect(out[1]!.t - out[0]!.t).toBeLessThan(40); // before the first one's ACK could return
    p.close();
    expect(skbStats().live).toBe(live);
  });
});
