/**
 * Undo of spurious retransmissions in virtual time (RTT 10 ms, SACK on): a
 * segment delayed (not dropped) past the others is fast-retransmitted; the
 * receiver's DSACK for the retransmission (RFC 2883/3708) — or, with
 * timestamps, the original's echoed TSval (Eifel, RFC 3522) — shows it was
 * spurious and cwnd/ssthresh return to their values before recovery. A delay
 * longer than the RTO makes the RTO fire; F-RTO (RFC 5682) finds it spurious
 * when data sent before it and never retransmitted is acknowledged. A real loss
 * (dropped, not delayed) is never undone.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { CaState } from '../src/sock.js';
import { TCP_INFINITE_SSTHRESH } from '../src/tcp-info.js';
import { closeAll, impair, lossEnv, settle, transfer } from './helpers/loss-env.js';

describe('undo after a spurious fast retransmit', () => {
  for (const [timestamps, fate] of [
    [false, 8],
    [true, 8],
    [false, 'drop'],
  ] as const) {
    const what = fate === 'drop' ? 'a real loss (dropped) is not undone' : timestamps ? 'timestamps: Eifel undoes at the ACK of the original' : 'the DSACK of the retransmission undoes';
    it(`segment 3 of 20 ${fate === 'drop' ? 'dropped' : `${fate} ms late`}: ${what}`, () => {
      const live0 = skbStats().live;
      const { env, l, c, s } = lossEnv({ timestamps });
      const mss = c.mss;
      expect(transfer(env, c, s, mss)).toBe(mss); // RTT sample
      settle(env);
      const n = 20 * mss;
      const late = mss + 2 * mss;
      impair(env, c, (off, nth) => (off === late && nth === 0 ? fate : undefined));
      expect(transfer(env, c, s, n, 3000, mss)).toBe(n);
      settle(env, 200);
      const m = env.a.mib;
      expect(m.fastRetrans).toBe(1);
      expect(m.timeouts).toBe(0);
      if (fate === 'drop') {
        expect(m.dsackUndo + m.fullUndo + m.lossUndo + m.partialUndo).toBe(0);
        expect(c.sndSsthresh).toBeLessThan(TCP_INFINITE_SSTHRESH);
      } else {
        expect(m.dsackRecv).toBeGreaterThanOrEqual(1);
        // without timestamps the DSACK is the evidence (it may come with the full ACK: TCPFullUndo, as in Linux)
        if (timestamps) {
          // the original's ACK echoes a TSval older than the retransmission: undone at once, before any DSACK
          expect(m.fullUndo + m.partialUndo).toBe(1);
          expect(m.dsackUndo).toBe(0);
        } else expect(m.dsackUndo + m.fullUndo).toBe(1);
        // ssthresh back to "no loss yet", cwnd at least what it was when recovery began
        expect(c.sndSsthresh).toBe(TCP_INFINITE_SSTHRESH);
        expect(c.sndCwnd).toBeGreaterThanOrEqual(c.priorCwnd);
        expect(c.caState).toBe(CaState.OPEN);
        expect(c.undoPending).toBe(false);
      }
      console.log(`${what}: cwnd ${c.sndCwnd} (prior ${c.priorCwnd}), ssthresh ${c.sndSsthresh}, DSACKs ${m.dsackRecv}`);
      closeAll(env, c, s, l);
      expect(skbStats().live).toBe(live0);
    });
  }
});

describe('F-RTO (RFC 5682) after a spurious RTO', () => {
  for (const [frto, sack] of [
    [2, true],
    [0, true],
    [2, false],
  ] as const) {
    it(`a 230 ms delay spike fires the RTO (210 ms), SACK ${sack ? 'on' : 'off'}; ${frto ? 'F-RTO finds it spurious and restores cwnd (TCPSpuriousRTOs)' : 'with F-RTO off it is not called spurious'}`, () => {
      const live0 = skbStats().live;
      const { env, l, c, s } = lossEnv({ frto, sack, earlyRetrans: 0 }); // no loss probe: the RTO fires
      const mss = c.mss;
      expect(transfer(env, c, s, 4 * mss)).toBe(4 * mss);
      settle(env);
      const from = 4 * mss;
      const n = 40 * mss;
      const cwnd0 = c.sndCwnd;
      const t0 = env.clock.now();
      // the path stalls for 230 ms (RTO: SRTT + 200 ms = 210 ms): what is sent meanwhile arrives, in
      // order, when it ends; the first ACK after the RTO covers data that was never retransmitted
      impair(env, c, (_off, _nth, now) => (now - t0 < 230 ? t0 + 230 - now : undefined));
      expect(transfer(env, c, s, n, 3000, from)).toBe(n);
      settle(env, 500);
      const m = env.a.mib;
      expect(m.timeouts).toBe(1);
      if (frto) {
        expect(m.spuriousRtos).toBe(1);
        expect(m.lossUndo).toBe(1);
        expect(c.sndCwnd).toBeGreaterThanOrEqual(cwnd0);
        expect(c.caState).toBe(CaState.OPEN);
      } else {
        expect(m.spuriousRtos).toBe(0);
      }
      console.log(`delay spike, SACK ${sack ? 'on' : 'off'}, F-RTO ${frto ? 'on' : 'off'}: RTOs ${m.timeouts}, spurious ${m.spuriousRtos}, loss undos ${m.lossUndo}, cwnd ${c.sndCwnd} (before ${cwnd0}), retransmits ${m.retransSegs}`);
      closeAll(env, c, s, l);
      expect(skbStats().live).toBe(live0);
    });
  }
});
