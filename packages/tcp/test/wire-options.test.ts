/**
 * TCP options and flags byte for byte as Linux emits them (issue 10): the SYN's
 * `mss,sackOK,TS,nop,wscale`, SYN-ACKs that answer only what the peer offered,
 * `nop,nop,TS` on every later segment with MSS − 12 payload, PSH on the last
 * segment of each write, window scale 0 after a small SO_RCVBUF, and PAWS.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocSkb, skbStats } from '@netlayers/skbuff';
import { SocketApi } from '../src/socket-api.js';
import { inetAccept, tcpClose, tcpRecvmsg, tcpSendmsg } from '../src/socket.js';
import type { TcpConfig } from '../src/stack.js';
import { TcpFlags, TcpPacket } from '../src/wire/tcp.js';
import { sendSkbs } from '../src/zero-copy.js';
import { A, B, directEnv, inject } from './helpers/direct-env.js';

interface Wire {
  dir: 'A>B' | 'B>A';
  flags: number;
  seq: number;
  opts: number[];
  len: number;
}

/** A DirectLink pair that also records each segment's raw option bytes. */
function wireEnv(cfg: Partial<TcpConfig>) {
  const env = directEnv(cfg, 5);
  const wire: Wire[] = [];
  const prev = env.link.filter!;
  env.link.filter = (skb, sa, da) => {
    const p = TcpPacket.unchecked(skb.buf, skb.data, skb.headlen);
    const o = skb.data + 20;
    wire.push({ dir: sa === A ? 'A>B' : 'B>A', flags: p.flags, seq: p.seq, opts: [...skb.buf.subarray(o, skb.data + p.headerLen)], len: skb.len - p.headerLen });
    return prev(skb, sa, da);
  };
  return { env, wire };
}

const be32 = (b: number[], i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const MSS = [2, 4, 0x05, 0xb4]; // mss 1460

describe('options on the wire as Linux', () => {
  it('SYN <mss,sackOK,TS val ecr 0,nop,wscale>, SYN-ACK answering with TS ecr = the SYN TSval', () => {
    const live0 = skbStats().live;
    const { env, wire } = wireEnv({ sack: true, timestamps: true });
    const { l, c, s } = env.established();
    const syn = wire.find((w) => w.flags === TcpFlags.SYN)!;
    expect(syn.opts.slice(0, 8)).toEqual([...MSS, 4, 2, 8, 10]);
    expect(be32(syn.opts, 12)).toBe(0); // ecr 0
    expect(syn.opts.slice(16)).toEqual([1, 3, 3, c.rcvWscale]);
    expect(c.rcvWscale).toBe(7); // 6 MiB rcvbufMax: ilog2(6 MiB) − 15, as tcp_select_initial_window
    const synAck = wire.find((w) => w.flags === (TcpFlags.SYN | TcpFlags.ACK))!;
    expect(synAck.opts.slice(0, 8)).toEqual([...MSS, 4, 2, 8, 10]);
    expect(be32(synAck.opts, 12)).toBe(be32(syn.opts, 8)); // TS ecr answers the SYN's TSval
    expect(synAck.opts.slice(16)).toEqual([1, 3, 3, s.rcvWscale]);
    expect([c.sackOk, c.tstampOk, s.sackOk, s.tstampOk]).toEqual([true, true, true, true]);
    tcpClose(c);
    tcpClose(s);
    tcpClose(l);
    env.clock.advance(200_000);
    expect(skbStats().live).toBe(live0);
  });

  it('SYN-ACK to a SYN with sackOK but no TS: <mss,nop,nop,sackOK,nop,wscale>; a bare SYN gets <mss>', () => {
    const { env, wire } = wireEnv({ sack: true, timestamps: false });
    const { l, c, s } = env.established();
    const synAck = wire.find((w) => w.flags === (TcpFlags.SYN | TcpFlags.ACK))!;
    expect(synAck.opts).toEqual([...MSS, 1, 1, 4, 2, 1, 3, 3, s.rcvWscale]);
    tcpClose(c);
    tcpClose(s);
    tcpClose(l);
    // a SYN offering nothing
    const l2 = env.listen(90);
    inject(env.b, A, B, { srcPort: 4000, dstPort: 90, seq: 1000, flags: TcpFlags.SYN, window: 8192, options: { mss: 1460 } });
    const bare = wire.filter((w) => w.flags === (TcpFlags.SYN | TcpFlags.ACK)).at(-1)!;
    expect(bare.opts).toEqual(MSS);
    tcpClose(l2);
    env.clock.advance(200_000);
  });

  it('data segments carry nop,nop,TS (TSval in ms ticks, ecr = TS.Recent) and at most MSS − 12 bytes', () => {
    const { env, wire } = wireEnv({ sack: true, timestamps: true });
    const { l, c, s } = env.established();
    expect(c.mss).toBe(1448);
    wire.length = 0;
    tcpSendmsg(c, new Uint8Array(5000));
    env.clock.advance(100);
    const data = wire.filter((w) => w.dir === 'A>B' && w.len > 0);
    expect(data.map((w) => w.len)).toEqual([1448, 1448, 1448, 656]);
    const acks = wire.filter((w) => w.dir === 'B>A');
    expect(acks.length).toBeGreaterThan(0);
    for (const w of [...data, ...acks]) {
      expect(w.opts.slice(0, 4)).toEqual([1, 1, 8, 10]);
      expect(w.opts.length).toBe(12);
    }
    // B echoes A's TSval; A's TSval advances with the clock in 1 ms ticks
    expect(be32(acks[0]!.opts, 8)).toBe(be32(data[0]!.opts, 4));
    const t0 = be32(data[0]!.opts, 4);
    env.clock.advance(1234);
    wire.length = 0;
    tcpSendmsg(c, new Uint8Array(10));
    env.clock.advance(100);
    expect((be32(wire.find((w) => w.dir === 'A>B')!.opts, 4) - t0) >>> 0).toBe(1234 + 100);
    const buf = new Uint8Array(8192);
    expect(tcpRecvmsg(s, buf)).toBe(5010);
    tcpClose(c);
    tcpClose(s);
    tcpClose(l);
    env.clock.advance(200_000);
  });

  it('PSH only on the last segment of each write (fast-check over write sizes)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 4 }), (sizes) => {
        const live0 = skbStats().live;
        const { env, wire } = wireEnv({});
        const { l, c, s } = env.established();
        c.nodelay = true;
        const buf = new Uint8Array(64 * 1024);
        let got = 0;
        for (const n of sizes) {
          wire.length = 0;
          tcpSendmsg(c, new Uint8Array(n));
          env.clock.advance(200);
          const data = wire.filter((w) => w.dir === 'A>B' && w.len > 0);
          expect(data.reduce((a, w) => a + w.len, 0)).toBe(n);
          expect(data.map((w) => (w.flags & TcpFlags.PSH) !== 0)).toEqual(data.map((_, i) => i === data.length - 1));
          got += tcpRecvmsg(s, buf); // one write's bytes, all queued by now
        }
        expect(got).toBe(sizes.reduce((a, b) => a + b, 0));
        tcpClose(c);
        tcpClose(s);
        tcpClose(l);
        env.clock.advance(200_000);
        expect(skbStats().live).toBe(live0);
      }),
      { numRuns: 15 },
    );
  });

  it('zero-copy sendSkbs: PSH on the last segment of the call only', () => {
    const { env, wire } = wireEnv({});
    const { l, c, s } = env.established();
    const skbs = [3000, 2000].map((n) => {
      const skb = allocSkb(n);
      skb.putData(new Uint8Array(n));
      return skb;
    });
    wire.length = 0;
    expect(sendSkbs(c, skbs)).toBe(2);
    env.clock.advance(200);
    const data = wire.filter((w) => w.dir === 'A>B' && w.len > 0);
    expect(data.reduce((a, w) => a + w.len, 0)).toBe(5000);
    expect(data.map((w) => (w.flags & TcpFlags.PSH) !== 0)).toEqual(data.map((_, i) => i === data.length - 1));
    expect(tcpRecvmsg(s, new Uint8Array(8192))).toBe(5000);
    tcpClose(c);
    tcpClose(s);
    tcpClose(l);
    env.clock.advance(200_000);
  });

  it('SO_RCVBUF 20000 on the listener: SYN-ACK offers wscale 0 (tcp_select_initial_window)', () => {
    const { env, wire } = wireEnv({});
    const api = new SocketApi(env.b);
    const fd = api.socket();
    api.setsockopt(fd, 'SO_RCVBUF', 20000);
    api.bind(fd, 0, 80);
    api.listen(fd, 4);
    const c = env.connect(80);
    env.clock.advance(50);
    const synAck = wire.find((w) => w.flags === (TcpFlags.SYN | TcpFlags.ACK))!;
    expect(synAck.opts).toEqual([...MSS, 1, 3, 3, 0]);
    tcpClose(c);
    api.close(fd);
    env.clock.advance(200_000);
  });

  it('PAWS: a segment whose TSval is older than TS.Recent is dropped and answered with an ACK', () => {
    const { env, wire } = wireEnv({ timestamps: true });
    const { l, c, s } = env.established();
    tcpSendmsg(c, new Uint8Array(100));
    env.clock.advance(100);
    const rcvNxt = s.rcvNxt;
    const recent = s.tsRecent;
    wire.length = 0;
    const seg = { srcPort: c.lport, dstPort: c.rport, seq: rcvNxt, ack: s.sndNxt, flags: TcpFlags.ACK | TcpFlags.PSH, window: 1000 };
    inject(env.b, A, B, { ...seg, options: { timestamps: { tsval: (recent - 1000) >>> 0, tsecr: 0 } } }, new Uint8Array(50));
    expect(s.rcvNxt).toBe(rcvNxt);
    expect(wire.filter((w) => w.dir === 'B>A' && w.len === 0)).toHaveLength(1);
    inject(env.b, A, B, { ...seg, options: { timestamps: { tsval: (recent + 1) >>> 0, tsecr: 0 } } }, new Uint8Array(50));
    expect(s.rcvNxt).toBe((rcvNxt + 50) >>> 0);
    expect(s.tsRecent).toBe((recent + 1) >>> 0);
    tcpClose(c);
    tcpClose(s);
    tcpClose(l);
    env.clock.advance(200_000);
  });
});
