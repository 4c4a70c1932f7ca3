import { VirtualClock } from '@netlayers/clock';
import { allocSkb, skbStats, type SkBuff } from '@netlayers/skbuff';
import { expect, it } from 'vitest';
import { MAX_HEADER, Stack, ipDefrag, ipFragment, ipRouteOutput, ipv4, Ipv4Packet, Ipv4Repr, type DstEntry } from './index.js';

function datagram(payload: Uint8Array, ident: number): SkBuff {
  const r = new Ipv4Repr({ src: ipv4('198.18.0.1'), dst: ipv4('198.18.0.2'), protocol: 17, payloadLen: payload.length, ident });
  const skb = allocSkb(MAX_HEADER + r.totalLen());
  skb.reserve(MAX_HEADER);
  const o = skb.putOff(r.totalLen());
  r.emit(Ipv4Packet.unchecked(skb.buf.subarray(o, o + 20)));
  skb.buf.set(payload, o + 20);
  skb.resetNetworkHeader();
  return skb;
}

it('ipDefrag(stack, skb) reassembles on the stack\'s own bounded state, in any arrival order', () => {
  const live0 = skbStats().live;
  const stack = new Stack({ clock: new VirtualClock() });
  stack.addInterface({ dev: { name: 'n0', mtu: 1500, macAddr: new Uint8Array(6), linkType: 'raw', xmit: (s) => (s.free(), true) }, addr: ipv4('198.18.0.1'), prefixLen: 24 });
  const dst = ipRouteOutput(stack, ipv4('198.18.0.2')) as DstEntry;
  const payload = Uint8Array.from({ length: 4000 }, (_, i) => (i * 7) & 0xff);
  const frags: SkBuff[] = [];
  expect(ipFragment(stack, datagram(payload, 0x1234), dst, (f) => (frags.push(f), 'OK'), 576)).toBe('OK');
  expect(frags.length).toBeGreaterThan(2);
  frags.reverse();
  const results = frags.map((f) => ipDefrag(stack, f));
  expect(results.slice(0, -1).every((r) => r === null)).toBe(true);
  const whole = results.at(-1)!;
  expect(whole).not.toBeNull();
  const got = new Uint8Array(whole.len - 20);
  whole.copyBits(20, got, got.length);
  expect(got).toEqual(payload);
  expect(stack.ipMib.ReasmOKs).toBe(1);
  whole.free();
  stack.close();
  expect(skbStats().live).toBe(live0);
});
