/**
 * Node's own `http` module over our stack: an `http.Server` fed by our
 * `createServer` ('connection' events), and `http.request` with
 * `createConnection` returning our Duplex — over an impaired DevicePair with
 * virtual time.
 */
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { createTestbed } from '../src/testing/index.js';

describe("Node's http over our TCP", () => {
  for (const link of ['pair', 'loopback'] as const) {
    it(`GET and POST with keep-alive over ${link}`, async () => {
      const live0 = skbStats().live;
      const tb = createTestbed({ link, ...(link === 'pair' ? { impairment: { loss: 0.05, delayMs: 2, seed: 3 } } : {}) });
      const [a, b] = tb.hosts;
      const httpServer = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          res.setHeader('content-type', 'text/plain');
          res.end(`${req.method} ${req.url} ${body.length} ${req.socket.remoteAddress}`);
        });
      });
      const srv = b.createServer((s) => httpServer.emit('connection', s)).listen(8080);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      (agent as unknown as { createConnection: unknown }).createConnection = (opts: { port: number; host: string }) =>
        a.connect({ port: opts.port, host: opts.host });
      const results: string[] = [];
      const request = (method: string, path: string, body?: Buffer): Promise<string> =>
        new Promise((resolve, reject) => {
          const req = http.request({ host: b.address, port: 8080, method, path, agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end(body);
        });
      const big = Buffer.alloc(300_000, 7);
      // http.request({ createConnection }) without an agent: Node's documented hook
      const direct = (): Promise<string> =>
        new Promise((resolve, reject) => {
          const req = http.request(
            { host: b.address, port: 8080, path: '/direct', createConnection: (o: { port?: number | null; host?: string | null }) => a.connect({ port: o.port ?? 8080, host: o.host ?? b.address }) } as http.RequestOptions,
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (d: string) => (body += d));
              res.on('end', () => resolve(`${res.statusCode} ${body}`));
            },
          );
          req.on('error', reject);
          req.end();
        });
      const p = (async () => {
        results.push(await request('GET', '/hello'));
        results.push(await request('POST', '/upload', big));
        results.push(await request('GET', '/again'));
        results.push(await direct());
      })();
      let done = false;
      let failure: unknown;
      p.then(() => (done = true), (e) => ((failure = e), (done = true)));
      await tb.runUntil(() => done, { timeoutMs: 600_000 });
      if (failure !== undefined) throw failure;
      expect(results).toEqual([
        `200 GET /hello 0 ${a.address}`,
        `200 POST /upload 300000 ${a.address}`,
        `200 GET /again 0 ${a.address}`,
        `200 GET /direct 0 ${a.address}`,
      ]);
      // one keep-alive connection carried the three agent requests, one more for the direct one
      expect(b.tcp.mib.passiveOpens).toBe(2);
      agent.destroy();
      srv.close();
      httpServer.close();
      await tb.runUntil(() => a.tcp.socketCount === 0 && b.tcp.socketCount === 0, { timeoutMs: 600_000 });
      tb.destroy();
      expect(skbStats().live).toBe(live0);
    });
  }
});
