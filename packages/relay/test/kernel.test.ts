// The relay on kernel sockets: copy forwarding, memory and spool acceptance,
// relay access control and loop detection, end to end on loopback with our
// own SMTP client as the sender and a capturing sink as the next hop.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendMail, SmtpReplyError } from '@netlayers/smtp-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { HOST, makeMessage, sha256, startSink, stripFirstReceived, type Sink } from './helpers.js';

let relay: Relay | undefined;
let sink: Sink | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await relay?.close();
  await sink?.close();
  relay = undefined;
  sink = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function spoolDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'nl-relay-'));
  dirs.push(d);
  return d;
}

async function relayTo(s: Sink, extra: Parameters<typeof createRelay>[0] extends infer O ? Partial<O> : never = {}) {
  relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${s.port}`, logger: false, hostname: 'relay.test', ...extra });
  return relay.listen();
}

describe('relay on kernel sockets', () => {
  for (const accept of ['memory', 'spool'] as const) {
    it(`forwards messages byte-exact apart from its Received: header (accept=${accept})`, async () => {
      sink = await startSink();
      const spool = accept === 'spool' ? spoolDir() : undefined;
      const { port } = await relayTo(sink, { accept, ...(spool !== undefined ? { spool } : {}) });
      const bodies = [10, 1000, 70_000, 300_000].map((n, i) => makeMessage(n, i + 1));
      for (const [i, body] of bodies.entries()) {
        const r = await sendMail({ host: HOST, port, envelope: { from: `s${i}@sender.test`, to: ['b@example.org'] }, body });
        expect(r.code).toBe(250);
        expect(r.lines.join(' ')).toMatch(/queued as [0-9A-F]+/);
      }
      await relay!.idle();
      expect(sink.messages).toHaveLength(bodies.length);
      for (const [i, body] of bodies.entries()) {
        const got = sink.messages.find((m) => m.from === `s${i}@sender.test`)!;
        expect(got.to).toEqual(['b@example.org']);
        expect(got.body.toString('latin1')).toMatch(/^Received: from localhost \(\[127\.0\.0\.1\]\)\r\n\tby relay\.test \(netlayers-relay\) with ESMTP id [0-9A-F]+\r\n\tfor <b@example\.org>;/);
        expect(sha256(stripFirstReceived(got.body))).toBe(sha256(body));
      }
      const st = relay!.stats();
      expect(st.received).toBe(bodies.length);
      expect(st.delivered).toBe(bodies.length);
      expect(st.queued).toBe(0);
      if (spool !== undefined) expect(readdirSync(join(spool, 'queue'))).toEqual([]);
    });
  }

  it('is not an open relay: 554 5.7.1 outside mynetworks and relay_domains', async () => {
    sink = await startSink();
    const { port } = await relayTo(sink, { accept: 'memory', mynetworks: ['198.18.0.0/15'], relayDomains: ['example.org', '.sub.example.net'] });
    const send = (to: string) => sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: [to] }, body: 'x\r\n' });
    await expect(send('b@elsewhere.test')).rejects.toMatchObject({ reply: { code: 554, enhanced: '5.7.1' } });
    await expect(send('b@example.org')).resolves.toMatchObject({ code: 250 });
    await expect(send('b@x.sub.example.net')).resolves.toMatchObject({ code: 250 });
    await relay!.idle();
    expect(sink.messages.map((m) => m.to[0])).toEqual(['b@example.org', 'b@x.sub.example.net']);
  });

  it('rejects a mail loop (more than hopCountLimit Received: headers) with 554 5.4.6', async () => {
    sink = await startSink();
    const { port } = await relayTo(sink, { accept: 'memory', hopCountLimit: 3 });
    const hops = (n: number) => 'Received: from x by y; Wed, 2 Dec 2026 00:00:00 +0000\r\n'.repeat(n) + 'Subject: loop\r\n\r\nbody\r\n';
    await expect(sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body: hops(3) })).resolves.toMatchObject({ code: 250 });
    const err = await sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body: hops(4) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpReplyError);
    expect((err as SmtpReplyError).reply).toMatchObject({ code: 554, enhanced: '5.4.6' });
    await relay!.idle();
    expect(sink.messages).toHaveLength(1);
  });

  it('refuses oversized messages with 552 while streaming', async () => {
    sink = await startSink();
    const { port } = await relayTo(sink, { accept: 'memory', maxSize: 50_000 });
    const err = await sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body: makeMessage(200_000, 9) }).catch((e: unknown) => e);
    expect((err as SmtpReplyError).reply?.code).toBe(552);
    expect(relay!.stats().received).toBe(0);
  });

  it('rejects contradictory options with typed errors', () => {
    expect(() => createRelay({ nextHop: '127.0.0.1:25', forward: 'zerocopy', logger: false })).toThrow(/zerocopy/);
    expect(() => createRelay({ nextHop: '127.0.0.1:25', accept: 'spool', logger: false })).toThrow(/spool directory/);
    expect(() => createRelay({ nextHop: 'nope', accept: 'memory', logger: false })).toThrow(/HOST:PORT/);
  });
});
