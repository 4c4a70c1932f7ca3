/**
 * Interop: a capture of our TCP on the DevicePair (netdev-ring PcapWriter) is
 * decoded by tshark: every TCP checksum verifies, the handshake carries our MSS
 * and window-scale options, and tshark's stream analysis sees the whole payload.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcapWriter } from '@netlayers/netdev-ring';
import { createTestbed } from '../src/testing/index.js';

const TSHARK = ['/usr/bin/tshark', '/usr/local/bin/tshark'].find((p) => existsSync(p));
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (TSHARK === undefined)) throw new Error('tshark required under CI=true');

describe('tshark decodes our segments', () => {
  it.skipIf(TSHARK === undefined)('checksums good, SYN options, payload complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nl-tcp-'));
    const file = join(dir, 'tcp.pcap');
    try {
      const tb = createTestbed({ link: 'pair', checksumOffload: false, gso: false, gro: false });
      const [a, b] = tb.hosts;
      const pcap = new PcapWriter(file, { linkType: 'ethernet' });
      tb.pair!.a.addTap((skb, dir2) => {
        if (dir2 === 'tx') pcap.write(skb);
      });
      tb.pair!.b.addTap((skb, dir2) => {
        if (dir2 === 'tx') pcap.write(skb);
      });
      let got = 0;
      b.createServer((s) => s.on('data', (d: Buffer) => (got += d.length))).listen(8000);
      const c = a.connect(8000, b.address);
      c.end(Buffer.alloc(50_000, 0x61));
      await tb.runUntil(() => got === 50_000, { timeoutMs: 60_000 });
      await tb.sleep(200);
      pcap.close();
      tb.destroy();
      const out = execFileSync(
        TSHARK!,
        ['-r', file, '-Y', 'tcp', '-o', 'tcp.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=|', '-e', 'tcp.flags.syn', '-e', 'tcp.checksum.status', '-e', 'tcp.options.mss_val', '-e', 'tcp.options.wscale.shift', '-e', 'tcp.len'],
        { encoding: 'utf8' },
      );
      const rows = out.trim().split('\n').map((l) => l.split('|'));
      expect(rows.length).toBeGreaterThan(10);
      for (const r of rows) expect(r[1]).toBe('1'); // checksum.status 1 = Good (0 = Bad, 2 = Unverified)
      const syns = rows.filter((r) => r[0] === '1' || r[0] === 'True');
      expect(syns.length).toBe(2);
      for (const s of syns) {
        expect(s[2]).toBe('1460');
        expect(Number(s[3])).toBeGreaterThan(0);
      }
      expect(rows.reduce((n, r) => n + Number(r[4] || 0), 0)).toBe(50_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
