/**
 * Scenario tests with virtual time over the direct link: every state transition,
 * simultaneous open and close, RST cases (RFC 5961), listen backlog overflow,
 * zero window and persist probes, RTO backoff to ETIMEDOUT, keepalive, SYN-ACK
 * retransmission, TIME-WAIT length, Nagle and delayed ACKs.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, csumFold16, csumPartial, csumTcpUdpNofold, IpSummed, skbChecksumHelp, skbStats, type SkBuff } from '@netlayers/skbuff';
import { TcpStack, type TcpConfig } from '../src/stack.js';
import type { TcpSock } from '../src/sock.js';
import {
  inetAccept,
  inetBind,
  inetConnect,
  tcpClose,
  tcpRecvmsg,
  tcpSendmsg,
  tcpShutdown,
} from '../src/socket.js';
import { TcpState } from '../src/state.js';
import { TcpError } from '../src/errors.js';
import { TcpFlags, TcpPacket, TcpRepr } from '../src/wire/tcp.js';
import { directEnv } from './helpers/direct-env.js';

const A = 0x0a000001;
const B = 0x0a000002;

function setup(cfg: Partial<TcpConfig> = {}, delayMs = 5) {
  const trace: string[] = [];
  return { ...directEnv(cfg, delayMs, (l) => trace.push(l)), trace };
}

function established(env: ReturnType<typeof setup>) {
  const l = env.listen();
  const c = env.connect();
  env.clock.advance(50);
  const s = inetAccept(l);
  return { l, c, s };
}

function errCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof TcpError) return e.code;
    throw e;
  }
  return undefined;
}

/** Injects a hand-made segment into `stack` as if it came from `from`. */
function inject(stack: TcpStack, from: number, to: number, r: Partial<TcpRepr>, payload = new Uint8Array(0), mutate?: (skb: SkBuff) => void): void {
  const repr = new TcpRepr({ ...r, payloadLen: payload.length });
  const hl = repr.headerLen();
  const skb: SkBuff = allocSkb(128 + hl + payload.length);
  skb.reserve(128);
  skb.putData(new Uint8Array(hl + payload.length));
  skb.buf.set(payload, skb.data + hl);
  repr.emit(TcpPacket.unchecked(skb.buf, skb.data, skb.len), from, to);
  mutate?.(skb);
  stack.tcpV4Rcv(skb, from, to);
}

describe('state transitions', () => {
  it('active and passive open, active close, passive close, TIME-WAIT = 2·MSL', () => {
    const live0 = skbStats().live;
    const env = setup({ timeWaitMs: 4000 });
    const { l, c, s } = established(env);
    expect(c.state).toBe(TcpState.ESTABLISHED);
    expect(s.state).toBe(TcpState.ESTABLISHED);
    tcpShutdown(c, 1);
    expect(c.state).toBe(TcpState.FIN_WAIT1);
    env.clock.advance(20);
    // no data received yet: Linux ACKs the FIN at once (its delayed-ACK timeout is still 0;
    // google/tcp/close/close-remote-fin-then-close.pkt); after data it waits 40 ms (linux-timers.test.ts)
    expect(c.state).toBe(TcpState.FIN_WAIT2);
    env.clock.advance(40);
    expect(c.state).toBe(TcpState.FIN_WAIT2);
    expect(s.state).toBe(TcpState.CLOSE_WAIT);
    expect(tcpRecvmsg(s, new Uint8Array(10))).toBe(0); // EOF
    tcpClose(s);
    expect(s.state).toBe(TcpState.LAST_ACK);
    env.clock.advance(20);
    expect(c.state).toBe(TcpState.TIME_WAIT);
    expect(s.dead).toBe(true);
    tcpClose(c);
    env.clock.advance(3900);
    expect(c.state).toBe(TcpState.TIME_WAIT);
    env.clock.advance(100);
    expect(c.dead).toBe(true);
    tcpClose(l);
    expect([...env.trace].sort()).toEqual([
      'A sock 1: CLOSED => SYN-SENT',
      'B sock 1: CLOSED => LISTEN',
      'B sock 2: SYN-RECEIVED => ESTABLISHED',
      'A sock 1: SYN-SENT => ESTABLISHED',
      'A sock 1: ESTABLISHED => FIN-WAIT-1',
      'B sock 2: ESTABLISHED => CLOSE-WAIT',
      'A sock 1: FIN-WAIT-1 => FIN-WAIT-2',
      'B sock 2: CLOSE-WAIT => LAST-ACK',
      'A sock 1: FIN-WAIT-2 => TIME-WAIT',
      'B sock 2: LAST-ACK => CLOSED',
      'A sock 1: TIME-WAIT => CLOSED',
      'B sock 1: LISTEN => CLOSED',
    ].sort());
    expect(skbStats().live).toBe(live0);
  });

  it('simultaneous close: FIN-WAIT-1 → CLOSING → TIME-WAIT on both sides', () => {
    const env = setup({ timeWaitMs: 1000 });
    const { c, s } = established(env);
    tcpClose(c);
    tcpClose(s);
    expect(c.state).toBe(TcpState.FIN_WAIT1);
    expect(s.state).toBe(TcpState.FIN_WAIT1);
    env.clock.advance(7);
    expect(c.state).toBe(TcpState.CLOSING);
    expect(s.state).toBe(TcpState.CLOSING);
    env.clock.advance(10);
    expect(c.state).toBe(TcpState.TIME_WAIT);
    expect(s.state).toBe(TcpState.TIME_WAIT);
    env.clock.advance(1100);
    expect(c.dead && s.dead).toBe(true);
  });

  it('simultaneous open: SYN-SENT → SYN-RECEIVED → ESTABLISHED', () => {
    const env = setup();
    const x = env.a.newSock();
    const y = env.b.newSock();
    inetBind(x, A, 5000);
    inetBind(y, B, 6000);
    inetConnect(x, B, 6000);
    inetConnect(y, A, 5000);
    env.clock.advance(6);
    expect(x.state).toBe(TcpState.SYN_RECV);
    expect(y.state).toBe(TcpState.SYN_RECV);
    env.clock.advance(10);
    expect(x.state).toBe(TcpState.ESTABLISHED);
    expect(y.state).toBe(TcpState.ESTABLISHED);
    expect(tcpSendmsg(x, new Uint8Array([1, 2, 3]))).toBe(3);
    env.clock.advance(10);
    const buf = new Uint8Array(8);
    expect(tcpRecvmsg(y, buf)).toBe(3);
    expect(env.a.mib.simultaneousOpens).toBe(1);
  });

  it('SYN-RECV retransmits the SYN-ACK when the final ACK is lost', () => {
    const env = setup();
    const l = env.listen();
    let dropped = 0;
    env.setDrop((p, sa) => sa === A && p.ackFlag && !p.syn && p.payloadLen === 0 && dropped++ === 0);
    const c = env.connect();
    env.clock.advance(20);
    expect(c.state).toBe(TcpState.ESTABLISHED);
    expect(l.acceptQueue.length).toBe(0); // server child still SYN-RECV
    env.clock.advance(1100); // SYN-ACK retransmission (1 s), answered by a dup ACK
    expect(env.segs.filter((x) => x.dir === 'B>A' && (x.flags & TcpFlags.SYN) !== 0).length).toBe(2);
    expect(l.acceptQueue.length).toBe(1);
  });
});

describe('receive checksum states (ipSummed)', () => {
  it('NONE is verified in software, COMPLETE folds skb.csum, UNNECESSARY is trusted', () => {
    const env = setup();
    const { c, s } = established(env);
    const base = { srcPort: s.lport, dstPort: c.lport, ack: c.sndNxt, flags: TcpFlags.ACK | TcpFlags.PSH, window: 1000 };
    const buf = new Uint8Array(64);
    // NONE, corrupted payload → counted and dropped
    inject(env.a, B, A, { ...base, seq: c.rcvNxt }, new Uint8Array([1, 2, 3]), (skb) => {
      const i = skb.tail - 1;
      skb.buf[i] = skb.buf[i]! ^ 0xff;
    });
    expect(env.a.mib.inCsumErrors).toBe(1);
    // COMPLETE with the right sum → accepted
    inject(env.a, B, A, { ...base, seq: c.rcvNxt }, new Uint8Array([1, 2, 3]), (skb) => {
      skb.ipSummed = IpSummed.COMPLETE;
      skb.csum = csumPartial(skb.buf, skb.data, skb.len, 0);
    });
    expect(tcpRecvmsg(c, buf)).toBe(3);
    // COMPLETE with a wrong sum → dropped
    inject(env.a, B, A, { ...base, seq: c.rcvNxt }, new Uint8Array([4]), (skb) => {
      skb.ipSummed = IpSummed.COMPLETE;
      skb.csum = 1234;
    });
    expect(env.a.mib.inCsumErrors).toBe(2);
    // UNNECESSARY (device verified) → trusted even with a zeroed field
    inject(env.a, B, A, { ...base, seq: c.rcvNxt }, new Uint8Array([5, 6]), (skb) => {
      skb.buf[skb.data + 16] = 0;
      skb.buf[skb.data + 17] = 0;
      skb.ipSummed = IpSummed.UNNECESSARY;
    });
    expect(tcpRecvmsg(c, buf)).toBe(2);
  });

  it('offload routes send CHECKSUM_PARTIAL with the pseudo-header sum in the field', () => {
    const clock = new VirtualClock(0);
    const sent: SkBuff[] = [];
    const st = new TcpStack({
      clock,
      seed: 1,
      net: {
        maxHeader: 64,
        route: () => ({ saddr: A, mtu: 1500, csumOffload: true, tso: false, gsoMaxSize: 65536 }),
        queueXmit: (skb) => sent.push(skb),
      },
    });
    const c = st.newSock();
    inetConnect(c, B, 80);
    const syn = sent[0]!;
    expect(syn.ipSummed).toBe(IpSummed.PARTIAL);
    expect(syn.csumStart).toBe(syn.data);
    expect(syn.csumOffset).toBe(16);
    const field = (syn.buf[syn.data + 16]! << 8) | syn.buf[syn.data + 17]!;
    expect(field).toBe(csumFold16(csumTcpUdpNofold(A, B, syn.len, 6, 0)));
    // completing it as a device would (skb_checksum_help) yields a valid segment
    skbChecksumHelp(syn);
    expect(TcpPacket.checked(syn.buf, syn.data, syn.len).verifyChecksum(A, B)).toBe(true);
    for (const x of sent) x.free();
  });
});

describe('more transitions', () => {
  it('close() in SYN-SENT goes straight to CLOSED and frees the socket', () => {
    const env = setup();
    env.setDrop(() => true);
    const c = env.connect();
    expect(c.state).toBe(TcpState.SYN_SENT);
    tcpClose(c);
    expect(c.state).toBe(TcpState.CLOSE);
    expect(c.dead).toBe(true);
    expect(env.a.socketCount).toBe(0);
  });

  it('FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT on one segment that ACKs our FIN and carries the peer FIN', () => {
    const env = setup({ timeWaitMs: 1000 });
    const { c, s } = established(env);
    env.setDrop((_p, sa) => sa === A); // B never sees our FIN: we craft its answer
    tcpClose(c);
    expect(c.state).toBe(TcpState.FIN_WAIT1);
    inject(env.a, B, A, { srcPort: s.lport, dstPort: c.lport, seq: c.rcvNxt, ack: c.sndNxt, flags: TcpFlags.FIN | TcpFlags.ACK, window: 1000 });
    // RFC 9293 §3.10.7.4: the ACK step enters FIN-WAIT-2, the FIN step then TIME-WAIT — one segment
    expect(env.trace.slice(-2)).toEqual(['A sock 1: FIN-WAIT-1 => FIN-WAIT-2', 'A sock 1: FIN-WAIT-2 => TIME-WAIT']);
    expect(c.state).toBe(TcpState.TIME_WAIT);
  });

  it('close() of a listener resets connections waiting in its accept queue', () => {
    const env = setup();
    const l = env.listen();
    const c = env.connect();
    env.clock.advance(50);
    expect(l.acceptQueue.length).toBe(1);
    tcpClose(l);
    env.clock.advance(50);
    expect(c.state).toBe(TcpState.CLOSE);
    expect(errCode(() => tcpRecvmsg(c, new Uint8Array(1)))).toBe('ECONNRESET');
  });
});

describe('RST handling (RFC 9293 §3.10.7, RFC 5961)', () => {
  it('connect to a closed port → RST → ECONNREFUSED', () => {
    const env = setup();
    const c = env.connect(81);
    env.clock.advance(20);
    expect(c.state).toBe(TcpState.CLOSE);
    expect(errCode(() => tcpSendmsg(c, new Uint8Array(1)))).toBe('ECONNREFUSED');
    expect(env.b.mib.outRsts).toBe(1);
  });

  it('in-window RST with a wrong sequence gets a challenge ACK; the exact one resets', () => {
    const env = setup();
    const { c, s } = established(env);
    const before = env.segs.length;
    inject(env.a, B, A, { srcPort: s.lport, dstPort: c.lport, seq: (c.rcvNxt + 100) >>> 0, flags: TcpFlags.RST });
    expect(c.state).toBe(TcpState.ESTABLISHED);
    expect(env.a.mib.challengeAcks).toBe(1);
    expect(env.segs.length).toBe(before + 1);
    expect(env.segs.at(-1)!.flags).toBe(TcpFlags.ACK);
    inject(env.a, B, A, { srcPort: s.lport, dstPort: c.lport, seq: (c.rcvNxt + 1e6) >>> 0, flags: TcpFlags.RST });
    expect(c.state).toBe(TcpState.ESTABLISHED); // out of window: silently dropped
    inject(env.a, B, A, { srcPort: s.lport, dstPort: c.lport, seq: c.rcvNxt, flags: TcpFlags.RST });
    expect(c.state).toBe(TcpState.CLOSE);
    expect(errCode(() => tcpRecvmsg(c, new Uint8Array(4)))).toBe('ECONNRESET');
  });

  it('SYN in a synchronized state gets a challenge ACK (RFC 5961 §4)', () => {
    const env = setup();
    const { c, s } = established(env);
    inject(env.a, B, A, { srcPort: s.lport, dstPort: c.lport, seq: c.rcvNxt, flags: TcpFlags.SYN });
    expect(c.state).toBe(TcpState.ESTABLISHED);
    expect(env.a.mib.challengeAcks).toBe(1);
  });

  it('ACK of unsent data is answered with an ACK and dropped', () => {
    const env = setup();
    const { c, s } = established(env);
    const una = c.sndUna;
    inject(env.a, B, A, { srcPort: s.lport, dstPort: c.lport, seq: c.rcvNxt, ack: (c.sndMax + 1000) >>> 0, flags: TcpFlags.ACK, window: 1000 });
    expect(c.sndUna).toBe(una);
    expect(env.segs.at(-1)!.flags).toBe(TcpFlags.ACK);
  });

  it('close() with unread data sends RST; the peer sees ECONNRESET', () => {
    const env = setup();
    const { c, s } = established(env);
    tcpSendmsg(c, new Uint8Array(100));
    env.clock.advance(20);
    tcpClose(s); // 100 unread bytes
    expect(env.segs.at(-1)!.flags & TcpFlags.RST).toBeTruthy();
    env.clock.advance(20);
    expect(c.state).toBe(TcpState.CLOSE);
    expect(errCode(() => tcpRecvmsg(c, new Uint8Array(4)))).toBe('ECONNRESET');
  });

  it('segment for no socket with ACK → <SEQ=SEG.ACK><RST>; never a RST for a RST', () => {
    const env = setup();
    inject(env.b, A, B, { srcPort: 1234, dstPort: 99, seq: 5, ack: 777, flags: TcpFlags.ACK });
    expect(env.segs.at(-1)).toMatchObject({ dir: 'B>A', flags: TcpFlags.RST, seq: 777 });
    const n = env.segs.length;
    inject(env.b, A, B, { srcPort: 1234, dstPort: 99, seq: 5, flags: TcpFlags.RST });
    expect(env.segs.length).toBe(n);
  });
});

describe('listen queues', () => {
  it('backlog overflow drops SYNs like Linux; retransmitted SYNs get in after accept()', () => {
    const env = setup();
    const l = env.listen(80, 2);
    const clients = [0, 1, 2, 3, 4].map(() => env.connect());
    env.clock.advance(50);
    // Like Linux: all five handshakes complete on the client side, but only two
    // children fit the accept queue; the final ACKs of the others are dropped and
    // those children stay in SYN-RECV, retransmitting their SYN-ACKs.
    expect(l.acceptQueue.length).toBe(2);
    expect(env.b.mib.listenOverflows).toBe(3);
    expect(l.synQueueLen).toBe(3);
    const more = env.connect(); // accept queue full: this SYN is dropped
    env.clock.advance(50);
    expect(more.state).toBe(TcpState.SYN_SENT);
    expect(env.b.mib.listenDrops).toBeGreaterThan(0);
    clients.push(more);
    const accepted: TcpSock[] = [];
    for (let round = 0; round < 6 && accepted.length < 5; round++) {
      for (;;) {
        try {
          accepted.push(inetAccept(l));
        } catch {
          break;
        }
      }
      env.clock.advance(4000); // SYN retransmissions at 1 s, 3 s, …
    }
    expect(accepted.length).toBe(6);
    expect(clients.every((c) => c.state === TcpState.ESTABLISHED)).toBe(true);
  });

  it('abortOnOverflow resets the final ACK instead of dropping it', () => {
    const env = setup({ abortOnOverflow: true });
    const l = env.listen(80, 1);
    const c1 = env.connect();
    env.clock.advance(20);
    expect(l.acceptQueue.length).toBe(1);
    // queue full: a SYN that arrives now is dropped; let one in while there was room by racing
    const c2 = env.connect();
    env.clock.advance(20);
    expect(c2.state).toBe(TcpState.SYN_SENT);
    expect(c1.state).toBe(TcpState.ESTABLISHED);
  });

  it('accept() without pending connections → EAGAIN', () => {
    const env = setup();
    const l = env.listen();
    expect(errCode(() => inetAccept(l))).toBe('EAGAIN');
  });
});

describe('flow control and timers', () => {
  it('zero window: persist probes until the reader makes room, then the transfer completes', () => {
    const env = setup();
    const l = env.listen();
    l.rcvbuf = 16_384; // inherited by the child before the window is offered
    const c = env.connect();
    env.clock.advance(50);
    const s = inetAccept(l);
    const total = 200_000;
    const data = new Uint8Array(total).map((_, i) => i & 0xff);
    let sent = 0;
    for (let i = 0; i < 200 && sent < total; i++) {
      try {
        sent += tcpSendmsg(c, data.subarray(sent));
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
      }
      env.clock.advance(50);
    }
    env.clock.advance(20_000);
    expect(env.a.mib.probes).toBeGreaterThan(2);
    expect(c.sndWnd).toBe(0);
    const out = new Uint8Array(total);
    let got = 0;
    for (let i = 0; i < 5000 && got < total; i++) {
      try {
        got += tcpRecvmsg(s, out.subarray(got));
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
      }
      if (sent < total) {
        try {
          sent += tcpSendmsg(c, data.subarray(sent));
        } catch {
          /* EAGAIN */
        }
      }
      env.clock.advance(20);
    }
    expect(got).toBe(total);
    expect(Buffer.from(out.buffer).equals(data)).toBe(true);
  });

  it('RTO backs off exponentially (RFC 6298 §5.5) and ends in ETIMEDOUT after retries2', () => {
    const env = setup({ retries2: 5 });
    const { c } = established(env);
    env.setDrop(() => true);
    env.segs.length = 0;
    tcpSendmsg(c, new Uint8Array(100));
    env.clock.advance(600_000);
    const times = env.segs.filter((x) => x.dir === 'A>B' && x.len === 100).map((x) => x.t);
    expect(times.length).toBe(6); // original + 5 retransmissions
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]! / gaps[i - 1]!).toBeCloseTo(2, 1);
    expect(gaps[0]).toBeGreaterThanOrEqual(200);
    expect(c.state).toBe(TcpState.CLOSE);
    expect(errCode(() => tcpSendmsg(c, new Uint8Array(1)))).toBe('ETIMEDOUT');
  });

  it('SYN retransmissions then ETIMEDOUT when nobody answers', () => {
    const env = setup({ synRetries: 3 });
    env.setDrop(() => true);
    const c = env.connect();
    env.clock.advance(100_000);
    const syns = env.segs.filter((x) => x.dir === 'A>B' && (x.flags & TcpFlags.SYN) !== 0).map((x) => x.t);
    expect(syns).toEqual([0, 1000, 3000, 7000]);
    expect(c.state).toBe(TcpState.CLOSE);
    expect(errCode(() => tcpSendmsg(c, new Uint8Array(1)))).toBe('ETIMEDOUT');
  });

  it('keepalive probes an idle peer and times out when it is gone', () => {
    const env = setup();
    const { c } = established(env);
    c.keepalive = true;
    c.keepIdleMs = 10_000;
    c.keepIntvlMs = 1_000;
    c.keepCnt = 3;
    env.b.wheel.del(c.kaTimer);
    env.a.wheel.mod(c.kaTimer, 10_000);
    env.clock.advance(15_000);
    expect(env.a.mib.keepaliveProbes).toBeGreaterThan(0);
    expect(c.state).toBe(TcpState.ESTABLISHED); // the peer answered
    env.setDrop(() => true);
    env.clock.advance(30_000);
    expect(c.state).toBe(TcpState.CLOSE);
    expect(errCode(() => tcpRecvmsg(c, new Uint8Array(1)))).toBe('ETIMEDOUT');
  });

  it('delayed ACK: a lone segment is acknowledged after 40 ms, two full segments at once', () => {
    const env = setup({}, 1);
    const { c, s } = established(env);
    tcpSendmsg(c, new Uint8Array(10)); // the first data grants quick ACKs (tcp_incr_quickack)
    env.clock.advance(10);
    s.quickAcks = 0;
    env.segs.length = 0;
    tcpSendmsg(c, new Uint8Array(10));
    env.clock.advance(2);
    env.clock.advance(50);
    const ack = env.segs.find((x) => x.dir === 'B>A');
    expect(ack!.t - env.segs[0]!.t).toBeGreaterThanOrEqual(40);
    expect(env.b.mib.delayedAcks).toBe(1);
  });

  it('Nagle holds small writes while data is unacknowledged; TCP_NODELAY sends at once', () => {
    const env = setup({}, 10);
    const { c } = established(env);
    env.segs.length = 0;
    tcpSendmsg(c, new Uint8Array(10));
    tcpSendmsg(c, new Uint8Array(10));
    tcpSendmsg(c, new Uint8Array(10));
    expect(env.segs.filter((x) => x.dir === 'A>B' && x.len > 0).length).toBe(1);
    env.clock.advance(100);
    expect(env.segs.filter((x) => x.dir === 'A>B' && x.len > 0).map((x) => x.len)).toEqual([10, 20]);
    c.nodelay = true;
    env.segs.length = 0;
    tcpSendmsg(c, new Uint8Array(10));
    tcpSendmsg(c, new Uint8Array(10));
    expect(env.segs.filter((x) => x.dir === 'A>B' && x.len > 0).length).toBe(2);
  });

  it('window scaling is negotiated and large windows are used', () => {
    const env = setup();
    const { c, s } = established(env);
    expect(c.wscaleOk && s.wscaleOk).toBe(true);
    expect(c.sndWscale).toBe(s.rcvWscale);
    tcpSendmsg(c, new Uint8Array(10));
    env.clock.advance(50);
    expect(c.sndWnd).toBeGreaterThan(65535);
  });
});
