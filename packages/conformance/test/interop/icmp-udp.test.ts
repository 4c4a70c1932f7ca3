/**
 * Interop 1, 4 and 6: ARP + ICMP echo both ways (the kernel's ping → our
 * stack, our icmpSendEcho → the kernel), fragmented echo (`ping -s 4000`,
 * MTU 1500: fragmented and reassembled by both stacks), UDP datagrams of
 * 4000 bytes both ways, and a pcap of each test decoded by tshark/tcpdump.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { icmpSendEcho } from '@netlayers/ipv4';
import { skbStats } from '@netlayers/skbuff';
import { createTapNetns, KERNEL_ADDR, OUR_ADDR, readPcapWithTool, skipUnlessPeers, waitFor } from '../../src/interop/index.js';

const skip = skipUnlessPeers(['ping', 'python3', 'tshark']);
const dir = mkdtempSync(join(tmpdir(), 'nl-interop-icmp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KERNEL = 0xc6120001;

describe.skipIf(skip)('kernel interop over TAP: ICMP and UDP', () => {
  for (const offloads of [false, true]) {
    it(`ping both ways, plain and fragmented (offloads ${offloads ? 'on' : 'off'})`, async () => {
      const live0 = skbStats().live;
      const pcap = join(dir, `icmp-${offloads}.pcap`);
      const env = createTapNetns({ offloads, pcap });
      try {
        // kernel → us: ARP for 198.18.0.2, then echo; 4000 bytes → 3 fragments each way
        const out = await env.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', OUR_ADDR]);
        expect(out).toMatch(/3 packets transmitted, 3 received/);
        const big = await env.exec('ping', ['-c', '3', '-i', '0.2', '-W', '2', '-s', '4000', '-M', 'want', OUR_ADDR]);
        expect(big).toMatch(/3 packets transmitted, 3 received/);
        expect(big).toMatch(/4008 bytes from 198\.18\.0\.2/);
        expect(env.host.ip.ipMib.ReasmOKs).toBeGreaterThanOrEqual(3);
        expect(env.host.ip.ipMib.FragCreates).toBeGreaterThanOrEqual(9);
        // us → kernel
        const replies: Array<[number, number]> = [];
        env.host.ip.onEchoReply = (skb, _id, seq) => replies.push([seq, skb.len]);
        for (let s = 0; s < 3; s++) icmpSendEcho(env.host.ip, KERNEL, 0x4e4c, s, new Uint8Array(56).fill(s));
        for (let s = 3; s < 6; s++) icmpSendEcho(env.host.ip, KERNEL, 0x4e4c, s, new Uint8Array(4000).fill(s));
        await waitFor(() => replies.length === 6, 5000, 'six echo replies from the kernel');
        expect(replies.map(([s]) => s).sort()).toEqual([0, 1, 2, 3, 4, 5]);
        expect(replies.filter(([, len]) => len === 4008)).toHaveLength(3);
      } finally {
        env.destroy();
      }
      expect(skbStats().live).toBe(live0);
      const lines = readPcapWithTool(pcap, 'icmp');
      expect(lines.filter((l) => /Echo \(ping\) request/.test(l)).length).toBeGreaterThanOrEqual(12);
      expect(lines.filter((l) => /Echo \(ping\) reply/.test(l)).length).toBeGreaterThanOrEqual(12);
      expect(readPcapWithTool(pcap, 'arp').length).toBeGreaterThanOrEqual(2);
      expect(readPcapWithTool(pcap, 'ip.flags.mf == 1').length).toBeGreaterThanOrEqual(12);
    });
  }

  it('UDP 4000-byte datagrams both ways (fragmented at MTU 1500)', async () => {
    const live0 = skbStats().live;
    const pcap = join(dir, 'udp.pcap');
    const env = createTapNetns({ pcap });
    try {
      // kernel → us: our echo socket on 9000 answers; the python client checks the echo
      const echo = env.host.ip.udp.socket().bind(9000);
      echo.onReadable = () => {
        for (let d = echo.recv(); d !== undefined; d = echo.recv()) echo.sendto(d.data, d.saddr, d.sport);
      };
      const client = await env.exec('python3', [
        '-c',
        `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(5)\nok=0\nfor i in range(3):\n  m=bytes([i])*4000;s.sendto(m,("${OUR_ADDR}",9000));d,_=s.recvfrom(65535);ok+=d==m\nprint("ok",ok)`,
      ]);
      expect(client.trim()).toBe('ok 3');
      echo.close();
      // us → kernel: a python echo server in the namespace
      const srv = env.spawn('python3', [
        '-u',
        '-c',
        `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("0.0.0.0",9001));s.settimeout(10);print("ready")\nfor i in range(3):\n  d,a=s.recvfrom(65535);s.sendto(d,a)`,
      ]);
      await new Promise<void>((resolve) => srv.stdout?.once('data', () => resolve()));
      const sock = env.host.ip.udp.socket().bind(0);
      const got: Uint8Array[] = [];
      sock.onReadable = () => {
        for (let d = sock.recv(); d !== undefined; d = sock.recv()) got.push(d.data);
      };
      for (let i = 0; i < 3; i++) sock.sendto(new Uint8Array(4000).fill(10 + i), KERNEL, 9001);
      await waitFor(() => got.length === 3, 5000, 'three UDP echoes from the kernel');
      expect(got.map((d) => [d.length, d[0], d[3999]])).toEqual([
        [4000, 10, 10],
        [4000, 11, 11],
        [4000, 12, 12],
      ]);
      sock.close();
    } finally {
      env.destroy();
    }
    expect(skbStats().live).toBe(live0);
    expect(readPcapWithTool(pcap, 'udp && !ip.flags.mf && ip.frag_offset == 0').length).toBe(0); // every datagram was fragmented
    expect(readPcapWithTool(pcap, 'udp').length).toBeGreaterThanOrEqual(12);
  });
});
