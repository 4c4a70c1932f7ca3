// A 5xx from the next hop bounces: exactly one RFC 3464 DSN goes back to the
// reverse path (from the null sender), and the DSN itself is never bounced.
import { sendMail } from '@netlayers/smtp-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { HOST, startSink, waitFor, type Sink } from './helpers.js';

let relay: Relay | undefined;
let sink: Sink | undefined;

afterEach(async () => {
  await relay?.close();
  await sink?.close();
  relay = undefined;
  sink = undefined;
});

describe('bounces', () => {
  it('a 550 from the next hop yields exactly one DSN to the sender', async () => {
    sink = await startSink();
    sink.replyFor = (from) => (from === 'alice@sender.test' ? { code: 550, enhanced: '5.1.1', message: 'no such user here' } : undefined);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${sink.port}`, accept: 'memory', logger: false, hostname: 'relay.test', mynetworks: ['127.0.0.0/8'] });
    const { port } = await relay.listen();
    const r = await sendMail({ host: HOST, port, envelope: { from: 'alice@sender.test', to: ['nobody@example.org'] }, body: 'Subject: doomed\r\nMessage-ID: <d1@sender.test>\r\n\r\nbody\r\n' });
    expect(r.code).toBe(250);
    await waitFor(() => sink!.messages.length >= 1, 10_000, 'the DSN');
    await relay.idle();
    await new Promise((res) => setTimeout(res, 200));
    expect(sink.messages).toHaveLength(1);
    const dsn = sink.messages[0]!;
    expect(dsn.from).toBe('');
    expect(dsn.to).toEqual(['alice@sender.test']);
    const text = dsn.body.toString('latin1');
    const boundary = /boundary="?([^";\r\n]+)"?/i.exec(text)?.[1];
    expect(text).toMatch(/Content-Type: multipart\/report;[\s\S]*report-type="?delivery-status"?/i);
    expect(boundary).toBeDefined();
    const parts = text.split(`--${boundary}`);
    const status = parts.find((p) => /Content-Type: message\/delivery-status/i.test(p));
    expect(status).toBeDefined();
    expect(status).toMatch(/Reporting-MTA: dns; ?relay\.test/i);
    expect(status).toMatch(/Final-Recipient: rfc822; ?nobody@example\.org/i);
    expect(status).toMatch(/Action: failed/i);
    expect(status).toMatch(/Status: 5\.1\.1/);
    expect(status).toMatch(/Diagnostic-Code: smtp; ?550/i);
    expect(text).toContain('Subject: doomed');
    expect(relay.stats().bounced).toBe(1);
  });
});
