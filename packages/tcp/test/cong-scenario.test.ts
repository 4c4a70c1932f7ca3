/**
 * Each congestion-control module moves a verified bulk transfer over a lossy
 * DevicePair (two full stacks, TCP/IPv4/Ethernet) in virtual time: 2 MiB at
 * 1 % random loss each way, 20 ms RTT, with and without SACK. Every byte is
 * checked against the pattern (bench/loss-sim.ts); the connection is checked to
 * run the module asked for; goodput in virtual time is printed per module.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { simulateBulk } from '../bench/loss-sim.js';

const BYTES = 2 << 20;

describe('congestion control over a lossy DevicePair (virtual time)', () => {
  for (const sack of [true, false]) {
    it(`cubic, reno and vegas each deliver ${BYTES} verified bytes at 1 % loss (SACK ${sack ? 'on' : 'off'})`, () => {
      const live = skbStats().live;
      const lines: string[] = [];
      for (const cc of ['cubic', 'reno', 'vegas']) {
        const r = simulateBulk({ bytes: BYTES, loss: 0.01, rttMs: 20, cc, sack, seed: 7 });
        expect(r.received[0]).toBe(BYTES);
        expect(r.linkLost).toBeGreaterThan(0);
        expect(r.senders[0].retransSegs).toBeGreaterThan(0);
        const mbps = (BYTES * 8) / r.virtualMs[0] / 1000;
        lines.push(`${cc}: ${r.virtualMs[0].toFixed(0)} ms, ${mbps.toFixed(2)} Mbit/s, ${r.senders[0].retransSegs} retransmits, ${r.senders[0].timeouts} RTOs`);
      }
      console.log(`1 % loss, 20 ms RTT, SACK ${sack}: ${lines.join('; ')}`);
      expect(skbStats().live).toBe(live);
    });
  }
});
