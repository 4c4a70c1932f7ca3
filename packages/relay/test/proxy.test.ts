// Before-queue (proxy) acceptance: nothing is stored; the sender's final
// reply mirrors the next hop's (250, 550), and an unreachable next hop is a
// 451 the sender retries.
import { connect, createServer, sendMail, SmtpReplyError, type SmtpServer } from '@netlayers/smtp-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { HOST, makeMessage, sha256, startSink, stripFirstReceived, waitFor, type Sink } from './helpers.js';
import { freePort } from './ports.js';

let relay: Relay | undefined;
let sink: Sink | undefined;
let hop: SmtpServer | undefined;

afterEach(async () => {
  await relay?.close();
  await sink?.close();
  await hop?.close();
  relay = undefined;
  sink = undefined;
  hop = undefined;
});

/** A next hop that records, per message, when content arrived and whether it was accepted. */
async function streamingHop(onChunk: (n: number) => void) {
  const got: { bytes: number; accepted: boolean; error?: string }[] = [];
  const server = createServer({
    hostname: 'next.test',
    size: 100 << 20,
    async onData(m) {
      const rec: { bytes: number; accepted: boolean; error?: string } = { bytes: 0, accepted: false };
      got.push(rec);
      try {
        for await (const c of m) {
          rec.bytes += c.length;
          onChunk(rec.bytes);
        }
        rec.accepted = true;
      } catch (e) {
        rec.error = (e as { code?: string }).code ?? String(e);
        throw e;
      }
    },
  });
  const { port } = await server.listen(0, HOST);
  hop = server;
  return { got, port };
}

const enc = new TextEncoder();

const send = (port: number, body: Uint8Array | string) => sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body });

describe('accept: proxy', () => {
  it("answers with the next hop's verdict and stores nothing", async () => {
    sink = await startSink();
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${sink.port}`, accept: 'proxy', logger: false });
    const { port } = await relay.listen();
    const body = makeMessage(200_000, 11);
    await expect(send(port, body)).resolves.toMatchObject({ code: 250 });
    expect(sink.messages).toHaveLength(1); // delivered before the 250
    expect(sha256(stripFirstReceived(sink.messages[0]!.body))).toBe(sha256(body));
    sink.reply = { code: 550, enhanced: '5.7.1', message: 'content refused' };
    const err = await send(port, 'Subject: no\r\n\r\nx\r\n').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpReplyError);
    expect((err as SmtpReplyError).reply).toMatchObject({ code: 550, enhanced: '5.7.1' });
    expect(relay.stats().queued).toBe(0);
  });

  it('an unreachable next hop is 451 4.4.1', async () => {
    const dead = await freePort();
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${dead}`, accept: 'proxy', logger: false, connectTimeoutMs: 2000 });
    const { port } = await relay.listen();
    const err = await send(port, 'Subject: x\r\n\r\nx\r\n').catch((e: unknown) => e);
    expect((err as SmtpReplyError).reply).toMatchObject({ code: 451, enhanced: '4.4.1' });
  });

  it('streams the body: the next hop has content before the sender finished', async () => {
    let firstAtHop!: () => void;
    const seen = new Promise<void>((r) => (firstAtHop = r));
    const { got, port: hopPort } = await streamingHop((n) => n > 0 && firstAtHop());
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${hopPort}`, accept: 'proxy', logger: false });
    const { port } = await relay.listen();
    const head = enc.encode('Subject: streamed\r\n\r\n' + 'first part\r\n'.repeat(2000));
    const tail = enc.encode('second part\r\n'.repeat(2000));
    let streamedBeforeEnd = false;
    async function* body(): AsyncGenerator<Uint8Array> {
      yield head;
      // the rest only once the next hop has data (or 5 s: then the assertion below fails)
      streamedBeforeEnd = await Promise.race([seen.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      yield tail;
    }
    const c = await connect({ host: HOST, port, clientName: 'c.test' });
    const r = await c.send({ from: 'a@sender.test', to: ['b@example.org'] }, body());
    await c.quit();
    expect(r.reply.code).toBe(250);
    expect(streamedBeforeEnd).toBe(true);
    expect(got).toHaveLength(1);
    expect(got[0]!.accepted).toBe(true);
    expect(got[0]!.bytes).toBeGreaterThan(head.length + tail.length); // plus our Received: line
    expect(relay.stats().queued).toBe(0);
  });

  it('a sender over the size limit mid-stream gets 552; the next hop keeps nothing', async () => {
    const { got, port: hopPort } = await streamingHop(() => undefined);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${hopPort}`, accept: 'proxy', logger: false, maxSize: 200_000 });
    const { port } = await relay.listen();
    // an async body declares no SIZE, so the limit is found while streaming, not at MAIL FROM
    const big = makeMessage(1_000_000, 5);
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < big.length; i += 65536) yield big.subarray(i, i + 65536);
    }
    const c = await connect({ host: HOST, port, clientName: 'c.test' });
    const err = await c.send({ from: 'a@sender.test', to: ['b@example.org'] }, body()).catch((e: unknown) => e);
    c.destroy();
    expect((err as SmtpReplyError).reply).toMatchObject({ code: 552 });
    // streamed: the next hop had the transaction open and saw it end without the dot
    await waitFor(() => got.length === 1 && got[0]!.error !== undefined, 5000, 'the next hop to see the aborted transaction');
    expect(got[0]!.accepted).toBe(false);
    expect(got[0]!.bytes).toBeLessThan(1_000_000);
  });

  it('a mail loop is refused with 554 5.4.6 before anything reaches the next hop', async () => {
    const { got, port: hopPort } = await streamingHop(() => undefined);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${hopPort}`, accept: 'proxy', logger: false });
    const { port } = await relay.listen();
    const looped = 'Received: from a by b; Mon, 1 Jan 2026 00:00:00 +0000\r\n'.repeat(51) + 'Subject: loop\r\n\r\nbody\r\n';
    const err = await send(port, looped).catch((e: unknown) => e);
    expect((err as SmtpReplyError).reply).toMatchObject({ code: 554, enhanced: '5.4.6' });
    expect(got).toEqual([]);
  });
});
