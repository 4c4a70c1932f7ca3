// Before-queue (proxy) acceptance: nothing is stored; the sender's final
// reply mirrors the next hop's (250, 550), and an unreachable next hop is a
// 451 the sender retries.
import { sendMail, SmtpReplyError } from '@netlayers/smtp-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { HOST, makeMessage, sha256, startSink, stripFirstReceived, type Sink } from './helpers.js';
import { freePort } from './ports.js';

let relay: Relay | undefined;
let sink: Sink | undefined;

afterEach(async () => {
  await relay?.close();
  await sink?.close();
  relay = undefined;
  sink = undefined;
});

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
});
