// The README's runnable example, kept compiling and passing.
import { expect, it } from 'vitest';
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, skbStats } from '@netlayers/skbuff';
import { DevicePair, ETH_P, NetXmit, Softnet } from './index.js';

it('README example', () => {
  const clock = new VirtualClock();
  const softnet = new Softnet({ clock }); // one softirq context for this "stack"
  const pair = DevicePair.create({
    clock,
    softnet,
    impairment: { seed: 42, loss: 0.01, delayMs: 5, jitterMs: 1 },
  });

  // RX: the upper layer registers for its ethertype (dev_add_pack).
  const received: number[] = [];
  pair.b.addPacketHandler(ETH_P.IP, (skb) => {
    received.push(skb.len); // skb.data is at the IPv4 header, skb.protocol === 0x0800
    skb.free(); // the handler owns the skb
  });

  // TX: build the packet with headroom, push the link header, queue it.
  for (let i = 0; i < 100; i++) {
    const skb = allocSkb(64 + 20);
    skb.reserve(64);
    skb.put(20).fill(0x45, 0, 1); // a (fake) IPv4 header
    pair.a.hardHeader(skb, ETH_P.IP, pair.b.mac); // Ethernet header (dev_hard_header)
    expect(pair.a.queueXmit(skb)).toBe(NetXmit.SUCCESS); // qdisc → driver → wire
  }

  // Drive time and softirqs (the stack's event loop does this).
  for (let t = 0; t < 20; t++) {
    clock.advance(1);
    softnet.runUntilIdle();
  }
  const { aToB } = pair.linkStats();
  expect(received.length).toBe(100 - aToB.lost);
  expect(pair.b.stats.rxPackets).toBe(received.length);
  pair.destroy();
  expect(skbStats().live).toBe(0);
});
