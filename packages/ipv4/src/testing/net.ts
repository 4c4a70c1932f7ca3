/**
 * A deterministic test network: virtual clock, one softnet, DevicePairs, and
 * IPv4 stacks attached to their ends. Drive it with {@link TestNet.run}.
 *
 * @module
 */
import { VirtualClock } from '@netlayers/clock';
import { DevicePair, Softnet, type DevicePairOptions } from '@netlayers/netdev-ring';
import { attachNetDevice, type AttachOptions } from '../netdev.js';
import { Stack, type Interface, type StackOptions } from '../stack.js';

/** A virtual-time network of stacks connected by DevicePairs. */
export class TestNet {
  readonly clock: VirtualClock;
  readonly softnet = new Softnet();
  readonly pairs: DevicePair[] = [];
  readonly stacks: Stack[] = [];

  constructor(startMs = 0) {
    this.clock = new VirtualClock(startMs);
  }

  /** A new stack on this network's clock. */
  stack(opts: Omit<StackOptions, 'clock'> = {}): Stack {
    const s = new Stack({ ...opts, clock: this.clock });
    this.stacks.push(s);
    return s;
  }

  /** A DevicePair on this network's clock and softnet. */
  pair(opts: Omit<DevicePairOptions, 'clock' | 'softnet'> = {}): DevicePair {
    const p = DevicePair.create({ ...opts, clock: this.clock, softnet: this.softnet });
    this.pairs.push(p);
    return p;
  }

  /**
   * Connects `a` and `b` with a new DevicePair and configures both ends.
   * @returns the two interfaces and the pair
   */
  link(a: Stack, aCfg: AttachOptions, b: Stack, bCfg: AttachOptions, opts: Omit<DevicePairOptions, 'clock' | 'softnet'> = {}): { a: Interface; b: Interface; pair: DevicePair } {
    const pair = this.pair(opts);
    const ia = attachNetDevice(a, pair.a, aCfg);
    const ib = attachNetDevice(b, pair.b, bCfg);
    return { a: ia, b: ib, pair };
  }

  /**
   * Runs softirqs until idle, then advances virtual time by `ms` in `stepMs`
   * steps, running softirqs after each (bounded).
   */
  run(ms = 0, stepMs = 1): void {
    this.softnet.runUntilIdle();
    let t = 0;
    while (t < ms) {
      const s = Math.min(stepMs, ms - t);
      this.clock.advance(s);
      this.softnet.runUntilIdle();
      t += s;
    }
  }

  /** Closes every stack and destroys every pair (frees all buffers). */
  destroy(): void {
    for (const s of this.stacks) s.close();
    for (const p of this.pairs) p.destroy();
    this.softnet.runUntilIdle();
  }
}
