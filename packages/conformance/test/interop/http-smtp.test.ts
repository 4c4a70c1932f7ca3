/**
 * Interop 3, 5 and 6 across the TAP boundary:
 * - `curl` in the namespace fetches from Node's `http` server fed by our TCP;
 *   Node's `http` client over our TCP fetches from `python3 -m http.server`;
 * - `swaks` in the namespace sends to our SMTP server (smtp-protocol over our
 *   TCP); our SMTP client sends to Postfix's `smtp-sink` in the namespace;
 * - each test's pcap is decoded by tshark (HTTP and SMTP dissected).
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { attachClientSession, attachServerSession } from '@netlayers/smtp-protocol';
import type { TcpSocket } from '@netlayers/tcp';
import { createTapNetns, KERNEL_ADDR, OUR_ADDR, readPcapWithTool, skipUnlessPeers, waitFor } from '../../src/interop/index.js';

const skip = skipUnlessPeers(['curl', 'python3', 'swaks', 'smtp-sink', 'tshark']);
const dir = mkdtempSync(join(tmpdir(), 'nl-interop-app-'));
chmodSync(dir, 0o777);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(skip)('kernel interop over TAP: HTTP and SMTP', () => {
  it('curl → our HTTP server; our HTTP client → python http.server', async () => {
    const live0 = skbStats().live;
    const pcap = join(dir, 'http.pcap');
    const env = createTapNetns({ offloads: true, pcap });
    const body = Buffer.alloc(2_000_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 10)) & 0xff;
    try {
      const server = http.createServer((req, res) => {
        if (req.url === '/big') res.end(body);
        else res.end(`hello ${req.socket.remoteAddress}\n`);
      });
      const srv = env.host.net.createServer((s: TcpSocket) => server.emit('connection', s)).listen(80);
      const hello = await env.exec('curl', ['-sS', '--max-time', '20', `http://${OUR_ADDR}/`]);
      expect(hello).toBe(`hello ${KERNEL_ADDR}\n`);
      const hash = await env.exec('sh', ['-c', `curl -sS --max-time 30 http://${OUR_ADDR}/big | sha256sum`]);
      expect(hash.split(' ')[0]).toBe(sha(body));
      srv.close();
      server.close();

      // our client → the kernel-side python http.server
      const www = join(dir, 'www');
      rmSync(www, { recursive: true, force: true });
      mkdirSync(www, { mode: 0o777 });
      writeFileSync(join(www, 'file.bin'), body);
      const py = env.spawn('python3', ['-u', '-m', 'http.server', '8080', '--bind', KERNEL_ADDR, '--directory', www]);
      let pyOut = '';
      py.stdout?.on('data', (d: Buffer) => (pyOut += d.toString()));
      py.stderr?.on('data', (d: Buffer) => (pyOut += d.toString()));
      await waitFor(() => /Serving HTTP/.test(pyOut), 10_000, 'python http.server');
      const got = await new Promise<{ status: number; data: Buffer }>((resolve, reject) => {
        const req = http.request(
          {
            host: KERNEL_ADDR,
            port: 8080,
            path: '/file.bin',
            createConnection: () => env.host.net.connect({ port: 8080, host: KERNEL_ADDR }),
          } as http.RequestOptions,
          (res) => {
            const parts: Buffer[] = [];
            res.on('data', (d: Buffer) => parts.push(d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(parts) }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.setTimeout(30_000, () => req.destroy(new Error('http timeout')));
        req.end();
      });
      expect(got.status).toBe(200);
      expect(sha(got.data)).toBe(sha(body));
    } finally {
      env.destroy();
    }
    expect(skbStats().live).toBe(live0);
    expect(readPcapWithTool(pcap, 'http.request.method == "GET"').length).toBe(3);
    expect(readPcapWithTool(pcap, 'http.response.code == 200').length).toBe(3);
  });

  it('swaks → our SMTP server; our SMTP client → smtp-sink', async () => {
    const live0 = skbStats().live;
    const pcap = join(dir, 'smtp.pcap');
    const env = createTapNetns({ offloads: false, pcap });
    try {
      const received: Array<{ from: string; to: string[]; body: string }> = [];
      const srv = env.host.net
        .createServer((s: TcpSocket) => {
          attachServerSession(s, {
            timers: env.host.clock,
            hostname: 'mx.netlayers.test',
            hooks: {
              async onData(m) {
                const parts: Buffer[] = [];
                for await (const c of m) parts.push(Buffer.from(c));
                received.push({ from: m.envelope.from, to: m.envelope.to.map((r) => r.address), body: Buffer.concat(parts).toString('latin1') });
              },
            },
          });
        })
        .listen(25);
      const msg = join(dir, 'msg.eml');
      writeFileSync(msg, `Subject: across the TAP\r\n\r\n${'line of text\r\n'.repeat(2000)}`);
      const out = await env.exec('swaks', ['--server', `${OUR_ADDR}:25`, '--from', 'alice@kernel.test', '--to', 'bob@netlayers.test', '--pipeline', '--data', `@${msg}`, '--timeout', '20'], { timeoutMs: 30_000 });
      expect(out).toMatch(/<-  250 2\.6\.0 OK: message accepted/);
      expect(out).toMatch(/PIPELINING/);
      await waitFor(() => received.length === 1, 5000, 'the message in our server');
      expect(received[0]!.from).toBe('alice@kernel.test');
      expect(received[0]!.to).toEqual(['bob@netlayers.test']);
      expect(received[0]!.body).toContain('Subject: across the TAP');
      expect(received[0]!.body.split('line of text').length - 1).toBe(2000);
      srv.close();

      // our client → smtp-sink (dumps every transaction to one file)
      const dump = join(dir, 'sink.dump');
      writeFileSync(dump, '');
      chmodSync(dump, 0o666);
      const sink = env.spawn('smtp-sink', ['-u', 'nobody', '-D', dump, `${KERNEL_ADDR}:25`, '50']);
      let sinkErr = '';
      sink.stderr?.on('data', (d: Buffer) => (sinkErr += d.toString()));
      const c = await (async () => {
        for (let i = 0; i < 50; i++) {
          const s = env.host.net.connect({ port: 25, host: KERNEL_ADDR });
          const ok = await new Promise<boolean>((resolve) => {
            s.once('connect', () => resolve(true));
            s.once('error', () => resolve(false));
          });
          if (ok) return s;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`smtp-sink did not listen: ${sinkErr}`);
      })();
      const session = attachClientSession(c, { timers: env.host.clock, clientName: 'client.netlayers.test' });
      await session.greet();
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await session.send({ from: 'carol@netlayers.test', to: ['dave@kernel.test'] }, Buffer.from(`Subject: m${i}\r\n\r\nbody ${i}\r\n`));
        codes.push(r.reply.code);
      }
      await session.quit();
      expect(codes).toEqual([250, 250, 250]);
      await waitFor(() => (readFileSync(dump, 'latin1').match(/Subject: m\d/g) ?? []).length === 3, 5000, 'three messages in the smtp-sink dump');
    } finally {
      env.destroy();
    }
    expect(skbStats().live).toBe(live0);
    const smtp = readPcapWithTool(pcap, 'smtp');
    expect(smtp.filter((l) => /EHLO/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(smtp.filter((l) => /\b250\b/.test(l)).length).toBeGreaterThanOrEqual(6);
  });
});
