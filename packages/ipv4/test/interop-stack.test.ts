// Our *stack's* traffic on the wire, judged by a real decoder: a capture of a
// ping, ARP resolution and a fragmented (then refragmented) UDP datagram is
// decoded by tshark with its own IPv4 reassembly and checksum validation.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '@netlayers/netdev-ring';
import { allocSkb, skbStats } from '@netlayers/skbuff';
import { afterAll, expect, it } from 'vitest';
import { IcmpPacket, IcmpRepr, IpProtocol, MAX_HEADER, ipQueueXmit, ipv4 } from '../src/index.js';
import { TestNet } from '../src/testing/index.js';

const HAS_TSHARK = spawnSync('sh', ['-c', 'command -v tshark']).status === 0;
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (!HAS_TSHARK)) throw new Error('tshark required under CI=true');
const dir = mkdtempSync(join(tmpdir(), 'nl-ipv4-stack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FIELDS = ['frame.number', 'arp.opcode', 'ip.src', 'ip.dst', 'ip.ttl', 'ip.checksum.status', 'ip.flags.mf', 'ip.frag_offset', 'icmp.type', 'icmp.checksum.status', 'udp.length', 'udp.checksum.status', 'ip.reassembled.length'];

function decode(path: string): Array<Record<string, string>> {
  const out = execFileSync('tshark', ['-n', '-r', path, '-o', 'ip.defragment:TRUE', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-d', 'udp.port==7,data', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f', ...FIELDS.flatMap((f) => ['-e', f])], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trimEnd().split('\n').map((l) => Object.fromEntries(l.split('\t').map((v, i) => [FIELDS[i]!, v])));
}

it.skipIf(!HAS_TSHARK)('tshark validates our ARP, ICMP, fragments and reassembled UDP (checksums good, TTL decremented)', () => {
  const live0 = skbStats().live;
  const net = new TestNet();
  const h1 = net.stack();
  const h2 = net.stack();
  const r = net.stack({ forwarding: true });
  const l1 = net.link(h1, { addr: ipv4('198.18.1.2'), prefixLen: 24 }, r, { addr: ipv4('198.18.1.1'), prefixLen: 24 });
  const l2 = net.link(r, { addr: ipv4('198.18.2.1'), prefixLen: 24 }, h2, { addr: ipv4('198.18.2.2'), prefixLen: 24 }, { mtu: 1000 });
  h1.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.1.1'), iface: l1.a });
  h2.addRoute({ prefix: 0, prefixLen: 0, gateway: ipv4('198.18.2.1'), iface: l2.b });
  const leftPcap = new PcapWriter(join(dir, 'left.pcap'), { clock: net.clock });
  const rightPcap = new PcapWriter(join(dir, 'right.pcap'), { clock: net.clock });
  leftPcap.attach(l1.pair.a);
  rightPcap.attach(l2.pair.b);
  net.run();

  const echo = IcmpRepr.echoRequest(99, 1, new Uint8Array(100).fill(0x61));
  const skb = allocSkb(MAX_HEADER + echo.bufferLen());
  skb.reserve(MAX_HEADER);
  echo.emit(IcmpPacket.unchecked(skb.put(echo.bufferLen())));
  expect(ipQueueXmit(h1, skb, { daddr: ipv4('198.18.2.2'), protocol: IpProtocol.ICMP })).toBe('OK');
  net.run(50, 1);
  const server = h2.udp.socket().bind(7);
  h1.udp.socket().bind(4000).sendto(new Uint8Array(3000).map((_, i) => i & 0xff), ipv4('198.18.2.2'), 7, { df: false });
  net.run(50, 1);
  expect(server.recv()?.data.length).toBe(3000);
  leftPcap.close();
  rightPcap.close();
  net.destroy();
  expect(skbStats().live).toBe(live0);

  const left = decode(join(dir, 'left.pcap'));
  const right = decode(join(dir, 'right.pcap'));
  for (const f of [...left, ...right]) if (f['ip.src']) expect(f['ip.checksum.status'], JSON.stringify(f)).toBe('1');
  // ARP: request from h1 for the gateway, reply from the router.
  expect(left.filter((f) => f['arp.opcode'] === '1').length).toBeGreaterThanOrEqual(1);
  expect(left.filter((f) => f['arp.opcode'] === '2').length).toBeGreaterThanOrEqual(1);
  // ICMP echo + reply with good checksums; the reply crossed the router (TTL 63 on the left).
  const req = left.find((f) => f['icmp.type'] === '8')!;
  const rep = left.find((f) => f['icmp.type'] === '0')!;
  expect([req['icmp.checksum.status'], req['ip.ttl']]).toEqual(['1', '64']);
  expect([rep['icmp.checksum.status'], rep['ip.ttl']]).toEqual(['1', '63']);
  // Left: h1 fragmented 3008 UDP bytes into 1480 + 1480 + 48.
  const leftFrags = left.filter((f) => f['ip.src'] === '198.18.1.2' && (f['ip.flags.mf'] === '1' || (f['ip.frag_offset'] ?? '0') !== '0'));
  expect(leftFrags.map((f) => f['ip.frag_offset'])).toEqual(['0', '185', '370']); // tshark shows offsets in 8-byte units
  const leftUdp = left.find((f) => f['udp.length'] === '3008')!;
  expect(leftUdp['udp.checksum.status']).toBe('1');
  expect(leftUdp['ip.reassembled.length']).toBe('3008');
  // Right: the router refragmented for MTU 1000 (TTL 63); tshark reassembles a valid UDP datagram.
  const rightFrags = right.filter((f) => f['ip.src'] === '198.18.1.2' && f['ip.dst'] === '198.18.2.2' && !f['icmp.type']);
  expect(rightFrags.map((f) => f['ip.frag_offset'])).toEqual(['0', '122', '185', '307', '370']);
  expect(rightFrags.every((f) => f['ip.ttl'] === '63')).toBe(true);
  const rightUdp = right.find((f) => f['udp.length'] === '3008')!;
  expect(rightUdp['udp.checksum.status']).toBe('1');
});
