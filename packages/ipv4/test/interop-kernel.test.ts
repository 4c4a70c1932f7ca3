// Our stack talking to the Linux kernel: a veth pair inside a network namespace
// this test creates; the kernel side (veth-k, 198.18.0.1) is a normal Linux
// interface, the other end (veth-u) is bridged frame by frame to our stack
// (198.18.0.2) through an AF_PACKET socket in a small Python helper. The
// kernel ARPs for us, pings us (also with 3000-byte fragmented echoes we must
// reassemble and answer with fragments it must reassemble), receives our UDP
// datagrams (checksums verified by Linux) and sends us fragmented UDP.
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { RealClock } from '@netlayers/clock';
import { allocSkb, skbStats } from '@netlayers/skbuff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtherType, EthernetFrame, Ipv4Packet, Ipv4Repr, Stack, ipv4, mac, type Interface, type LinkDevice } from '../src/index.js';

const run = promisify(execFile);
const IS_ROOT = process.getuid?.() === 0;
const ok = (cmd: string, args: string[]) => spawnSync(cmd, args, { timeout: 20_000 }).status === 0;
const CAN = IS_ROOT && existsSync('/usr/bin/python3') && ok('ip', ['-V']) && ok('/usr/bin/python3', ['-c', 'import socket; socket.AF_PACKET']);
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (!CAN)) throw new Error('root, ip and python3 with AF_PACKET required under CI=true');
const NS = `nl-ipv4-k${process.pid}`;
const fx = (f: string) => join(__dirname, 'fixtures', f);
const nsExec = (args: string[], timeout = 20_000) => run('ip', ['netns', 'exec', NS, ...args], { timeout, encoding: 'utf8' });

describe.skipIf(!CAN)('Linux kernel ↔ our stack over a veth pair in a namespace', () => {
  let bridge: ChildProcessWithoutNullStreams;
  let stack: Stack;
  let iface: Interface;
  const fromKernel: Uint8Array[] = [];
  const live0 = skbStats().live;

  beforeAll(async () => {
    spawnSync('ip', ['netns', 'del', NS]);
    const sh = (args: string[]) => {
      const r = spawnSync('ip', args, { timeout: 20_000, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    };
    sh(['netns', 'add', NS]);
    sh(['-n', NS, 'link', 'set', 'lo', 'up']);
    sh(['-n', NS, 'link', 'add', 'veth-k', 'type', 'veth', 'peer', 'name', 'veth-u']);
    spawnSync('ip', ['netns', 'exec', NS, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
    sh(['-n', NS, 'addr', 'add', '198.18.0.1/24', 'dev', 'veth-k']);
    sh(['-n', NS, 'link', 'set', 'veth-k', 'up']);
    sh(['-n', NS, 'link', 'set', 'veth-u', 'up']);
    bridge = spawn('ip', ['netns', 'exec', NS, '/usr/bin/python3', fx('bridge.py'), 'veth-u', '90']);
    const lines = createInterface({ input: bridge.stdout });
    let readyResolve: () => void = () => undefined;
    const ready = new Promise<void>((r) => (readyResolve = r));
    const dev: LinkDevice = {
      name: 'veth-u',
      mtu: 1500,
      macAddr: mac('02:00:00:00:00:02'),
      xmit(skb) {
        const bytes = new Uint8Array(skb.len);
        skb.copyBits(0, bytes, skb.len);
        skb.free();
        bridge.stdin.write(Buffer.from(bytes).toString('hex') + '\n');
        return true;
      },
    };
    stack = new Stack({ clock: new RealClock({ unref: true }) });
    lines.on('line', (line) => {
      if (line === 'ready') return readyResolve();
      const bytes = Uint8Array.from(Buffer.from(line, 'hex'));
      fromKernel.push(bytes);
      const skb = allocSkb(bytes.length + 64);
      skb.reserve(64);
      skb.putData(bytes);
      stack.netifReceive(iface, skb);
    });
    await ready;
    iface = stack.addInterface({ dev, addr: ipv4('198.18.0.2'), prefixLen: 24 });
  }, 60_000);

  afterAll(() => {
    stack?.close();
    bridge?.stdin.end();
    bridge?.kill();
    spawnSync('ip', ['netns', 'del', NS], { timeout: 20_000 });
    expect(skbStats().live).toBe(live0);
  });

  it('the kernel resolves us with ARP and gets echo replies', async () => {
    const { stdout } = await nsExec(['/usr/bin/python3', fx('ping.py'), '198.18.0.2', '56', '3']);
    expect(stdout.trim()).toBe('3');
    expect(stack.icmpMib.InEchos).toBe(3);
    expect(stack.arpMib.InRequests).toBeGreaterThanOrEqual(1);
    expect(stack.arpMib.OutReplies).toBeGreaterThanOrEqual(1);
  });

  it('3000-byte pings: we reassemble the kernel fragments, the kernel reassembles ours', async () => {
    const reasm0 = stack.ipMib.ReasmOKs;
    const { stdout } = await nsExec(['/usr/bin/python3', fx('ping.py'), '198.18.0.2', '3000', '2']);
    expect(stdout.trim()).toBe('2');
    expect(stack.ipMib.ReasmOKs - reasm0).toBe(2);
    expect(stack.ipMib.FragOKs).toBeGreaterThanOrEqual(2);
  });

  it('our UDP datagrams (plain and fragmented) are accepted by Linux', async () => {
    const recv = nsExec(['/usr/bin/python3', fx('udp_peer.py'), 'recv', '9000', '2'], 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const s = stack.udp.socket().bind(5555);
    for (const n of [100, 4000]) expect(s.sendto(new Uint8Array(n).map((_, i) => (i * 11) & 0xff), ipv4('198.18.0.1'), 9000)).toBe('OK');
    const { stdout } = await recv;
    expect(stdout.trim()).toBe('100:ok 4000:ok');
    s.close();
  });

  it('fragmented UDP from Linux is reassembled and checksum-verified by us', async () => {
    const sock = stack.udp.socket().bind(7000);
    const got = new Promise<Uint8Array>((resolve) => (sock.onReadable = () => resolve(sock.recv()!.data)));
    await nsExec(['/usr/bin/python3', fx('udp_peer.py'), 'send', '198.18.0.1', '198.18.0.2', '7000', '2500']);
    const data = await Promise.race([got, new Promise<Uint8Array>((_, rej) => setTimeout(() => rej(new Error('timeout')), 5000))]);
    expect(data).toEqual(new Uint8Array(2500).map((_, i) => i & 0xff));
    expect(stack.udpMib.InCsumErrors).toBe(0);
    sock.close();
  });

  it("every IPv4 frame from the kernel parses with a valid header checksum; the kernel's counters show no errors", async () => {
    let ip = 0;
    for (const f of fromKernel) {
      const eth = EthernetFrame.checked(f);
      if (eth.ethertype !== EtherType.IPV4) continue;
      Ipv4Repr.parse(Ipv4Packet.checked(eth.payload));
      ip++;
    }
    expect(ip).toBeGreaterThan(10);
    const { stdout } = await nsExec(['cat', '/proc/net/snmp']);
    const table = (proto: string): Record<string, number> => {
      const rows = stdout.split('\n').filter((l) => l.startsWith(`${proto}:`));
      const keys = rows[0]!.split(/\s+/).slice(1);
      const vals = rows[1]!.split(/\s+/).slice(1).map(Number);
      return Object.fromEntries(keys.map((k, i) => [k, vals[i]!]));
    };
    const kip = table('Ip');
    const kudp = table('Udp');
    const kicmp = table('Icmp');
    expect(kip['InHdrErrors']).toBe(0);
    expect(kip['ReasmOKs']).toBeGreaterThanOrEqual(3);
    expect(kudp['InCsumErrors']).toBe(0);
    expect(kicmp['InCsumErrors']).toBe(0);
    expect(stack.ipMib.InHdrErrors).toBe(0);
  });
});
