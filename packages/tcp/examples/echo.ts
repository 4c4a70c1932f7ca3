// Runnable README example: npx tsx --conditions=@netlayers/source examples/echo.ts
import { createTestbed } from '@netlayers/tcp/testing';

// Two hosts (198.18.0.1, 198.18.0.2): TCP over IPv4 over a veth-like DevicePair
// that loses 10 % of the frames, on a virtual clock.
const tb = createTestbed({ link: 'pair', impairment: { loss: 0.1, delayMs: 5, seed: 42 } });
const [a, b] = tb.hosts;

b.createServer((sock) => sock.pipe(sock)).listen(7); // echo server on our stack

const c = a.connect(7, b.address);
let echoed = '';
c.setEncoding('utf8');
c.on('data', (d: string) => (echoed += d));
c.end('hello over a lossy link');

await tb.runUntil(() => c.readableEnded, { timeoutMs: 60_000 });
console.log(echoed, `(${tb.clock.now().toFixed(0)} ms of virtual time)`);
tb.destroy();
