// The server ends sessions only with 221, 421 at shutdown, or 421 on a
// timeout (RFC 5321 §3.8, §4.5.3.2): checked over real sockets with the
// conformance suite's raw probe, against createServer with short timers.
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeConnection } from '../../src/testing/conformance/probe.js';
import type { ProbeReply } from '../../src/testing/conformance/probe.js';
import { HOST, startOurServer } from './helpers.js';
import type { OurServer } from './helpers.js';

let server: OurServer | undefined;
const conns: ProbeConnection[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.destroy();
  await server?.close();
  server = undefined;
});

async function open(port: number): Promise<ProbeConnection> {
  const c = await ProbeConnection.connect(HOST, port, 2000);
  conns.push(c);
  return c;
}

async function next(c: ProbeConnection): Promise<ProbeReply> {
  const r = await c.read(10_000);
  if (r.kind !== 'reply') throw new Error(`expected a reply, got ${r.kind} [${c.tail()}]`);
  return r.reply;
}

describe('createServer session endings', () => {
  it('close() sends 421 4.3.2 to a session in the middle of DATA, closes it, and resolves', async () => {
    server = await startOurServer();
    const c = await open(server.port);
    expect((await next(c)).code).toBe(220);
    c.write('EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n');
    expect([(await next(c)).code, (await next(c)).code, (await next(c)).code, (await next(c)).code]).toEqual([250, 250, 250, 354]);
    c.write('half a message');
    await server.close();
    const r = await next(c);
    expect(r.code).toBe(421);
    expect(r.texts[0]).toMatch(/^4\.3\.2 /);
    expect(await c.waitClosed(10_000)).toBe(true);
    // The half-received message was not delivered.
    expect(server.messages).toHaveLength(0);
    server = undefined;
  });

  it('an idle session gets 421 4.4.2 when the command timer expires, then the connection closes', async () => {
    server = await startOurServer({ timeouts: { command: 300, data: 300 } });
    const c = await open(server.port);
    expect((await next(c)).code).toBe(220);
    c.write('EHLO x\r\n');
    expect((await next(c)).code).toBe(250);
    const r = await next(c);
    expect(r.code).toBe(421);
    expect(r.texts[0]).toMatch(/^4\.4\.2 /);
    expect(await c.waitClosed(10_000)).toBe(true);
  });

  it('a stalled DATA gets 421 when the data timer expires; nothing is delivered', async () => {
    server = await startOurServer({ timeouts: { command: 5000, data: 300 } });
    const c = await open(server.port);
    await next(c);
    c.write('EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n');
    for (let i = 0; i < 4; i++) await next(c);
    c.write('Subject: stalled\r\n\r\nno end');
    const r = await next(c);
    expect(r.code).toBe(421);
    expect(await c.waitClosed(10_000)).toBe(true);
    expect(server.messages).toHaveLength(0);
  });

  it('the client closing mid-transaction loses nothing that was accepted and leaks no session', async () => {
    server = await startOurServer();
    const c = await open(server.port);
    await next(c);
    c.write('EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n');
    for (let i = 0; i < 4; i++) await next(c);
    c.write('Subject: ok\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@b.example>\r\n');
    expect((await next(c)).code).toBe(250);
    expect((await next(c)).code).toBe(250);
    c.destroy();
    const deadline = Date.now() + 10_000;
    while (server.server.sessions.size > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    expect(server.server.sessions.size).toBe(0);
    expect(server.messages).toHaveLength(1);
    expect(server.counts.close).toBe(1);
  });
});
