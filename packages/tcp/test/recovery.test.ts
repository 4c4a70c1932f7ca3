/**
 * Loss recovery scenarios in virtual time (RFC 5681 §3.2, RFC 6582 NewReno), with
 * segments dropped by a hook on the link and assertions on what the sender emits:
 * the first loss of a connection is fast-retransmitted (recover starts at the ISS),
 * a partial ACK retransmits the next hole at once, and a loss right at the previous
 * recovery point is fast-retransmitted too (no RTO); over a GRO DevicePair a
 * merged out-of-order skb yields one duplicate ACK per segment.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { CaState, type TcpSock } from '../src/sock.js';
import { TcpFlags } from '../src/wire/tcp.js';
import { createTestbed } from '../src/testing/index.js';
import { A, directEnv, type DirectEnv } from './helpers/direct-env.js';
import { closeAll, dropFirstTransmissionOf, transfer as transferFor } from './helpers/loss-env.js';

/** Sends `n` bytes from c, reading them at s every millisecond (every byte checked); returns what s read. */
const transfer = (env: DirectEnv, c: TcpSock, s: TcpSock, n: number, maxMs = 5000): number => transferFor(env, c, s, n, maxMs);

const MSS = 1460;

/** The A>B data segments with sequence `seq`, in order. */
function sendsOf(env: DirectEnv, seq: number) {
  return env.segs.filter((g) => g.dir === 'A>B' && g.len > 0 && g.seq === seq);
}

describe('NewReno recovery (RFC 6582)', () => {
  it('fast-retransmits the very first data segment after 3 duplicate ACKs, without an RTO', () => {
    const live0 = skbStats().live;
    const env = directEnv();
    const { l, c, s } = env.established();
    const base = (c.iss + 1) >>> 0;
    dropFirstTransmissionOf(env, c, [0]);
    const n = 20 * MSS;
    expect(transfer(env, c, s, n)).toBe(n);
    const tx = sendsOf(env, base);
    expect(tx.length).toBe(2);
    const dupAcks = env.segs.filter((g) => g.dir === 'B>A' && g.ack === base && g.len === 0 && (g.flags & TcpFlags.SYN) === 0);
    // the retransmission follows the third duplicate ACK by one link delay, far before the 200 ms RTO floor
    expect(dupAcks.length).toBeGreaterThanOrEqual(3);
    expect(tx[1]!.t - tx[0]!.t).toBeLessThan(50);
    expect(env.a.mib.fastRetrans).toBe(1);
    expect(env.a.mib.timeouts).toBe(0);
    expect(c.caState).toBe(CaState.OPEN);
    console.log(`first loss: retransmitted after ${tx[1]!.t - tx[0]!.t} ms, ${dupAcks.length} duplicate ACKs, 0 RTOs`);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });

  it('a partial ACK retransmits the next hole at once (two losses in one window, one recovery, no RTO)', () => {
    const live0 = skbStats().live;
    const env = directEnv();
    const { l, c, s } = env.established();
    const base = (c.iss + 1) >>> 0;
    dropFirstTransmissionOf(env, c, [0, 3 * MSS]);
    const n = 20 * MSS;
    expect(transfer(env, c, s, n)).toBe(n);
    const first = sendsOf(env, base);
    const second = sendsOf(env, (base + 3 * MSS) >>> 0);
    expect(first.length).toBe(2);
    expect(second.length).toBe(2);
    // the partial ACK (acking up to the second hole) arrives one RTT after the first retransmission
    const partial = env.segs.find((g) => g.dir === 'B>A' && g.ack === ((base + 3 * MSS) >>> 0));
    expect(partial).toBeDefined();
    expect(second[1]!.t - partial!.t).toBeLessThanOrEqual(5);
    expect(second[1]!.t).toBeGreaterThan(first[1]!.t);
    expect(env.a.mib.fastRetrans).toBe(1);
    expect(env.a.mib.timeouts).toBe(0);
    console.log(`partial ACK: hole 2 retransmitted ${second[1]!.t - first[1]!.t} ms after hole 1, 0 RTOs`);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });

  it('a loss at exactly the previous recovery point is fast-retransmitted again (no off-by-one, no RTO)', () => {
    const live0 = skbStats().live;
    const env = directEnv();
    const { l, c, s } = env.established();
    const base = (c.iss + 1) >>> 0;
    // the segment starting at snd_max when recovery begins (IW10 plus two limited-transmit
    // segments, RFC 3042) is lost as well
    let headDropped = false;
    let point: number | undefined;
    let pointDropped = false;
    env.setDrop((p, sa, len) => {
      if (sa !== A || len === 0) return false;
      if (p.seq === base && !headDropped) return (headDropped = true);
      if (point === undefined && c.caState === CaState.RECOVERY) point = c.highSeq;
      if (point !== undefined && p.seq === point && !pointDropped) return (pointDropped = true);
      return false;
    });
    const n = 30 * MSS;
    expect(transfer(env, c, s, n)).toBe(n);
    expect(point).toBe((base + 12 * MSS) >>> 0);
    expect(sendsOf(env, point!).length).toBe(2);
    expect(env.a.mib.fastRetrans).toBe(2);
    expect(env.a.mib.timeouts).toBe(0);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });
});

describe('after an RTO', () => {
  it('a loss at exactly the RTO recovery point is fast-retransmitted (no second RTO)', () => {
    const live0 = skbStats().live;
    // after the RTO, slow start has cwnd = 3 when the loss point is sent, so only 2
    // duplicate ACKs can come back (no limited transmit, RFC 3042): threshold 2
    const env = directEnv({ dupThresh: 2 });
    const { l, c, s } = env.established();
    const base = (c.iss + 1) >>> 0;
    let headDrops = 2; // the original and its fast retransmission: only the RTO recovers it
    let lossPoint: number | undefined;
    let lossPointDropped = false;
    env.setDrop((p, sa, len) => {
      if (sa !== A || len === 0) return false;
      if (p.seq === base && headDrops > 0) {
        headDrops--;
        return true;
      }
      if (lossPoint === undefined && c.caState === CaState.LOSS) lossPoint = c.highSeq; // snd_max at the RTO
      if (lossPoint !== undefined && p.seq === lossPoint && !lossPointDropped) {
        lossPointDropped = true;
        return true;
      }
      return false;
    });
    const n = 60 * MSS;
    expect(transfer(env, c, s, n)).toBe(n);
    expect(lossPointDropped).toBe(true);
    expect(env.a.mib.timeouts).toBe(1);
    expect(env.a.mib.fastRetrans).toBe(2);
    closeAll(env, c, s, l);
    expect(skbStats().live).toBe(live0);
  });
});

describe('duplicate ACKs through GRO', () => {
  it('a GRO skb after a hole elicits one duplicate ACK per segment, so losses over a DevicePair are fast-retransmitted', async () => {
    const live0 = skbStats().live;
    const tb = createTestbed({ link: 'pair', impairment: { loss: 0.01, delayMs: 5, seed: 7 } });
    const [a, b] = tb.hosts;
    const size = 4 << 20;
    let got = 0;
    const srv = b.createServer((s) => s.on('data', (d: Buffer) => (got += d.length))).listen(9);
    const c = a.connect(9, b.address);
    c.end(Buffer.alloc(size, 5));
    await tb.runUntil(() => got === size, { timeoutMs: 600_000 });
    const m = a.tcp.mib;
    console.log(`4 MiB at 1% loss over a GRO DevicePair: ${(tb.clock.now() / 1000).toFixed(1)} s virtual, fast retransmits ${m.fastRetrans}, RTOs ${m.timeouts}, dup ACKs ${m.dupAcks}`);
    // before: every loss waited for an RTO (one dup ACK per GRO skb, never three)
    expect(m.fastRetrans).toBeGreaterThanOrEqual(10);
    expect(m.timeouts).toBeLessThan(m.fastRetrans / 3);
    srv.close();
    c.destroy();
    await tb.sleep(200_000);
    tb.destroy();
    expect(skbStats().live).toBe(live0);
  });
});
