/**
 * SYN cookies (RFC 4987): the cookie codec, and a listener under a flood of
 * 10,000 spoofed SYN/s in virtual time — legitimate connects complete within 1 s
 * through cookies while the SYN queue and skb memory stay bounded; without cookies
 * the same connects fail (the flood keeps the SYN queue full).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { skbStats } from '@netlayers/skbuff';
import { makeHashKey } from '../src/hash.js';
import { inetAccept, tcpAbort, tcpClose, tcpRecvmsg, tcpSendmsg } from '../src/socket.js';
import type { TcpSock } from '../src/sock.js';
import type { TcpConfig } from '../src/stack.js';
import { TcpState } from '../src/state.js';
import { COOKIE_MSS_TABLE, cookieCheck, cookieInitSequence, cookieMssIndex, cookieTsDecode, cookieTsEncode } from '../src/syncookies.js';
import { TcpFlags } from '../src/wire/tcp.js';
import { B, directEnv, inject } from './helpers/direct-env.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 1, max: 65535 });
const tuple = fc.record({ saddr: u32, sport: port, daddr: u32, dport: port });

describe('cookie codec', () => {
  const key = makeHashKey(7);
  it('round-trips the MSS index for two minute counts, then expires; bound to the tuple and the peer ISN', () => {
    fc.assert(
      fc.property(tuple, u32, fc.integer({ min: 1, max: 9000 }), fc.integer({ min: 0, max: 1e9 }), (t, isn, mss, now) => {
        const c = cookieInitSequence(key, now, t, isn, mss);
        const want = COOKIE_MSS_TABLE[cookieMssIndex(mss)]!;
        expect(want <= Math.max(mss, 536)).toBe(true);
        expect(cookieCheck(key, now, t, isn, c)).toBe(want);
        expect(cookieCheck(key, now + 60_000, t, isn, c)).toBe(want);
        expect(cookieCheck(key, Math.floor(now / 60_000) * 60_000 + 120_000, t, isn, c)).toBe(0);
        expect(cookieCheck(key, now, { ...t, sport: (t.sport % 65535) + 1 }, isn, c)).toBe(0);
        expect(cookieCheck(key, now, t, (isn ^ 0x80000000) >>> 0, c)).toBe(0);
        expect(cookieCheck(makeHashKey(8), now, t, isn, c)).toBe(0);
      }),
      { seed: 4987, numRuns: 500 },
    );
  });

  it('timestamp encoding carries window scale and SACK and never runs ahead of the clock', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 0xffffffff }), fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }), fc.boolean(), (now, wscale, sackOk) => {
        const ts = cookieTsEncode(now, { wscale, sackOk });
        expect(ts).toBeLessThanOrEqual(now);
        expect(now - ts).toBeLessThan(64);
        expect(cookieTsDecode(ts)).toEqual({ wscale, sackOk });
      }),
    );
  });
});

/** Floods B:80 with `rate` spoofed SYN/s for `ms`, connecting a real client at each time in `connectAt`. */
function flood(syncookies: boolean, ms: number, connectAt: number[], cfg: Partial<TcpConfig> = {}) {
  const env = directEnv({ syncookies, ...cfg });
  const l = env.listen(80, 16);
  let spoof = 0;
  let maxLive = 0;
  let maxSynQ = 0;
  let maxSocks = 0;
  const live0 = skbStats().live;
  const clients: { at: number; c: TcpSock; establishedAt: number }[] = [];
  const accepted: TcpSock[] = [];
  for (let t = 0; t < ms; t++) {
    for (let k = 0; k < 10; k++) {
      spoof++;
      // sources nobody answers for: the SYN-ACKs go nowhere
      inject(env.b, (0x0b000000 + spoof) >>> 0, B, { srcPort: 1024 + (spoof % 60000), dstPort: 80, seq: (spoof * 2654435761) >>> 0, flags: TcpFlags.SYN, window: 65535, options: { mss: 1460 } });
    }
    if (connectAt.includes(t)) clients.push({ at: t, c: env.connect(80), establishedAt: -1 });
    env.clock.advance(1);
    for (const cl of clients) if (cl.establishedAt < 0 && cl.c.state === TcpState.ESTABLISHED) cl.establishedAt = env.clock.now();
    for (;;) {
      let s: TcpSock;
      try {
        s = inetAccept(l);
      } catch {
        break;
      }
      accepted.push(s);
    }
    maxLive = Math.max(maxLive, skbStats().live - live0);
    maxSynQ = Math.max(maxSynQ, l.synQueueLen);
    maxSocks = Math.max(maxSocks, env.b.socketCount);
  }
  return { env, l, clients, accepted, spoof, maxLive, maxSynQ, maxSocks };
}

describe('SYN flood', () => {
  it('10,000 spoofed SYN/s for 3 s: legitimate connects succeed within 1 s via cookies; SYN queue and skbs bounded', () => {
    const live0 = skbStats().live;
    const r = flood(true, 3000, [500, 1500, 2500]);
    const m = r.env.b.mib;
    for (const cl of r.clients) {
      expect(cl.establishedAt).toBeGreaterThan(0);
      expect(cl.establishedAt - cl.at).toBeLessThan(1000);
    }
    expect(r.accepted.length).toBe(3);
    expect(r.maxSynQ).toBeLessThanOrEqual(16);
    expect(r.maxLive).toBeLessThan(100);
    expect(r.maxSocks).toBeLessThanOrEqual(1 + 16 + 3);
    expect(m.syncookiesSent).toBeGreaterThan(29_000);
    expect(m.syncookiesRecv).toBe(3);
    console.log(
      `SYN flood: ${r.spoof} spoofed SYNs in 3 s; connects took ${r.clients.map((c) => c.establishedAt - c.at).join(', ')} ms; ` +
        `SYN queue max ${r.maxSynQ}, sockets max ${r.maxSocks}, live skbs max +${r.maxLive}; cookies sent ${m.syncookiesSent}, valid ${m.syncookiesRecv}`,
    );
    // the cookie connection carries data both ways (its MSS came from the cookie)
    const c = r.clients[0]!.c;
    const s = r.accepted[0]!;
    expect(s.mss).toBe(1460);
    expect(tcpSendmsg(c, new Uint8Array(100_000).fill(3))).toBe(100_000);
    r.env.clock.advance(500);
    const buf = new Uint8Array(200_000);
    expect(tcpRecvmsg(s, buf)).toBe(100_000);
    for (const k of r.accepted) tcpClose(k);
    for (const cl of r.clients) tcpClose(cl.c);
    tcpClose(r.l);
    r.env.clock.advance(300_000);
    expect(r.env.b.socketCount).toBe(0);
    expect(skbStats().live).toBe(live0);
  });

  it('without cookies the same flood keeps legitimate connects out (baseline)', () => {
    const live0 = skbStats().live;
    const r = flood(false, 1500, [500]);
    expect(r.clients[0]!.establishedAt).toBe(-1);
    expect(r.env.b.mib.listenDrops).toBeGreaterThan(10_000);
    console.log(`no cookies: connect not established after 1 s of flood; ${r.env.b.mib.listenDrops} SYNs dropped`);
    tcpAbort(r.clients[0]!.c);
    tcpClose(r.l);
    r.env.clock.advance(300_000);
    expect(skbStats().live).toBe(live0);
  });

  it('with timestamps, the cookie carries window scale and SACK-permitted in TSval: the connection keeps them', () => {
    const live0 = skbStats().live;
    const r = flood(true, 300, [100], { timestamps: true, sack: true });
    const cl = r.clients[0]!;
    expect(cl.establishedAt - cl.at).toBeLessThan(1000);
    const s = r.accepted[0]!;
    const c = cl.c;
    expect(r.env.b.mib.syncookiesRecv).toBe(1);
    expect(s.tstampOk).toBe(true);
    expect(s.sackOk).toBe(true);
    expect(s.wscaleOk).toBe(true);
    expect(s.sndWscale).toBe(c.rcvWscale);
    expect(c.sndWscale).toBe(s.rcvWscale);
    const synAck = r.env.segs.find((g) => g.dir === 'B>A' && (g.flags & TcpFlags.SYN) !== 0)!;
    expect(synAck.seq).toBe(s.iss);
    console.log(`cookie with timestamps: wscale ${s.sndWscale}/${s.rcvWscale}, SACK ${s.sackOk}, TS ${s.tstampOk}`);
    // a window-scaled transfer through it
    expect(tcpSendmsg(c, new Uint8Array(300_000).fill(4))).toBe(300_000);
    r.env.clock.advance(1000);
    expect(tcpRecvmsg(s, new Uint8Array(400_000))).toBe(300_000);
    tcpClose(s);
    tcpClose(c);
    tcpClose(r.l);
    r.env.clock.advance(300_000);
    expect(skbStats().live).toBe(live0);
  });

  it('an ACK with a forged cookie gets a RST and creates nothing', () => {
    const live0 = skbStats().live;
    const r = flood(true, 10, []);
    const before = r.env.b.socketCount;
    inject(r.env.b, 0x0c000001, B, { srcPort: 5555, dstPort: 80, seq: 1000, ack: 123456, flags: TcpFlags.ACK, window: 65535 });
    expect(r.env.b.socketCount).toBe(before);
    expect(r.env.b.mib.syncookiesFailed).toBe(1);
    tcpClose(r.l);
    r.env.clock.advance(300_000);
    expect(skbStats().live).toBe(live0);
  });
});
