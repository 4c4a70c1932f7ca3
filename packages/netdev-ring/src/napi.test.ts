import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '@netlayers/clock';
import { skbStats } from '@netlayers/skbuff';
import { ETH_P } from './ether.js';
import { Napi, Softnet } from './napi.js';
import { RecordingDevice } from './testing/recording-device.js';
import { skbFromBytes } from './testing/frames.js';

let live0 = 0;
beforeEach(() => {
  live0 = skbStats().live;
});
afterEach(() => {
  expect(skbStats().live).toBe(live0);
});

const FRAME = (() => {
  const f = new Uint8Array(60);
  f.set([2, 0, 0, 0, 0, 9], 0);
  f[12] = 0x08;
  return f;
})();

describe('NAPI and Softnet', () => {
  it('polls each device for at most its weight, round-robin, within the global budget', () => {
    const softnet = new Softnet({ budget: 300 });
    const devs = [0, 1, 2, 3, 4, 5].map((i) => new RecordingDevice({ name: `d${i}`, softnet, rxRingSize: 1024 }));
    const perDev = devs.map(() => 0);
    const order: number[] = [];
    devs.forEach((d, i) => {
      d.open();
      d.addPacketHandler(ETH_P.IP, (skb) => {
        if (order[order.length - 1] !== i) order.push(i);
        perDev[i]!++;
        skb.free();
      });
      for (let k = 0; k < 500; k++) d.rxDma(skbFromBytes(FRAME));
    });
    const r1 = softnet.netRxAction();
    // Five polls of 64 = 320 ≥ 300: the round ends squeezed before the sixth device.
    expect(r1.processed).toBe(320);
    expect(r1.squeezed).toBe(true);
    expect(perDev).toEqual([64, 64, 64, 64, 64, 0]);
    expect(softnet.stats().timeSqueeze).toBe(1);
    expect(devs.every((d) => !d.irqEnabled)).toBe(true); // interrupts stay off while polling
    // Next round: the unpolled device first, then the others (round-robin).
    const r2 = softnet.netRxAction();
    expect(r2.processed).toBe(320);
    expect(order.slice(0, 10)).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3]);
    softnet.runUntilIdle();
    expect(perDev).toEqual([500, 500, 500, 500, 500, 500]);
    // One interrupt per device for 500 frames each: the rest arrived while polling.
    expect(devs.map((d) => d.stats.rxInterrupts)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(devs.every((d) => d.irqEnabled)).toBe(true);
  });

  it('a round that empties its list without exhausting the budget is not squeezed', () => {
    const softnet = new Softnet({ budget: 300 });
    const dev = new RecordingDevice({ softnet, rxRingSize: 1024 });
    dev.open();
    dev.addPacketHandler(ETH_P.IP, (skb) => skb.free());
    for (let k = 0; k < 100; k++) dev.rxDma(skbFromBytes(FRAME));
    expect(softnet.netRxAction()).toEqual({ processed: 64, squeezed: false });
    expect(softnet.pending).toBe(true);
    expect(softnet.doSoftirq()).toBe(36);
    expect(softnet.pending).toBe(false);
  });

  it('re-enables interrupts when a poll finishes under budget, and re-checks the ring', () => {
    const softnet = new Softnet();
    const dev = new RecordingDevice({ softnet });
    dev.open();
    let n = 0;
    dev.addPacketHandler(ETH_P.IP, (skb) => {
      n++;
      skb.free();
      // A frame arriving during the poll (interrupts off) must not be lost.
      if (n === 1) dev.rxDma(skbFromBytes(FRAME));
    });
    dev.rxDma(skbFromBytes(FRAME));
    expect(dev.irqEnabled).toBe(false);
    softnet.runUntilIdle();
    expect(n).toBe(2);
    expect(dev.irqEnabled).toBe(true);
    expect(dev.napi.stats().completions).toBeGreaterThanOrEqual(1);
  });

  it('stops a round at the time limit and counts time_squeeze', () => {
    const clock = new VirtualClock();
    const softnet = new Softnet({ clock, budget: 300, budgetUsecs: 2000 });
    const dev = new RecordingDevice({ softnet, rxRingSize: 1024 });
    dev.open();
    dev.addPacketHandler(ETH_P.IP, (skb) => {
      clock.advance(0.05); // 50 µs of protocol work per frame
      skb.free();
    });
    for (let k = 0; k < 1000; k++) dev.rxDma(skbFromBytes(FRAME));
    const r = softnet.netRxAction();
    // 2 ms / 50 µs = 40 frames, but polls are per weight (64): the first poll overruns.
    expect(r.processed).toBe(64);
    expect(r.squeezed).toBe(true);
    expect(softnet.stats().timeSqueeze).toBe(1);
    softnet.runUntilIdle();
    expect(dev.stats.rxPackets).toBe(1000);
  });

  it('contains a throwing poll function', () => {
    const errors: unknown[] = [];
    const softnet = new Softnet({ onError: (e) => errors.push(e) });
    const napi = new Napi(softnet, () => {
      throw new Error('driver bug');
    });
    napi.schedule();
    expect(() => softnet.runUntilIdle()).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(softnet.stats().pollErrors).toBe(1);
    expect(napi.scheduled).toBe(false);
  });

  it('calls onRaise when work becomes pending', () => {
    let raised = 0;
    const softnet = new Softnet({ onRaise: () => raised++ });
    const napi = new Napi(softnet, () => 0);
    napi.schedule();
    napi.schedule();
    expect(raised).toBe(1);
    softnet.runUntilIdle();
    napi.schedule();
    expect(raised).toBe(2);
    softnet.runUntilIdle();
  });

  it('backlog (netif_rx) is bounded by netdev_max_backlog', () => {
    const softnet = new Softnet({ maxBacklog: 3 });
    const got: number[] = [];
    const target = { netifReceiveSkb: (x: number) => got.push(x) };
    expect([1, 2, 3, 4].map((x) => softnet.netifRx(x, target))).toEqual([true, true, true, false]);
    expect(softnet.stats().dropped).toBe(1);
    softnet.runUntilIdle();
    expect(got).toEqual([1, 2, 3]);
  });
});

describe('receive livelock avoidance (seed 004)', () => {
  /**
   * Each 1 ms tick: the NIC receives `offered` frames (placed on the RX ring, an
   * interrupt raised only if interrupts are enabled), then the stack runs one
   * softirq round. CPU accounting per tick (1000 µs): every hardware interrupt
   * costs IRQ_US, every delivered frame costs PROTO_US (charged by the handler
   * on the virtual clock); the application gets what is left.
   */
  function simulate(offered: number, ticks = 50) {
    const IRQ_US = 5;
    const PROTO_US = 1;
    const clock = new VirtualClock();
    const softnet = new Softnet({ clock, budget: 300, budgetUsecs: 2000, maxRestarts: 10 });
    const dev = new RecordingDevice({ softnet, rxRingSize: 1024 });
    dev.open();
    let delivered = 0;
    dev.addPacketHandler(ETH_P.IP, (skb) => {
      delivered++;
      clock.advance(PROTO_US / 1000);
      skb.free();
    });
    let appUs = 0;
    const perTick: number[] = [];
    for (let t = 0; t < ticks; t++) {
      const tickStart = clock.now();
      const irq0 = dev.stats.rxInterrupts;
      const d0 = delivered;
      for (let k = 0; k < offered; k++) dev.rxDma(skbFromBytes(FRAME));
      softnet.doSoftirq();
      const irqUs = (dev.stats.rxInterrupts - irq0) * IRQ_US;
      const usedUs = (clock.now() - tickStart) * 1000 + irqUs;
      appUs += Math.max(0, 1000 - usedUs);
      perTick.push(delivered - d0);
      clock.advanceTo(tickStart + 1);
    }
    const s = { ...dev.stats };
    dev.stop(); // frees what is left on the ring
    return { perTick, delivered, appUs, stats: s, timeSqueeze: softnet.stats().timeSqueeze };
  }

  it('keeps delivering at the budgeted rate under 1x–30x overload, dropping at the ring', () => {
    const light = simulate(100);
    expect(light.perTick.slice(1).every((n) => n === 100)).toBe(true);
    expect(light.stats.rxDropped).toBe(0);

    const rates: number[] = [];
    // Budgeted rate of one device per softirq call: maxRestarts (10) rounds × weight (64).
    const BUDGETED = 10 * 64;
    for (const offered of [1000, 3000, 9000, 20000]) {
      const r = simulate(offered);
      const steady = r.perTick.slice(5);
      // Delivered per tick stays exactly at the budgeted rate ...
      expect(Math.min(...steady)).toBe(BUDGETED);
      expect(Math.max(...steady)).toBe(BUDGETED);
      rates.push(steady.reduce((a, b) => a + b, 0) / steady.length);
      // ... the excess is dropped at the ring, counted as rx_dropped / fifo errors ...
      {
        expect(r.stats.rxDropped).toBeGreaterThan(0);
        expect(r.stats.rxFifoErrors).toBe(r.stats.rxDropped);
      }
      // ... interrupts stay off while the device is busy: at most a handful for 50 ticks ...
      expect(r.stats.rxInterrupts).toBeLessThanOrEqual(2);
      // ... and the application still gets most of the CPU.
      expect(r.appUs / 50).toBeGreaterThan(300);
    }
    // No collapse: the delivered rate does not fall as the offered load grows.
    for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeGreaterThanOrEqual(rates[0]! - 1);
  });
});
