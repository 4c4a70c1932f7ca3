// Graceful shutdown (RFC 5321 §3.8): close() stops accepting, sends 421 to
// sessions between transactions, lets a session in the middle of DATA finish
// (its mail is accepted with 250 and delivered), then answers its next command
// with 421. Nothing accepted is lost.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { HOST, startSink, type Sink } from './helpers.js';

let relay: Relay | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await relay?.close();
  await sink?.close();
  relay = undefined;
  sink = undefined;
});

/** A raw SMTP client: send lines, read replies as they come. */
function raw(port: number): Promise<{ send(s: string): void; next(re: RegExp): Promise<string>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, HOST);
    let buf = '';
    const waiters: Array<{ re: RegExp; r: (s: string) => void }> = [];
    const pump = (): void => {
      for (const w of [...waiters]) {
        const m = w.re.exec(buf);
        if (m !== null) {
          buf = buf.slice(m.index + m[0].length);
          waiters.splice(waiters.indexOf(w), 1);
          w.r(m[0]);
        }
      }
    };
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      pump();
    });
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.once('error', reject);
    sock.once('connect', () =>
      resolve({
        send: (s) => sock.write(s),
        next: (re) =>
          new Promise((r) => {
            waiters.push({ re, r });
            pump();
          }),
        closed,
      }),
    );
  });
}

describe('relay close(): graceful shutdown', () => {
  it('a session in DATA finishes with 250 (and the mail is delivered), then gets 421; an idle one gets 421 at once', async () => {
    sink = await startSink();
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${sink.port}`, accept: 'memory', logger: false, hostname: 'relay.test' });
    const { port } = await relay.listen();
    const busy = await raw(port);
    await busy.next(/^220 .*\r\n/m);
    busy.send('EHLO c.test\r\n');
    await busy.next(/^250 .*\r\n/m);
    busy.send('MAIL FROM:<a@sender.test>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
    await busy.next(/^354 .*\r\n/m);
    busy.send('Subject: in flight\r\n\r\nfirst half\r\n');
    const idleC = await raw(port);
    await idleC.next(/^220 .*\r\n/m);
    const closing = relay.close();
    expect(await idleC.next(/^421 .*\r\n/m)).toMatch(/^421 4\.3\.2 /);
    busy.send('second half\r\n.\r\n');
    expect(await busy.next(/^250 .*\r\n/m)).toMatch(/^250 2\.0\.0 /);
    busy.send('MAIL FROM:<a@sender.test>\r\n');
    expect(await busy.next(/^421 .*\r\n/m)).toMatch(/^421 4\.3\.2 /);
    await busy.closed;
    await closing;
    relay = undefined;
    expect(sink.messages.map((m) => m.body.toString('latin1'))).toEqual([expect.stringMatching(/Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n$/)]);
    await expect(raw(port)).rejects.toThrow(); // no longer accepting
  });
});
