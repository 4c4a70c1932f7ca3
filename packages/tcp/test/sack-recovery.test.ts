/**
 * The sender SACK scoreboard and what recovers from it, in virtual time:
 * - property: random SACK blocks over a real retransmit queue give the same
 *   sacked_out / lost_out as a byte-level model (RFC 6675 IsLost), and the queue
 *   stays contiguous (splits at block edges lose nothing);
 * - several holes in one window are repaired in one recovery with exactly the
 *   lost bytes retransmitted, no RTO (SACK), and an RTO resends only un-SACKed data;
 * - limited transmit (RFC 3042): the first two duplicate ACKs release new data;
 * - PRR (RFC 6937): how much one ACK lets out, proportional then slow-start bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { tcpCwndReduction, tcpInitCwndReduction } from '../src/prr.js';
import { tcpIsDsack, tcpSacktagWriteQueue } from '../src/sacktag.js';
import { Scoreboard } from '../src/scoreboard-state.js';
import { tcpPacketsInFlight, tcpSbRecount, tcpUpdateScoreboard } from '../src/scoreboard.js';
import { tcpSendmsg } from '../src/socket.js';
import type { TcpSock } from '../src/sock.js';
import { CB_END_SEQ, CB_SEQ } from '../src/skb-cb.js';
import { renoCongestionOps } from '../src/cong.js';
import { TcpFlags, type SackBlock } from '../src/wire/tcp.js';
import { A, directEnv, type DirectEnv } from './helpers/direct-env.js';
import { closeAll, dropFirstTransmissionOf, transfer as transferFor } from './helpers/loss-env.js';

/** Sends `n` bytes from c, reading them at s every millisecond (every byte checked); returns what s read. */
const transfer = (env: DirectEnv, c: TcpSock, s: TcpSock, n: number, maxMs = 20000): number => transferFor(env, c, s, n, maxMs);

const MSS = 1460;

/** Payload bytes A sent again (any byte below the highest sequence sent before it). */
function retransmittedBytes(env: DirectEnv): number {
  let high = -1;
  let base = -1;
  let n = 0;
  for (const g of env.segs) {
    if (g.dir !== 'A>B' || g.len === 0 || (g.flags & TcpFlags.SYN) !== 0) continue;
    if (base < 0) base = g.seq;
    const start = (g.seq - base) >>> 0;
    const end = start + g.len;
    if (start < high) n += Math.min(end, high) - start;
    if (end > high) high = end;
  }
  return n;
}

describe('scoreboard (sacktag.ts, scoreboard.ts)', () => {
  it('random SACK blocks: counters match a byte model, lost marking is RFC 6675 IsLost, the queue stays contiguous', () => {
    const live0 = skbStats().live;
    const blockArb = fc.record({ at: fc.nat({ max: 10 * MSS - 1 }), len: fc.integer({ min: 1, max: 4 * MSS }) });
    fc.assert(
      fc.property(fc.array(fc.array(blockArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (rounds) => {
        const env = directEnv({ sack: true });
        const { l, c, s } = env.established();
        env.setDrop((_p, sa, len) => sa === A && len > 0); // nothing is ACKed: the queue holds what was sent
        tcpSendmsg(c, new Uint8Array(10 * MSS));
        env.clock.advance(1);
        const una = c.sndUna;
        const total = (c.sndNxt - una) >>> 0;
        expect(total).toBe(10 * MSS);
        const sacked = new Uint8Array(total);
        const lost = new Uint8Array(total);
        const thresh = (c.stack.config.dupThresh - 1) * c.mss;
        for (const r of rounds) {
          const blocks: SackBlock[] = r.map((b) => ({ left: (una + b.at) >>> 0, right: (una + Math.min(total, b.at + b.len)) >>> 0 }));
          tcpSacktagWriteQueue(c, blocks, una);
          tcpUpdateScoreboard(c);
          // the model: SACKed bytes are the union of the blocks (a DSACK first block excluded)
          for (let i = tcpIsDsack(blocks, una) ? 1 : 0; i < blocks.length; i++) {
            const b = blocks[i]!;
            for (let x = (b.left - una) >>> 0; x < ((b.right - una) >>> 0); x++) sacked[x] = 1;
          }
          // IsLost: more than (DupThresh − 1)·MSS bytes SACKed above; lost stays lost until SACKed
          let above = 0;
          for (let x = total - 1; x >= 0; x--) {
            if (sacked[x] === 1) {
              above++;
              lost[x] = 0;
            } else if (above > thresh) lost[x] = 1;
          }
          const sackedModel = sacked.reduce((a, v) => a + v, 0);
          const lostModel = lost.reduce((a, v) => a + v, 0);
          expect([c.sb.sackedOut, c.sb.lostOut]).toEqual([sackedModel, lostModel]);
          const rc = tcpSbRecount(c);
          expect([rc.sackedOut, rc.lostOut, rc.retransOut]).toEqual([c.sb.sackedOut, c.sb.lostOut, c.sb.retransOut]);
          // contiguous: head at snd_una, each skb starts where the previous ended, tail at snd_nxt
          let at = una;
          for (let skb = c.rtxQueue.peek(); skb !== null; skb = skb.next) {
            expect(skb.cb[CB_SEQ]).toBe(at);
            expect(skb.len).toBe((skb.cb[CB_END_SEQ]! - at) >>> 0);
            at = skb.cb[CB_END_SEQ]!;
          }
          expect(at).toBe(c.sndNxt);
        }
        env.setDrop(undefined);
        closeAll(env, c, s, l);
      }),
      { numRuns: 60, seed: 20261202 },
    );
    expect(skbStats().live).toBe(live0);
  });
});

describe('SACK recovery (RFC 6675 + PRR)', () => {
  it('four holes in one window: one recovery, exactly the lost bytes resent, no RTO', () => {
    const live0 = skbStats().live;
    // RFC 6675 loss detection alone (RACK off: `recovery: 0`), as Linux with tcp_recovery=0
    const env = directEnv({ sack: true, recovery: 0 });
    const { l, c, s } = env.established();
    expect(c.sackOk).toBe(true);
    // the first window is IW10; the holes sit in the second, larger one
    const holes = [12, 15, 18, 21].map((k) => k * MSS);
    dropFirstTransmissionOf(env, c, holes);
    const n = 60 * MSS;
    expect(transfer(env, c, s, n)).toBe(n);
    const m = env.a.mib;
    expect(m.timeouts).toBe(0);
    expect(m.fastRetrans).toBe(1);
    expect(retransmittedBytes(env)).toBe(holes.length * MSS);
    expect(m.retransSegs).toBe(holes.length);
    console.log(`4 holes, SACK: ${m.fastRetrans} recovery, ${m.retransSegs} segments (${retransmittedBytes(env)} bytes) resent, ${m.timeouts} RTOs`);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });

  it('the same holes without SACK: NewReno, one hole per partial ACK, still one recovery and no RTO', () => {
    const live0 = skbStats().live;
    const env = directEnv();
    const { l, c, s } = env.established();
    const holes = [12, 15, 18, 21].map((k) => k * MSS);
    dropFirstTransmissionOf(env, c, holes);
    const n = 60 * MSS;
    expect(transfer(env, c, s, n)).toBe(n);
    const m = env.a.mib;
    expect(m.timeouts).toBe(0);
    expect(m.fastRetrans).toBe(1);
    expect(retransmittedBytes(env)).toBe(holes.length * MSS); // one MSS each, not the rest of a TSO skb
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });

  it('an RTO with SACK resends only what was not SACKed', () => {
    const live0 = skbStats().live;
    const env = directEnv({ sack: true, recovery: 0, earlyRetrans: 0 });
    const { l, c, s } = env.established();
    // segments 0 and 1 lost, the 8 after them SACKed; the fast retransmissions are
    // lost as well, so the RTO fires with 8 segments SACKed
    const base = (c.iss + 1) >>> 0;
    const dropsLeft = new Map<number, number>([
      [base, 2],
      [(base + MSS) >>> 0, 2],
    ]);
    env.setDrop((p, sa, len) => {
      if (sa !== A || len === 0) return false;
      const left = dropsLeft.get(p.seq) ?? 0;
      if (left === 0) return false;
      dropsLeft.set(p.seq, left - 1);
      return true;
    });
    const n = 10 * MSS;
    expect(transfer(env, c, s, n)).toBe(n);
    const m = env.a.mib;
    expect(m.timeouts).toBeGreaterThanOrEqual(1);
    // segments 0 and 1 twice each (fast retransmit, then the RTO), nothing SACKed again
    expect(retransmittedBytes(env)).toBe(4 * MSS);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });
});

describe('limited transmit (RFC 3042)', () => {
  it('each of the first two duplicate ACKs sends one new segment before the fast retransmit', () => {
    const live0 = skbStats().live;
    const env = directEnv();
    const { l, c, s } = env.established();
    const base = (c.iss + 1) >>> 0;
    dropFirstTransmissionOf(env, c, [0]);
    const n = 30 * MSS;
    expect(transfer(env, c, s, n)).toBe(n);
    const aToB = env.segs.filter((g) => g.dir === 'A>B' && g.len > 0);
    const rtx = aToB.findIndex((g, i) => i > 0 && g.seq === base);
    expect(rtx).toBeGreaterThan(0);
    // between the initial window and the retransmission: exactly two MSS of new data, one per dup ACK
    const before = aToB.slice(0, rtx);
    const iwEnd = (base + 10 * MSS) >>> 0;
    const limited = before.filter((g) => ((g.seq - iwEnd) | 0) >= 0);
    expect(limited.map((g) => [((g.seq - base) >>> 0) / MSS, g.len])).toEqual([
      [10, MSS],
      [11, MSS],
    ]);
    expect(env.a.mib.fastRetrans).toBe(1);
    expect(env.a.mib.timeouts).toBe(0);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });
});

describe('PRR (RFC 6937, prr.ts)', () => {
  /** A socket view with only what PRR reads: pipe = snd_nxt − snd_una − sacked_out. */
  function fakeSock(cwndSegs: number): TcpSock {
    const sk = { sb: new Scoreboard(), sndUna: 0, sndNxt: cwndSegs * MSS, sndCwnd: cwndSegs * MSS, sndSsthresh: 0, priorCwnd: 0, mss: MSS, ca: renoCongestionOps, bytesAcked: 0 };
    Object.defineProperty(sk, 'inFlight', { get: () => sk.sndNxt - sk.sndUna });
    return sk as unknown as TcpSock;
  }
  /** Sends what cwnd − pipe allows, whole segments (what tcpWriteXmit does); returns bytes sent. */
  function sendAllowed(sk: TcpSock): number {
    const room = sk.sndCwnd - tcpPacketsInFlight(sk);
    const bytes = room > 0 ? Math.ceil(room / MSS) * MSS : 0;
    sk.sndNxt += bytes;
    sk.sb.prrOut += bytes;
    return bytes;
  }

  it('pipe above ssthresh: about one segment per two ACKs (Reno halves); at ssthresh: no more than delivered + 1 MSS', () => {
    const sk = fakeSock(20);
    tcpInitCwndReduction(sk); // Reno: ssthresh = 10 segments
    expect(sk.sndSsthresh).toBe(10 * MSS);
    sk.sb.lostOut = MSS; // one segment lost: pipe 19
    const perAck: number[] = [];
    for (let i = 0; i < 18; i++) {
      sk.sb.sackedOut += MSS; // each ACK SACKs one segment
      tcpCwndReduction(sk, MSS, 0, false);
      perAck.push(sendAllowed(sk) / MSS);
    }
    // the first ACK always lets the fast retransmission out
    expect(perAck[0]).toBe(1);
    const proportional = perAck.slice(0, 18);
    expect(Math.max(...proportional)).toBeLessThanOrEqual(1);
    // 18 ACKs delivered 18 segments: PRR sent ssthresh/prior_cwnd of that, 9
    expect(proportional.reduce((a, v) => a + v, 0)).toBe(9);
    expect(tcpPacketsInFlight(sk)).toBeLessThanOrEqual(sk.sndSsthresh);
    // below ssthresh (slow-start reduction bound): an ACK delivering 1 MSS and
    // advancing snd_una allows at most 2 MSS, never past ssthresh
    sk.sb.sackedOut += 4 * MSS; // a burst of SACKs: pipe drops well below ssthresh
    tcpCwndReduction(sk, 4 * MSS, 0, true);
    const sent = sendAllowed(sk);
    expect(sent).toBeLessThanOrEqual(5 * MSS);
    expect(tcpPacketsInFlight(sk)).toBeLessThanOrEqual(sk.sndSsthresh);
  });
});
