import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '@netlayers/clock';
import { ServerHarness, b, s, tick } from './test-harness.js';
import { ServerSession } from './server-session.js';
import { ClientSession } from './client-session.js';
import { SmtpError } from './errors.js';
import { reject } from './server-session.js';
import { concatBytes } from './bytes.js';

const tokens = [
  'EHLO c\r\n', 'HELO c\r\n', 'MAIL FROM:<a@x.test>\r\n', 'MAIL FROM:<a@x.test> SIZE=5\r\n', 'RCPT TO:<b@y.test>\r\n',
  'RCPT TO:<bad@y.test>\r\n', 'DATA\r\n', 'BDAT 3\r\n', 'BDAT 2 LAST\r\n', 'RSET\r\n', 'NOOP\r\n', 'QUIT\r\n', 'VRFY x\r\n',
  '.\r\n', '..\r\n', 'abc\r\n', '\r\n', '\n', '\r', '.', 'x', 'STARTTLS\r\n', 'MAIL FROM:<>\r\n', 'BODY=BINARYMIME',
];
const streamArb = fc.array(fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8 })), { maxLength: 40 }).map((ts) => b(ts.join('')));
const rawArb = fc.oneof(streamArb, fc.uint8Array({ maxLength: 400 }));

function split(input: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...pts, input.length]) {
    out.push(input.subarray(prev, c));
    prev = c;
  }
  return out;
}

function run(chunks: Uint8Array[]): { out: string; replies: number; closed: number } {
  const h = new ServerHarness({
    size: 50,
    maxRecipients: 3,
    hooks: { onRcptTo: (a) => (a.startsWith('bad') ? reject(550) : undefined) },
  });
  for (const c of chunks) h.send(c);
  return { out: h.text(), replies: h.all().length, closed: h.closed };
}

function countCrlf(u: Uint8Array): number {
  let n = 0;
  for (let i = 1; i < u.length; i++) if (u[i] === 0x0a && u[i - 1] === 0x0d) n++;
  return n;
}

describe('fast-check: sessions never crash and answer once per command', () => {
  it('arbitrary bytes in any chunking: no exception, ≤ one reply per CRLF line (+ greeting), output independent of chunking', () => {
    fc.assert(
      fc.property(rawArb, fc.array(fc.nat(), { maxLength: 12 }), (input, cuts) => {
        const whole = run([input]);
        const pieces = run(split(input, cuts));
        expect(pieces.out).toBe(whole.out);
        expect(whole.replies).toBeLessThanOrEqual(1 + countCrlf(input));
        // the server never closes except after QUIT/221 (or 421)
        if (whole.closed > 0) expect(/\r\n221 |\r\n421 |^221 /.test('\r\n' + whole.out)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('async hooks give exactly the replies of sync hooks (order kept, nothing lost while a hook is pending)', async () => {
    await fc.assert(
      fc.asyncProperty(streamArb, fc.array(fc.nat(), { maxLength: 8 }), async (input, cuts) => {
        const mk = (async: boolean) => {
          const wrap = <T,>(v: T): T | Promise<T> => (async ? new Promise<T>((r) => setImmediate(() => r(v))) : v);
          return new ServerHarness({
            size: 50,
            maxRecipients: 3,
            hooks: {
              onEhlo: () => wrap(undefined),
              onMailFrom: () => wrap(undefined),
              onRcptTo: (a) => wrap(a.startsWith('bad') ? reject(550) : undefined),
              onData: async (m) => {
                await m.drain().catch(() => 0);
                return wrap(undefined);
              },
            },
          });
        };
        const sync = mk(false);
        sync.send(input);
        await tick(5);
        const asyncH = mk(true);
        for (const c of split(input, cuts)) asyncH.send(c);
        for (let i = 0; i < 200 && asyncH.text().length < sync.text().length; i++) await tick(2);
        await tick(5);
        expect(asyncH.text()).toBe(sync.text());
      }),
      { numRuns: 60 },
    );
  });

  it('byte-by-byte delivery gives the same replies as one chunk', () => {
    fc.assert(
      fc.property(streamArb, (input) => {
        const whole = run([input]);
        const bytes = Array.from(input, (_, i) => input.subarray(i, i + 1));
        expect(run(bytes).out).toBe(whole.out);
      }),
      { numRuns: 100 },
    );
  });

  it('the client never throws synchronously on arbitrary server bytes; failures are SmtpErrors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const clock = new VirtualClock();
        const c = new ClientSession({ transport: { write: () => undefined, close: () => undefined }, timers: clock });
        const g = c.greet();
        c.receive(bytes);
        c.receiveEnd();
        try {
          await g;
        } catch (e) {
          expect(e).toBeInstanceOf(SmtpError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('fast-check: the client always settles', () => {
  const replyLine = fc.oneof(
    fc.constantFrom('220 mx\r\n', '250 ok\r\n', '250-mx\r\n250 PIPELINING\r\n', '354 go\r\n', '550 no\r\n', '421 bye\r\n', '452 full\r\n', '221 bye\r\n', '503 seq\r\n'),
    fc.string({ maxLength: 12 }).map((t) => t + '\r\n'),
  );
  it('random server replies, chunked anyhow, then silence: send() settles (resolve or SmtpError) by the RFC timers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(replyLine, { maxLength: 12 }), fc.boolean(), fc.boolean(), async (replies, pipelining, chunking) => {
        const clock = new VirtualClock();
        const c = new ClientSession({ transport: { write: () => undefined, close: () => undefined }, timers: clock, pipelining, preferChunking: chunking });
        let settled = false;
        const op = (async () => {
          await c.greet();
          await c.send({ from: 'a@x.test', to: ['b@y.test', 'c@y.test'] }, 'body\r\n');
          await c.quit();
        })().then(
          () => (settled = true),
          (e: unknown) => {
            settled = true;
            expect(e).toBeInstanceOf(SmtpError);
          },
        );
        for (const r of replies) {
          c.receive(b(r));
          await tick(2);
        }
        for (let i = 0; i < 10 && !settled; i++) {
          clock.advance(600_000);
          await tick(3);
        }
        await op;
        expect(settled).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

/** Wires a client and a server session back to back through microtask-delayed pipes. */
function pair(serverOpts: ConstructorParameters<typeof ServerHarness>[0] = {}, clientOpts: Partial<ConstructorParameters<typeof ClientSession>[0]> = {}) {
  const clock = new VirtualClock();
  let server!: ServerSession;
  const client = new ClientSession({
    timers: clock,
    ...clientOpts,
    transport: {
      write: (d) => {
        const copy = d.slice();
        queueMicrotask(() => server.receive(copy));
      },
      close: () => queueMicrotask(() => server.receiveEnd()),
    },
  });
  server = new ServerSession({
    timers: clock,
    hostname: 'mx.test',
    ...serverOpts,
    transport: {
      write: (d) => {
        const copy = d.slice();
        queueMicrotask(() => client.receive(copy));
      },
      close: () => queueMicrotask(() => client.receiveEnd()),
    },
  });
  server.start();
  return { client, server, clock };
}

const bodyArb = fc
  .array(fc.oneof(fc.constantFrom('.', '..', '\r\n', '\n', '\r', '.\r\n', '\r\n.\r\n', 'x', ' '), fc.string({ maxLength: 5 })), { maxLength: 30 })
  .map((p) => p.join(''));

function normalizeExpected(body: string): string {
  let t = body.replace(/\r\n|\r|\n/g, '\r\n');
  if (t.length > 0 && !t.endsWith('\r\n')) t += '\r\n';
  return t;
}

describe('client ↔ server end to end (sans-I/O, in memory)', () => {
  it('fast-check: any body sent by ClientSession arrives intact (normalised) at ServerSession, by DATA and by BDAT', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, fc.boolean(), fc.boolean(), async (body, chunking, pipelining) => {
        const got: string[] = [];
        const { client } = pair(
          { hooks: { onData: async (m) => void got.push(s(await m.bytes())) } },
          { preferChunking: chunking, pipelining },
        );
        await client.greet();
        const r = await client.send({ from: 'a@x.test', to: ['b@y.test'] }, body);
        expect(r.reply.code).toBe(250);
        await client.quit();
        expect(got).toEqual([chunking ? body : normalizeExpected(body)]);
      }),
      { numRuns: 150 },
    );
  });

  it('several messages on one connection, with rejected recipients and RSET between', async () => {
    const got: string[] = [];
    const { client, server } = pair({ hooks: { onRcptTo: (a) => (a.startsWith('no') ? reject(550, '5.1.1') : undefined), onData: async (m) => void got.push(m.envelope.to.map((t) => t.address).join(',')) } });
    await client.greet();
    await client.send({ from: 'a@x.test', to: ['b@y.test', 'no@y.test'] }, 'one');
    await expect(client.send({ from: 'a@x.test', to: ['no@y.test'] }, 'two')).rejects.toMatchObject({ reply: { code: 550 } });
    await client.send({ from: '', to: ['c@y.test'] }, concatBytes([b('three')]));
    await client.quit();
    await tick();
    expect(got).toEqual(['b@y.test', 'c@y.test']);
    expect(server.state).toBe('Closed');
    expect(server.messagesAccepted).toBe(2);
  });
});
