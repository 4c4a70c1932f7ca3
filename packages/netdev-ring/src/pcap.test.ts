import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '@netlayers/clock';
import { skbStats } from '@netlayers/skbuff';
import { PcapWriter } from './pcap-writer.js';
import { parsePcap, encodePcapHeader, LINKTYPE } from './pcap-format.js';
import { DevicePair } from './device-pair.js';
import { ETH_P } from './ether.js';
import { Softnet } from './napi.js';
import { buildTcpFrame, skbFromBytes } from './testing/frames.js';
import { isNetdevError } from './errors.js';

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const HAS_TCPDUMP = has('tcpdump');
const HAS_TSHARK = has('tshark');
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (!HAS_TCPDUMP || !HAS_TSHARK)) throw new Error('tcpdump and tshark required under CI=true');
const dir = mkdtempSync(join(tmpdir(), 'netdev-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSample(path: string, linkType: 'ethernet' | 'raw'): Uint8Array[] {
  const frames = [0, 1, 2].map((i) =>
    buildTcpFrame({ seq: 1000 + i * 10, payload: new TextEncoder().encode(`hello ${i}!`), flags: 0x18, raw: linkType === 'raw' }),
  );
  const w = new PcapWriter(path, { linkType });
  frames.forEach((f, i) => w.write(f, 1_700_000_000_000_000_000n + BigInt(i) * 1_500_000n));
  w.close();
  return frames;
}

describe('pcap format', () => {
  it('round-trips through parsePcap', () => {
    const p = join(dir, 'rt.pcap');
    const frames = writeSample(p, 'ethernet');
    const f = parsePcap(new Uint8Array(readFileSync(p)));
    expect(f.linkType).toBe(LINKTYPE.ethernet);
    expect(f.nanosecond).toBe(true);
    expect(f.records.map((r) => [...r.data])).toEqual(frames.map((x) => [...x]));
    expect(f.records[1]!.tsNs).toBe(1_700_000_000_001_500_000n);
  });

  it('truncates at snaplen keeping orig_len, and rejects garbage with a typed error', () => {
    const p = join(dir, 'snap.pcap');
    const w = new PcapWriter(p, { snaplen: 20, nanosecond: false });
    w.write(new Uint8Array(100), 5_000_000);
    w.close();
    expect(() => w.write(new Uint8Array(1))).toThrow(/closed/);
    const f = parsePcap(new Uint8Array(readFileSync(p)));
    expect(f.records[0]!.data.length).toBe(20);
    expect(f.records[0]!.origLen).toBe(100);
    expect(f.records[0]!.tsNs).toBe(5_000_000n);
    for (const bad of [new Uint8Array(10), new Uint8Array(24), Uint8Array.from([...encodePcapHeader(), 1, 2, 3])]) {
      let err: unknown;
      try {
        parsePcap(bad);
      } catch (e) {
        err = e;
      }
      expect(isNetdevError(err) && err.code).toBe('ERR_PCAP_FORMAT');
    }
  });

  it.skipIf(!HAS_TCPDUMP)('tcpdump -r reads an Ethernet capture', () => {
    const p = join(dir, 'eth.pcap');
    writeSample(p, 'ethernet');
    const out = execFileSync('tcpdump', ['-nn', '-r', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/198\.18\.0\.1\.40000 > 198\.18\.0\.2\.25: Flags \[P\.\], seq 1000:1008/);
  });

  it.skipIf(!HAS_TCPDUMP)('tcpdump -r reads a raw-IP capture', () => {
    const p = join(dir, 'raw.pcap');
    writeSample(p, 'raw');
    const out = execFileSync('tcpdump', ['-nn', '-r', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    expect(out.trim().split('\n')).toHaveLength(3);
    expect(out).toMatch(/IP 198\.18\.0\.1\.40000 > 198\.18\.0\.2\.25/);
  });

  it.skipIf(!HAS_TSHARK)('tshark -r decodes a capture of a DevicePair, checksums valid', () => {
    const p = join(dir, 'pair.pcap');
    const clock = new VirtualClock(1000);
    const softnet = new Softnet({ clock });
    const pair = DevicePair.create({ clock, softnet, impairment: { delayMs: 1 }, b: { mac: new Uint8Array([2, 0, 0, 0, 0, 2]) } });
    const w = new PcapWriter(p, { clock });
    w.attach(pair.b);
    pair.b.addPacketHandler(ETH_P.IP, (skb) => skb.free());
    for (let i = 0; i < 5; i++) {
      pair.a.queueXmit(skbFromBytes(buildTcpFrame({ seq: i * 4, payload: new Uint8Array([1, 2, 3, 4]) })));
      clock.advance(1);
      softnet.runUntilIdle();
    }
    // A 3000-byte TCP segment: GSO cuts it at the (non-TSO) device into CHECKSUM_PARTIAL
    // segments; the capture still shows correct checksums.
    pair.a.queueXmit(skbFromBytes(buildTcpFrame({ seq: 20, payload: new Uint8Array(3000).fill(0x61) })));
    clock.advance(1);
    softnet.runUntilIdle();
    w.close();
    pair.destroy();
    expect(skbStats().live).toBe(0);
    const out = execFileSync(
      'tshark',
      ['-r', p, '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'tcp.seq_raw', '-e', 'tcp.checksum.status', '-e', 'ip.checksum.status'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
    const rows = out.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(8);
    expect(rows.map((r) => Number(r[1]))).toEqual([0, 4, 8, 12, 16, 20, 1480, 2940]);
    expect(rows.map((r) => [r[2], r[3]])).toEqual(new Array(8).fill(['1', '1'])); // PROTO_CHECKSUM_E_GOOD = 1
    expect(Number(rows[0]![0])).toBeCloseTo(1.001, 6); // clock ms → capture seconds
  });
});
