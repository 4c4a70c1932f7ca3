/**
 * The README example, run against the kernel: our stack on a TAP in a fresh
 * namespace serves TCP echo, and fetches `/` from `python3 -m http.server` on
 * the kernel side with a plain HTTP/1.0 request.
 */
import { describe, expect, it } from 'vitest';
import { skbStats } from '@netlayers/skbuff';
import { createTapNetns, skipUnlessPeers, waitFor } from './testing/index.js';

describe.skipIf(skipUnlessPeers(['python3']))('README example', () => {
  it('echo server on our stack, HTTP/1.0 client to the kernel side', async () => {
    const live0 = skbStats().live;
    const env = createTapNetns({ offloads: true });
    try {
      const py = env.spawn('python3', ['-u', '-m', 'http.server', '8000', '--bind', '198.18.0.1', '--directory', '/']);
      let log = '';
      py.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      py.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      await waitFor(() => /Serving HTTP/.test(log), 10_000, 'http.server');
      // --- README ---
      const host = env.host;
      host.net.createServer((s) => s.pipe(s)).listen(7); // TCP echo on our stack
      const c = host.net.connect({ port: 8000, host: '198.18.0.1' });
      let reply = '';
      c.on('data', (d: Buffer) => (reply += d.toString('latin1')));
      let ended = false;
      c.on('end', () => (ended = true));
      c.end('GET / HTTP/1.0\r\n\r\n');
      // --- end ---
      await waitFor(() => ended, 10_000, 'the HTTP reply');
      expect(reply).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
      const echo = await env.exec('python3', ['-c', `import socket\ns=socket.create_connection(("${host.address}",7),timeout=5)\ns.sendall(b"ping over tap")\nprint(s.recv(100).decode())`]);
      expect(echo.trim()).toBe('ping over tap');
    } finally {
      env.destroy();
    }
    expect(skbStats().live).toBe(live0);
  });
});
