/**
 * Each congestion-control module moves a verified bulk transfer over a lossy
 * DevicePair (two full stacks, TCP/IPv4/Ethernet) in virtual time: 2 MiB at
 * 1 % random loss each way, 20 ms RTT, with and without SACK. Every byte is
 * checked against the pattern (bench/loss-sim.ts); the connection is checked to
 * run the module asked for; goodput in virtual time is printed per module.
 * Then a 20 Mbit/s bottleneck (frames queue up to 100 ms behind it, 20 ms base
 * RTT, no random loss): Vegas keeps its queue short enough never to overflow it
 * (no retransmission), CUBIC fills the queue until it drops.
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

  it('at a 20 Mbit/s bottleneck Vegas never overflows the queue; CUBIC does', () => {
    const live = skbStats().live;
    const run = (cc: string) => simulateBulk({ bytes: 4 << 20, loss: 0, rttMs: 20, rateBps: 20e6, cc, sack: true, seed: 3 });
    const cubic = run('cubic');
    const vegas = run('vegas');
    for (const r of [cubic, vegas]) expect(r.received[0]).toBe(4 << 20);
    const mbps = (ms: number): string => (((4 << 20) * 8) / ms / 1000).toFixed(2);
    console.log(
      `20 Mbit/s bottleneck, 20 ms RTT: cubic ${mbps(cubic.virtualMs[0])} Mbit/s, final srtt ${cubic.srttMs[0].toFixed(1)} ms, ${cubic.senders[0].retransSegs} retransmits; ` +
        `vegas ${mbps(vegas.virtualMs[0])} Mbit/s, final srtt ${vegas.srttMs[0].toFixed(1)} ms, ${vegas.senders[0].retransSegs} retransmits`,
    );
    expect(cubic.senders[0].retransSegs).toBeGreaterThan(0); // the queue overflowed
    expect(vegas.senders[0].retransSegs).toBe(0);
    expect(skbStats().live).toBe(live);
  });
});
