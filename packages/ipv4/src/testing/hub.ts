/**
 * A shared Ethernet segment for tests (a hub): every frame a port sends is
 * copied to every other port. Ports are {@link LinkDevice}s, so any number of
 * stacks can share one link (DevicePair is point to point). Delivery is
 * deferred until {@link TestHub.flush}, so nothing recurses.
 *
 * @module
 */
import { allocSkb } from '@netlayers/skbuff';
import type { LinkDevice } from '../device.js';
import type { Interface, InterfaceConfig, Stack } from '../stack.js';

interface Port {
  stack: Stack;
  iface: Interface | undefined;
}

/** A hub connecting many stacks on one Ethernet segment. */
export class TestHub {
  private readonly ports: Port[] = [];
  private readonly queue: Array<[number, Uint8Array]> = [];
  /** Frames carried (per sending port). */
  frames = 0;

  constructor(readonly mtu = 1500) {}

  /** Adds `stack` to the segment with an interface configured by `cfg`. */
  attach(stack: Stack, cfg: Omit<InterfaceConfig, 'dev'>): Interface {
    const idx = this.ports.length;
    const port: Port = { stack, iface: undefined };
    this.ports.push(port);
    const dev: LinkDevice = {
      name: `hub${idx}`,
      mtu: this.mtu,
      macAddr: new Uint8Array([0x02, 0, 0, 0, 0x10, idx + 1]),
      xmit: (skb) => {
        const bytes = new Uint8Array(skb.len);
        skb.copyBits(0, bytes, skb.len);
        skb.free();
        this.queue.push([idx, bytes]);
        return true;
      },
    };
    port.iface = stack.addInterface({ ...cfg, dev });
    return port.iface;
  }

  /** Delivers queued frames (and those they trigger), at most `max`. @returns frames delivered */
  flush(max = 100_000): number {
    let n = 0;
    while (this.queue.length && n < max) {
      const [from, bytes] = this.queue.shift()!;
      n++;
      this.frames++;
      this.ports.forEach((p, i) => {
        if (i === from || !p.iface) return;
        const skb = allocSkb(bytes.length + 64);
        skb.reserve(64);
        skb.putData(bytes);
        p.stack.netifReceive(p.iface, skb);
      });
    }
    return n;
  }
}
