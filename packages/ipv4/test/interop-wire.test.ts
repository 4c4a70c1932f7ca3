// Interop of the wire formats with real decoders:
//  1. packets our emitters produce are decoded identically by tshark;
//  2. packets built by scapy (its own checksums) parse identically here;
//  3. packets from the Linux kernel (captured with tcpdump inside a network
//     namespace this test creates) parse, checksums included.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ArpPacket, ArpRepr, EtherType, EthernetFrame, EthernetRepr, IcmpPacket, IcmpRepr, IcmpType, IpProtocol, Ipv4Packet,
  Ipv4Repr, UdpPacket, UdpRepr, ipv4ToString, macToString, sum16, fold16,
} from '../src/index.js';
import { arbArpRepr, arbIcmpRepr, arbIpv4Repr, arbMacAddr } from '../src/testing/index.js';
import { readPcap, writePcap } from './pcap.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const HAS_TSHARK = has('tshark');
const HAS_SCAPY = existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import scapy.all'], { timeout: 30_000 }).status === 0;
const IS_ROOT = process.getuid?.() === 0;
const HAS_NETNS = IS_ROOT && HAS_SCAPY && has('ip') && has('tcpdump');
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (!HAS_TSHARK || !HAS_SCAPY || !HAS_NETNS)) throw new Error('tshark, scapy, root, ip and tcpdump required under CI=true');

const dir = mkdtempSync(join(tmpdir(), 'nl-ipv4-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Expected { kind: string; [k: string]: string | number | boolean }

function buildEthIp(ethSrc: Uint8Array, ethDst: Uint8Array, ip: Ipv4Repr, l4: Uint8Array): Uint8Array {
  const eth = new EthernetRepr(ethDst, ethSrc, EtherType.IPV4);
  const frame = new Uint8Array(14 + ip.bufferLen() + l4.length);
  eth.emit(EthernetFrame.unchecked(frame));
  ip.emit(Ipv4Packet.unchecked(frame.subarray(14)));
  frame.set(l4, 14 + ip.bufferLen());
  return frame;
}

describe('our emitters → tshark', () => {
  it.skipIf(!HAS_TSHARK)('tshark decodes every field and checksum as we emitted them', () => {
    const frames: Uint8Array[] = [];
    const expected: Expected[] = [];
    const samples = fc.sample(
      fc.tuple(fc.constantFrom('udp', 'icmp', 'arp'), arbMacAddr(), arbMacAddr(), arbIpv4Repr({ maxPayloadLen: 0 }), arbArpRepr(), arbIcmpRepr(),
        fc.integer({ min: 1024, max: 65535 }), fc.integer({ min: 1024, max: 65535 }), fc.uint8Array({ maxLength: 100 })),
      { numRuns: 60, seed: 42 },
    );
    for (const [kind, s, d, ipr, arp, icmp0, sp, dp, payload] of samples) {
      if (kind === 'arp') {
        const f = new Uint8Array(14 + 28);
        new EthernetRepr(d, s, EtherType.ARP).emit(EthernetFrame.unchecked(f));
        arp.emit(ArpPacket.unchecked(f.subarray(14)));
        frames.push(f);
        expected.push({ kind, 'arp.opcode': arp.operation, 'arp.src.hw_mac': macToString(arp.senderHardwareAddr), 'arp.src.proto_ipv4': ipv4ToString(arp.senderProtocolAddr), 'arp.dst.hw_mac': macToString(arp.targetHardwareAddr), 'arp.dst.proto_ipv4': ipv4ToString(arp.targetProtocolAddr) });
        continue;
      }
      // Whole datagrams only (no fragment fields) so tshark dissects L4.
      let l4: Uint8Array;
      let proto: number;
      const icmp = icmp0.type === IcmpType.ECHO || icmp0.type === IcmpType.ECHO_REPLY ? icmp0 : IcmpRepr.echoRequest(icmp0.rest >>> 16, icmp0.rest & 0xffff, icmp0.data);
      if (kind === 'udp') {
        proto = IpProtocol.UDP;
        const u = new UdpRepr(sp, dp, payload.length);
        l4 = new Uint8Array(u.bufferLen());
        u.emit(UdpPacket.unchecked(l4), ipr.src, ipr.dst, payload);
      } else {
        proto = IpProtocol.ICMP;
        l4 = new Uint8Array(icmp.bufferLen());
        icmp.emit(IcmpPacket.unchecked(l4));
      }
      const ip = new Ipv4Repr({ ...ipr, protocol: proto, payloadLen: l4.length, moreFrags: false, fragOffset: 0, ttl: Math.max(1, ipr.ttl) });
      const f = buildEthIp(s, d, ip, l4);
      frames.push(f);
      const e: Expected = {
        kind, 'eth.src': macToString(s), 'eth.dst': macToString(d), 'ip.src': ipv4ToString(ip.src), 'ip.dst': ipv4ToString(ip.dst), 'ip.ttl': ip.ttl,
        'ip.id': ip.ident, 'ip.len': ip.totalLen(), 'ip.hdr_len': ip.bufferLen(), 'ip.proto': proto, 'ip.dsfield': ip.tos, 'ip.flags.df': ip.dontFrag ? 1 : 0, 'ip.checksum.status': 1,
      };
      if (kind === 'udp') Object.assign(e, { 'udp.srcport': sp, 'udp.dstport': dp, 'udp.length': 8 + payload.length, 'udp.checksum.status': 1 });
      else Object.assign(e, { 'icmp.type': icmp.type, 'icmp.ident': icmp.ident, 'icmp.seq': icmp.seqNo, 'icmp.checksum.status': 1 });
      expected.push(e);
    }
    const path = join(dir, 'ours.pcap');
    writePcap(path, frames);
    const fields = [...new Set(expected.flatMap((e) => Object.keys(e).filter((k) => k !== 'kind')))];
    const out = execFileSync('tshark', [
      '-n', '-r', path, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.defragment:FALSE',
      '-d', 'udp.port==1-65535,data', '-T', 'fields', '-E', 'occurrence=f', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f]),
    ], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = out.trimEnd().split('\n');
    expect(lines.length).toBe(frames.length);
    lines.forEach((line, i) => {
      const cols = line.split('\t');
      const e = expected[i]!;
      for (const [k, v] of Object.entries(e)) {
        if (k === 'kind') continue;
        let got: string | number = cols[fields.indexOf(k)] ?? '';
        if (k === 'ip.dsfield' || k === 'ip.id') got = Number(got);
        else if (typeof v === 'number') got = Number(got);
        expect({ frame: i + 1, field: k, value: got }).toEqual({ frame: i + 1, field: k, value: v });
      }
    });
  });
});

interface ScapyDesc { kind: string; [k: string]: string | number | boolean }

describe('scapy-built packets → our parsers', () => {
  it.skipIf(!HAS_SCAPY)('parse identically, checksums verified', () => {
    const pcap = join(dir, 'scapy.pcap');
    const json = join(dir, 'scapy.json');
    execFileSync('/usr/bin/python3', [join(__dirname, 'fixtures/scapy_gen.py'), pcap, json, '7', '150'], { timeout: 90_000, stdio: 'ignore' });
    const { frames } = readPcap(readFileSync(pcap));
    const desc = JSON.parse(readFileSync(json, 'utf8')) as ScapyDesc[];
    expect(frames.length).toBe(desc.length);
    let checked = 0;
    frames.forEach((bytes, i) => {
      const d = desc[i]!;
      const eth = EthernetRepr.parse(EthernetFrame.checked(bytes));
      expect(macToString(eth.src)).toBe(d.eth_src);
      expect(macToString(eth.dst)).toBe(d.eth_dst);
      expect(eth.ethertype).toBe(d.eth_type);
      const l3 = bytes.subarray(14);
      if (d.kind === 'arp') {
        const a = ArpRepr.parse(ArpPacket.checked(l3));
        expect([a.operation, macToString(a.senderHardwareAddr), ipv4ToString(a.senderProtocolAddr), macToString(a.targetHardwareAddr), ipv4ToString(a.targetProtocolAddr)])
          .toEqual([d.op, d.hwsrc, d.psrc, d.hwdst, d.pdst]);
        checked++;
        return;
      }
      const p = Ipv4Packet.checked(l3);
      const ip = Ipv4Repr.parse(p);
      expect({ src: ipv4ToString(ip.src), dst: ipv4ToString(ip.dst), ttl: ip.ttl, id: ip.ident, tos: ip.tos, ihl: ip.bufferLen() / 4, len: ip.totalLen(), proto: ip.protocol, chksum: p.checksum, df: ip.dontFrag, mf: ip.moreFrags, frag: ip.fragOffset })
        .toEqual({ src: d.src, dst: d.dst, ttl: d.ttl, id: d.id, tos: d.tos, ihl: d.ihl, len: d.len, proto: d.proto, chksum: d.chksum, df: d.df, mf: d.mf, frag: d.frag });
      if (d.sport !== undefined) {
        const u = UdpPacket.checked(p.payload);
        const ur = UdpRepr.parse(u, ip.src, ip.dst);
        expect([ur.srcPort, ur.dstPort, u.length, u.checksum]).toEqual([d.sport, d.dport, d.ulen, d.uchksum]);
      }
      if (d.itype !== undefined) {
        const c = IcmpPacket.checked(p.payload);
        const cr = IcmpRepr.parse(c);
        expect([cr.type, cr.code, cr.ident, cr.seqNo, c.checksum]).toEqual([d.itype, d.icode, d.iid, d.iseq, d.ichksum]);
      }
      checked++;
    });
    expect(checked).toBe(frames.length);
  });
});

function sh(cmd: string, args: string[], timeoutMs = 20_000): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('Linux kernel packets (netns capture) → our parsers', () => {
  it.skipIf(!HAS_NETNS)('pings (incl. fragmented) and ICMP port unreachable parse with valid checksums', async () => {
    const ns = `nl-ipv4-${process.pid}`;
    const pcap = join(dir, 'kernel.pcap');
    try {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'mtu', '1280']);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      const dump = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', 'lo', '--immediate-mode', '-U', '-n', '-w', pcap, 'ip'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let ready = '';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5000);
        dump.stderr.on('data', (c: Buffer) => { ready += c.toString(); if (ready.includes('listening')) { clearTimeout(t); resolve(); } });
      });
      const ping = join(__dirname, 'fixtures/ping.py');
      expect(sh('ip', ['netns', 'exec', ns, '/usr/bin/python3', ping, '127.0.0.1', '56', '2']).trim()).toBe('2');
      expect(sh('ip', ['netns', 'exec', ns, '/usr/bin/python3', ping, '127.0.0.1', '3000', '2']).trim()).toBe('2');
      // UDP to a closed port → kernel ICMP port unreachable.
      sh('ip', ['netns', 'exec', ns, '/usr/bin/python3', '-c', "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.sendto(b'x'*20,('127.0.0.1',9))"]);
      await new Promise((r) => setTimeout(r, 500));
      dump.kill('SIGINT');
      await new Promise<void>((r) => { const t = setTimeout(r, 5000); dump.on('exit', () => { clearTimeout(t); r(); }); });
    } finally {
      spawnSync('ip', ['netns', 'del', ns], { timeout: 10_000 });
    }
    const { linkType, frames } = readPcap(readFileSync(pcap));
    expect(linkType).toBe(1);
    expect(frames.length).toBeGreaterThan(0);
    const stats = { echo: 0, reply: 0, frags: 0, unreach: 0 };
    const pending = new Map<string, Map<number, Uint8Array>>();
    for (const f of frames) {
      const eth = EthernetRepr.parse(EthernetFrame.checked(f));
      if (eth.ethertype !== EtherType.IPV4) continue;
      const p = Ipv4Packet.checked(f.subarray(14));
      const ip = Ipv4Repr.parse(p); // verifies the kernel's header checksum
      if (ip.protocol !== IpProtocol.ICMP) continue;
      let msg: Uint8Array | undefined = p.payload;
      if (p.isFragment) {
        stats.frags++;
        const key = `${ip.src}/${ip.dst}/${ip.ident}`;
        const m = pending.get(key) ?? new Map<number, Uint8Array>();
        pending.set(key, m);
        m.set(ip.fragOffset, p.payload.slice());
        msg = undefined;
        const ends = [...m.entries()].sort((a, b) => a[0] - b[0]);
        if (!ip.moreFrags || ends.length > 1) {
          let off = 0;
          const parts: Uint8Array[] = [];
          let complete = false;
          for (const [o, d] of ends) { if (o !== off) break; parts.push(d); off += d.length; }
          // Complete when the last piece (MF=0) has been seen and everything is contiguous.
          const last = ends[ends.length - 1]!;
          complete = off === last[0] + last[1].length && !ip.moreFrags;
          if (complete) { msg = Buffer.concat(parts); pending.delete(key); }
        }
      }
      if (!msg) continue;
      const c = IcmpPacket.checked(msg);
      const r = IcmpRepr.parse(c); // verifies the ICMP checksum over the whole message
      if (r.type === IcmpType.ECHO) stats.echo++;
      if (r.type === IcmpType.ECHO_REPLY) stats.reply++;
      if (r.type === IcmpType.DEST_UNREACH) {
        stats.unreach++;
        expect(r.code).toBe(3);
        const quoted = Ipv4Packet.unchecked(r.data);
        expect(quoted.protocol).toBe(IpProtocol.UDP);
        expect(fold16(sum16(r.data, 0, quoted.headerLen))).toBe(0xffff);
      }
    }
    expect(stats.echo).toBe(4);
    expect(stats.reply).toBe(4);
    expect(stats.frags).toBeGreaterThanOrEqual(12);
    expect(stats.unreach).toBe(1);
  });
});
