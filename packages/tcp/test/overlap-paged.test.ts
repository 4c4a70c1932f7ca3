/**
 * Segments whose payload lives in page frags (reassembled IP datagrams, GRO
 * merges) and that partly overlap data already received: the overlap is trimmed
 * with `mayPull` + `pull` (Linux `pskb_pull`), and the new bytes are delivered —
 * not dropped for want of a linear part, whether the segment arrives in order or
 * waits in the out-of-order queue.
 */
import { expect, it } from 'vitest';
import { VirtualClock } from '@netlayers/clock';
import { allocSkb, IpSummed, PagePool, skbStats, type SkBuff } from '@netlayers/skbuff';
import { DirectLink } from '../src/link.js';
import { TcpStack } from '../src/stack.js';
import { inetAccept, inetBind, inetConnect, inetListen, tcpClose, tcpRecvmsg } from '../src/socket.js';
import { TcpFlags, TcpPacket, TcpRepr } from '../src/wire/tcp.js';

const A = 0x0a000001;
const B = 0x0a000002;
const pages = new PagePool({ pageSize: 4096 });

/** A segment with the TCP header linear and the payload in one page frag. */
function pagedSegment(r: Partial<TcpRepr>, payload: Uint8Array, from: number, to: number): SkBuff {
  const repr = new TcpRepr({ ...r, payloadLen: payload.length });
  const hl = repr.headerLen();
  const skb = allocSkb(128 + hl);
  skb.reserve(128);
  skb.putData(new Uint8Array(hl));
  repr.emit(TcpPacket.unchecked(skb.buf, skb.data, hl), from, to);
  const page = pages.alloc();
  page.bytes.set(payload, 0);
  skb.addFrag(page, 0, payload.length);
  skb.ipSummed = IpSummed.UNNECESSARY; // as a device that verified it would say
  return skb;
}

function setup() {
  const clock = new VirtualClock(0);
  const link = new DirectLink({ clock, impairment: { delayMs: 1 } });
  let a!: TcpStack;
  let b!: TcpStack;
  a = new TcpStack({ clock, net: link.attach(A, (s, sa, da) => a.tcpV4Rcv(s, sa, da)), seed: 3 });
  b = new TcpStack({ clock, net: link.attach(B, (s, sa, da) => b.tcpV4Rcv(s, sa, da)), seed: 4 });
  const l = b.newSock();
  inetBind(l, 0, 80);
  inetListen(l, 4);
  const c = a.newSock();
  inetConnect(c, B, 80);
  clock.advance(20);
  const s = inetAccept(l);
  return { clock, a, l, c, s };
}

it('in order: a paged segment overlapping received data delivers only its new bytes', () => {
  const live0 = skbStats().live;
  const env = setup();
  const { c, s } = env;
  const base = { srcPort: s.lport, dstPort: c.lport, ack: c.sndNxt, flags: TcpFlags.ACK | TcpFlags.PSH, window: 1000 };
  const start = c.rcvNxt;
  env.a.tcpV4Rcv(pagedSegment({ ...base, seq: start }, Uint8Array.of(1, 2, 3, 4), B, A), B, A);
  // retransmission covering bytes 3..4 again plus 5..8 new, payload all in a frag
  env.a.tcpV4Rcv(pagedSegment({ ...base, seq: (start + 2) >>> 0 }, Uint8Array.of(3, 4, 5, 6, 7, 8), B, A), B, A);
  const buf = new Uint8Array(32);
  const n = tcpRecvmsg(c, buf);
  expect([...buf.subarray(0, n)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  expect(c.rcvNxt).toBe((start + 8) >>> 0);
  tcpClose(c);
  tcpClose(s);
  tcpClose(env.l);
  env.clock.runAll();
  expect(skbStats().live).toBe(live0);
  expect(pages.stats().live).toBe(0);
});

it('out of order: a queued paged segment partly covered by a later in-order one is trimmed and delivered', () => {
  const live0 = skbStats().live;
  const env = setup();
  const { c, s } = env;
  const base = { srcPort: s.lport, dstPort: c.lport, ack: c.sndNxt, flags: TcpFlags.ACK, window: 1000 };
  const start = c.rcvNxt;
  // [start+2, start+6) arrives first and waits in the out-of-order queue
  env.a.tcpV4Rcv(pagedSegment({ ...base, seq: (start + 2) >>> 0 }, Uint8Array.of(3, 4, 5, 6), B, A), B, A);
  expect(() => tcpRecvmsg(c, new Uint8Array(8))).toThrowError(expect.objectContaining({ code: 'EAGAIN' }));
  // then [start, start+4) fills the hole and overlaps the queued segment by 2
  env.a.tcpV4Rcv(pagedSegment({ ...base, seq: start }, Uint8Array.of(1, 2, 3, 4), B, A), B, A);
  const buf = new Uint8Array(32);
  let got: number[] = [];
  for (let i = 0; i < 3 && got.length < 6; i++) {
    const n = tcpRecvmsg(c, buf);
    if (n > 0) got = got.concat([...buf.subarray(0, n)]);
  }
  expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  expect(c.rcvNxt).toBe((start + 6) >>> 0);
  tcpClose(c);
  tcpClose(s);
  tcpClose(env.l);
  env.clock.runAll();
  expect(skbStats().live).toBe(live0);
  expect(pages.stats().live).toBe(0);
});
