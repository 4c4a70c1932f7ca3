/**
 * A tiny router: host A ── DevicePair ── router ── DevicePair (MTU 1000) ── host B.
 * A pings B through the router, then sends a 3000-byte UDP datagram that the
 * router fragments and B reassembles. Everything runs on virtual time.
 *
 * Run: npx tsx --conditions=@netlayers/source packages/ipv4/examples/router.ts
 */
import { VirtualClock } from '@netlayers/clock';
import { DevicePair, Softnet } from '@netlayers/netdev-ring';
import { allocSkb } from '@netlayers/skbuff';
import { IcmpPacket, IcmpRepr, IpProtocol, MAX_HEADER, Stack, attachNetDevice, ipQueueXmit, ipv4, ipv4ToString } from '@netlayers/ipv4';

export function runRouterExample(log: (line: string) => void = console.log): { pingReplies: number; udpBytes: number } {
  const clock = new VirtualClock();
  const softnet = new Softnet();
  const left = DevicePair.create({ clock, softnet });
  const right = DevicePair.create({ clock, softnet, mtu: 1000 });

  const a = new Stack({ clock });
  const b = new Stack({ clock });
  const router = new Stack({ clock, forwarding: true });

  const aEth = attachNetDevice(a, left.a, { addr: ipv4('198.18.1.2'), prefixLen: 24 });
  attachNetDevice(router, left.b, { addr: ipv4('198.18.1.1'), prefixLen: 24 });
  attachNetDevice(router, right.a, { addr: ipv4('198.18.2.1'), prefixLen: 24 });
  const bEth = attachNetDevice(b, right.b, { addr: ipv4('198.18.2.2'), prefixLen: 24 });
  a.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.1.1'), iface: aEth });
  b.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.2.1'), iface: bEth });

  const run = (): void => {
    for (let i = 0; i < 100; i++) {
      softnet.runUntilIdle();
      clock.advance(1);
    }
  };

  // ping: an ICMP echo request sent with ipQueueXmit
  let pingReplies = 0;
  a.onEchoReply = (_skb, ident, seq, from) => {
    pingReplies++;
    log(`echo reply from ${ipv4ToString(from)} ident=${ident} seq=${seq}`);
  };
  const echo = IcmpRepr.echoRequest(0x4242, 1, new TextEncoder().encode('hello, router'));
  const skb = allocSkb(MAX_HEADER + echo.bufferLen());
  skb.reserve(MAX_HEADER);
  echo.emit(IcmpPacket.unchecked(skb.put(echo.bufferLen())));
  ipQueueXmit(a, skb, { daddr: ipv4('198.18.2.2'), protocol: IpProtocol.ICMP });
  run();

  // UDP through the smaller-MTU link: fragmented by the router, reassembled by B
  const server = b.udp.socket().bind(7);
  const client = a.udp.socket().bind();
  client.sendto(new Uint8Array(3000).fill(0x5a), ipv4('198.18.2.2'), 7, { df: false });
  run();
  const got = server.recv();
  log(`B received ${got?.data.length ?? 0} bytes from ${ipv4ToString(got?.saddr ?? 0)}:${got?.sport ?? 0}`);
  log(`router: ForwDatagrams=${router.ipMib.ForwDatagrams} FragOKs=${router.ipMib.FragOKs} FragCreates=${router.ipMib.FragCreates}; B: ReasmOKs=${b.ipMib.ReasmOKs}`);

  for (const s of [a, b, router]) s.close();
  left.destroy();
  right.destroy();
  softnet.runUntilIdle();
  return { pingReplies, udpBytes: got?.data.length ?? 0 };
}

if (import.meta.url === `file://${process.argv[1]}`) runRouterExample();
