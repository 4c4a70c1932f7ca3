/**
 * The receiver's SACK/DSACK block list (sack.ts) against a model: blocks never
 * overlap or touch, at most 4, the newest range is in the first block, every
 * block lies inside what was received, and tcpSackRemove drops what rcv_nxt
 * covers. Plus the exact sequence of Linux's tcp_dsack_mult.pkt.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TCP_NUM_SACKS, tcpDsackExtend, tcpDsackSet, tcpSackBlocksToSend, tcpSackNewOfoSkb, tcpSackRemove } from '../src/sack.js';
import type { TcpSock } from '../src/sock.js';
import { seqLe, seqLt } from '../src/seq.js';

function fakeSock(rcvNxt: number, tstampOk = false) {
  const ofo = { length: 1 };
  const sk = { selectiveAcks: [], dsack: null, sackOk: true, tstampOk, rcvNxt, ofoQueue: ofo } as unknown as TcpSock;
  return { sk, ofo };
}

const BASE = 0xffff_f000; // ranges cross the 2^32 wrap

describe('SACK blocks', () => {
  it('model: disjoint, at most 4, newest first, inside the received ranges (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ off: fc.integer({ min: 1, max: 60 }), len: fc.integer({ min: 1, max: 8 }) }), { minLength: 1, maxLength: 30 }), (segs) => {
        const { sk } = fakeSock(BASE);
        const got = new Set<number>();
        for (const { off, len } of segs) {
          const seq = (BASE + off * 100) >>> 0;
          const end = (seq + len * 100) >>> 0;
          tcpSackNewOfoSkb(sk, seq, end);
          for (let k = off; k < off + len; k++) got.add(k);
          const b = sk.selectiveAcks;
          expect(b.length).toBeLessThanOrEqual(TCP_NUM_SACKS);
          expect(seqLe(b[0]!.left, seq) && seqLe(end, b[0]!.right)).toBe(true);
          for (let i = 0; i < b.length; i++) {
            for (let j = i + 1; j < b.length; j++) expect(seqLt(b[i]!.right, b[j]!.left) || seqLt(b[j]!.right, b[i]!.left)).toBe(true);
            for (let x = b[i]!.left; x !== b[i]!.right; x = (x + 100) >>> 0) expect(got.has(((x - BASE) >>> 0) / 100)).toBe(true);
          }
        }
        sk.rcvNxt = (BASE + 30 * 100) >>> 0;
        const kept = sk.selectiveAcks.filter((x) => seqLt(sk.rcvNxt, x.left));
        // blocks that start at or below rcv_nxt go (tcp_sack_remove)
        tcpSackRemove(sk);
        expect(sk.selectiveAcks).toEqual(kept);
      }),
    );
  });

  it('an empty out-of-order queue clears every block', () => {
    const { sk, ofo } = fakeSock(1000);
    tcpSackNewOfoSkb(sk, 2000, 3000);
    ofo.length = 0;
    tcpSackRemove(sk);
    expect(sk.selectiveAcks).toEqual([]);
  });

  it('tcp_dsack_mult.pkt: blocks and DSACK in Linux order, 3 at most with timestamps', () => {
    const { sk } = fakeSock(1);
    const send = () => tcpSackBlocksToSend(sk)?.map((b) => `${b.left}:${b.right}`).join(' ');
    tcpSackNewOfoSkb(sk, 1001, 2001);
    expect(send()).toBe('1001:2001');
    tcpSackNewOfoSkb(sk, 2001, 3001);
    expect(send()).toBe('1001:3001');
    tcpSackNewOfoSkb(sk, 4001, 5001);
    expect(send()).toBe('4001:5001 1001:3001');
    tcpSackNewOfoSkb(sk, 7001, 8001);
    expect(send()).toBe('7001:8001 4001:5001 1001:3001');
    // 1:6001 arrives: the queued 1001:2001, 2001:3001, 4001:5001 are duplicates
    sk.rcvNxt = 6001;
    tcpDsackExtend(sk, 1001, 2001);
    tcpDsackExtend(sk, 2001, 3001);
    tcpDsackExtend(sk, 4001, 5001);
    tcpSackRemove(sk);
    expect(send()).toBe('1001:3001 7001:8001');
    expect(send()).toBe('7001:8001'); // DSACK reported once
    tcpDsackSet(sk, 1, 1001);
    const ts = fakeSock(1, true).sk;
    for (const s of [100, 300, 500, 700]) tcpSackNewOfoSkb(ts, s, s + 100);
    tcpDsackSet(ts, 1, 50);
    expect(tcpSackBlocksToSend(ts)).toHaveLength(3);
    expect(send()).toBe('1:1001 7001:8001');
  });
});
