/**
 * Hostile peers (issue 13): a client that pipelines and never reads the
 * replies, slow-byte senders in command and data phase, sessions kept alive
 * forever, connection floods, NUL and control characters. Sans-I/O variants
 * run on virtual time; the loopback variants speak to `createServer` over
 * real sockets while a well-behaved client is served. Every test prints the
 * figure it measures (accounted bytes, time held).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { VirtualClock } from '@netlayers/clock';
import { createServer, sendMail, ServerSession, ReplyParser, type ServerSessionOptions, type SmtpReply, type SmtpServer } from '../src/index.js';

const te = new TextEncoder();
const td = new TextDecoder();
const KiB = 1024;
const MiB = 1024 * KiB;
const EHLO_X = te.encode('EHLO x\r\n');

/**
 * A transport like a socket whose peer never reads: `write` returns false
 * once more than `hwm` octets are unsent; `whenWritable` resolves only when
 * the test calls `drain()`. It counts bytes, never keeps them (no test RSS).
 */
class StuckTransport {
  written = 0;
  unsent = 0;
  closed = 0;
  paused = 0;
  resumed = 0;
  replies: SmtpReply[] = [];
  keep = false;
  private readonly parser = new ReplyParser();
  private waiters: Array<() => void> = [];
  constructor(private readonly hwm = 16 * KiB) {}
  write(d: Uint8Array): boolean {
    this.written += d.length;
    this.unsent += d.length;
    if (this.keep) this.replies.push(...this.parser.push(d));
    return this.unsent <= this.hwm;
  }
  whenWritable(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  pendingBytes(): number {
    return this.unsent;
  }
  /** The peer read everything. */
  drain(): void {
    this.unsent = 0;
    for (const w of this.waiters.splice(0)) w();
  }
  close(): void {
    this.closed++;
  }
  pause(): void {
    this.paused++;
  }
  resume(): void {
    this.resumed++;
  }
}

function session(t: StuckTransport, clock: VirtualClock, opts: Partial<ServerSessionOptions> = {}): ServerSession {
  const s = new ServerSession({ hostname: 'mx.test', timers: clock, ...opts, transport: t });
  s.start();
  return s;
}

/** 64 KiB of pipelined `EHLO x\r\n`. */
const FLOOD_CHUNK = (() => {
  const c = new Uint8Array(64 * KiB);
  for (let i = 0; i < c.length; i += EHLO_X.length) c.set(EHLO_X, i);
  return c;
})();

async function tick(n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('sans-I/O: reply flood without reading', () => {
  it('EHLO x × 2,097,152 (16 MiB) with replies never read: the session writes ≤ 40 KiB, stops consuming input and ends with 421 4.7.0 after 1 MiB of unread input', () => {
    const clock = new VirtualClock();
    const t = new StuckTransport();
    const s = session(t, clock);
    let fed = 0;
    let peakAccounted = 0;
    // The peer ignores pause() and keeps sending (worst case for the session).
    while (fed < 16 * MiB && s.state !== 'Closed') {
      s.receive(FLOOD_CHUNK);
      fed += FLOOD_CHUNK.length;
      peakAccounted = Math.max(peakAccounted, s.pendingOutput + s.bufferedInput);
    }
    console.log(`reply flood (sans-I/O): fed ${(fed / MiB).toFixed(2)} MiB, wrote ${(t.written / KiB).toFixed(1)} KiB of replies, peak accounted ${(peakAccounted / KiB).toFixed(0)} KiB (before the fix: 16 MiB consumed, ~322 MiB of replies written)`);
    expect(t.paused).toBeGreaterThan(0);
    expect(t.written).toBeLessThan(40 * KiB);
    expect(peakAccounted).toBeLessThan(1 * MiB + 128 * KiB);
    expect(s.state).toBe('Closed');
    expect(t.closed).toBe(1);
    expect(fed).toBeLessThan(2 * MiB);
  });

  it('a peer that honours pause() but never reads is held at most the 300 s command timeout, then 421 4.4.2', () => {
    const clock = new VirtualClock();
    const t = new StuckTransport();
    t.keep = true;
    const s = session(t, clock);
    s.receive(FLOOD_CHUNK);
    expect(s.outputBlocked).toBe(true);
    const pausedAt = t.paused;
    expect(pausedAt).toBe(1);
    clock.advance(299_999);
    expect(s.state).not.toBe('Closed');
    clock.advance(1);
    console.log(`reply flood, paused peer: held ${clock.now() / 1000} s, accounted ${(s.pendingOutput / KiB).toFixed(1)} KiB`);
    expect(s.state).toBe('Closed');
    expect(t.replies.at(-1)).toMatchObject({ code: 421, enhanced: '4.4.2' });
  });

  it('back-pressure never drops or reorders replies: 20,000 pipelined NOOPs through a transport that blocks every 16 KiB', async () => {
    const clock = new VirtualClock();
    const t = new StuckTransport();
    t.keep = true;
    const s = session(t, clock);
    const burst = te.encode('NOOP\r\n'.repeat(20_000) + 'QUIT\r\n');
    s.receive(burst);
    let rounds = 0;
    while (s.state !== 'Closed' && rounds < 1000) {
      expect(t.unsent).toBeLessThanOrEqual(16 * KiB + 16 * KiB + 512);
      t.drain();
      await tick(1);
      rounds++;
    }
    console.log(`20,000 NOOPs under back-pressure: ${rounds} drain rounds, ${t.replies.length} replies`);
    expect(t.replies.map((r) => r.code)).toEqual([220, ...Array<number>(20_000).fill(250), 221]);
    expect(t.resumed).toBeGreaterThan(0);
  });

  it('pull mode: output not taken stops input processing; pendingOutput stays ≤ 64 KiB + one batch; takeOutput resumes', () => {
    const clock = new VirtualClock();
    const s = new ServerSession({ hostname: 'mx.test', timers: clock });
    s.start();
    s.receive(te.encode('NOOP\r\n'.repeat(20_000)));
    console.log(`pull mode: pending ${(s.pendingOutput / KiB).toFixed(1)} KiB, unprocessed input ${(s.bufferedInput / KiB).toFixed(1)} KiB`);
    expect(s.outputBlocked).toBe(true);
    expect(s.pendingOutput).toBeLessThanOrEqual(64 * KiB + 17 * KiB);
    let replies = 0;
    const parser = new ReplyParser();
    for (let i = 0; i < 100 && (s.outputBlocked || s.bufferedInput > 0); i++) for (const c of s.takeOutput()) replies += parser.push(c).length;
    for (const c of s.takeOutput()) replies += parser.push(c).length;
    expect(replies).toBe(20_001);
  });

  it('a transport that ignores back-pressure but reports pendingBytes: 421 4.7.0 at maxReplyBuffer (64 KiB)', () => {
    const clock = new VirtualClock();
    let unsent = 0;
    let closed = 0;
    const s = new ServerSession({
      hostname: 'mx.test',
      timers: clock,
      maxReplyBuffer: 64 * KiB,
      transport: { write: (d) => void (unsent += d.length), pendingBytes: () => unsent, close: () => void closed++ },
    });
    s.start();
    s.receive(FLOOD_CHUNK);
    s.receive(FLOOD_CHUNK);
    console.log(`ignoring transport: closed after ${(unsent / KiB).toFixed(1)} KiB unsent`);
    expect(s.state).toBe('Closed');
    expect(closed).toBe(1);
    expect(unsent).toBeLessThan(64 * KiB + 17 * KiB);
  });
});

describe('sans-I/O: slow senders (virtual time)', () => {
  function slow(opts: Partial<ServerSessionOptions> = {}): { clock: VirtualClock; t: StuckTransport; s: ServerSession } {
    const clock = new VirtualClock();
    const t = new StuckTransport(Infinity);
    t.keep = true;
    return { clock, t, s: session(t, clock, opts) };
  }
  /** Sends one octet per `everyMs` until closed or `maxMs`; returns the time held. */
  function drip(clock: VirtualClock, s: ServerSession, byte: number, everyMs: number, maxMs: number): number {
    const start = clock.now();
    const one = new Uint8Array([byte]);
    while (s.state !== 'Closed' && clock.now() - start < maxMs) {
      clock.advance(everyMs);
      s.receive(one);
    }
    return clock.now() - start;
  }

  it('"NOOP " + 1 octet/s is cut at the 300 s command deadline (before: held forever)', () => {
    const { clock, t, s } = slow();
    s.receive(te.encode('EHLO c.test\r\nNOOP '));
    const held = drip(clock, s, 0x78, 1000, 3_600_000);
    console.log(`slow command sender: held ${held / 1000} s`);
    expect(held).toBeLessThanOrEqual(300_000);
    expect(t.replies.at(-1)).toMatchObject({ code: 421, enhanced: '4.4.2' });
  });

  it('1 octet/s after 354 is cut at 600 s + 2 ms per octet (minDataRate 500 B/s) (before: held forever)', () => {
    const { clock, t, s } = slow({ hooks: { onData: async (m) => void (await m.drain()) } });
    s.receive(te.encode('EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n'));
    const held = drip(clock, s, 0x61, 1000, 3_600_000);
    console.log(`slow DATA sender: held ${held / 1000} s`);
    expect(held).toBeLessThanOrEqual(602_000);
    expect(s.state).toBe('Closed');
    expect(t.replies.at(-1)).toMatchObject({ code: 421, enhanced: '4.4.2' });
  });

  it('1 octet/s inside a BDAT chunk is cut at ~600 s as well', () => {
    const { clock, s } = slow({ hooks: { onData: async (m) => void (await m.drain()) } });
    s.receive(te.encode('EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 100000 LAST\r\n'));
    const held = drip(clock, s, 0x61, 1000, 3_600_000);
    console.log(`slow BDAT sender: held ${held / 1000} s`);
    expect(held).toBeLessThanOrEqual(602_000);
    expect(s.state).toBe('Closed');
  });

  it('a sender above the minimum rate (1996 B/s for 20 min, 2.4 MB) is not cut', async () => {
    const { clock, t, s } = slow({ hooks: { onData: async (m) => void (await m.drain()) } });
    s.receive(te.encode('EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n'));
    const line = te.encode(('x'.repeat(996) + '\r\n').repeat(2));
    for (let sec = 0; sec < 1200; sec++) {
      clock.advance(1000);
      s.receive(line);
      if (sec % 100 === 0) await tick(1);
    }
    s.receive(te.encode('.\r\n'));
    await tick();
    expect(s.state).toBe('MailCompleted');
    expect(t.replies.at(-1)).toMatchObject({ code: 250 });
  });

  it('a NOOP every 299 s forever is ended by the 1 h session lifetime (before: held forever)', () => {
    const { clock, t, s } = slow();
    s.receive(te.encode('EHLO c.test\r\n'));
    const start = clock.now();
    while (s.state !== 'Closed' && clock.now() - start < 24 * 3_600_000) {
      clock.advance(299_000);
      s.receive(te.encode('NOOP\r\n'));
    }
    const held = clock.now() - start;
    console.log(`keep-alive NOOPs: held ${held / 1000} s`);
    expect(held).toBeLessThanOrEqual(3_600_000 + 299_000);
    expect(t.replies.at(-1)).toMatchObject({ code: 421, enhanced: '4.4.2' });
  });
});

describe('sans-I/O: NUL and control characters', () => {
  function replies(input: string, opts: Partial<ServerSessionOptions> = {}): { t: StuckTransport; s: ServerSession; bodies: Uint8Array[] } {
    const t = new StuckTransport(Infinity);
    t.keep = true;
    const bodies: Uint8Array[] = [];
    const s = session(t, new VirtualClock(), { hooks: { onData: async (m) => void bodies.push(await m.bytes()) }, ...opts });
    s.receive(te.encode(input));
    return { t, s, bodies };
  }

  it.each(['EHLO a\0b.test', 'HELO a\0b.test', 'EHLO a\x01b', 'EHLO a\x7f', 'EHLO [127.0.0.1\0]'])('%j → 501, nothing echoed, state unchanged', (line) => {
    const { t, s } = replies(`${line}\r\n`);
    const r = t.replies[1]!;
    expect(r.code).toBe(501);
    expect(r.lines.join('')).not.toMatch(/[\x00-\x1f\x7f]/);
    expect(s.state).toBe('Begin');
    expect(s.clientName).toBeUndefined();
  });

  it.each(['MAIL FROM:<a@[1.2.3.4\0]>', 'MAIL FROM:<"a\0b"@x.test>', 'MAIL FROM:<a@[IPv6:::1\x01]>'])('%j → 501', (line) => {
    const { t } = replies(`EHLO c.test\r\n${line}\r\n`);
    expect(t.replies.map((r) => r.code)).toEqual([220, 250, 501]);
  });

  it('NUL in a DATA body → 554 5.6.0, nothing accepted, the session goes on; nulInBody "allow" passes it', async () => {
    const msg = 'EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nab\0cd\r\n.\r\nNOOP\r\n';
    const strict = replies(msg);
    await tick();
    expect(strict.t.replies.map((r) => r.code)).toEqual([220, 250, 250, 250, 354, 554, 250]);
    expect(strict.t.replies[5]!.enhanced).toBe('5.6.0');
    expect(strict.s.messagesAccepted).toBe(0);
    const lax = replies(msg, { nulInBody: 'allow' });
    await tick();
    expect(lax.t.replies.map((r) => r.code)).toEqual([220, 250, 250, 250, 354, 250, 250]);
    expect(td.decode(lax.bodies[0])).toBe('ab\0cd\r\n');
  });

  it('BDAT chunks pass verbatim, NUL included (BINARYMIME)', async () => {
    const { t, bodies } = replies('EHLO c.test\r\nMAIL FROM:<a@x.test> BODY=BINARYMIME\r\nRCPT TO:<b@y.test>\r\nBDAT 3 LAST\r\n\0\0\0');
    await tick();
    expect(t.replies.map((r) => r.code)).toEqual([220, 250, 250, 250, 250]);
    expect([...bodies[0]!]).toEqual([0, 0, 0]);
  });
});

// ------------------------------------------------------------ real loopback

let servers: SmtpServer[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const so of sockets.splice(0)) so.destroy();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(opts: Parameters<typeof createServer>[0]): Promise<{ server: SmtpServer; port: number }> {
  const server = createServer({ hostname: 'mx.test', addReceivedHeader: false, ...opts });
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

function open(port: number, localAddress?: string): Promise<{ sock: net.Socket; text: () => string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1', ...(localAddress !== undefined ? { localAddress } : {}) });
    sockets.push(sock);
    let text = '';
    const ended = new Promise<void>((r) => sock.once('close', () => r()));
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.once('error', reject);
    sock.once('connect', () => resolve({ sock, text: () => text, ended }));
  });
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const good = (port: number): Promise<SmtpReply> =>
  sendMail({ host: '127.0.0.1', port, envelope: { from: 'a@x.test', to: ['b@y.test'] }, body: 'Subject: hi\r\n\r\nok\r\n' });

describe('loopback createServer: hostile peers while a good client is served', () => {
  it('reply flood: a client sending 16 MiB of EHLO x and never reading — server-side accounted bytes stay < 1.5 MiB, good client served', async () => {
    const { server, port } = await start({ onData: async (m) => void (await m.drain()) });
    const rss0 = process.memoryUsage().rss;
    const sock = net.connect({ port, host: '127.0.0.1' });
    sockets.push(sock);
    sock.pause(); // never reads a reply
    await new Promise((r) => sock.once('connect', r));
    await until(() => server.sessions.size === 1);
    const hostile = [...server.sessions][0]!;
    let sent = 0;
    let stalled = false;
    // Honour our own back-pressure (the test process must not balloon); stop once
    // our writes stall and the server says it stopped consuming input.
    while (sent < 16 * MiB && !stalled) {
      const ok = sock.write(FLOOD_CHUNK);
      sent += FLOOD_CHUNK.length;
      while (!ok) {
        const drained = await Promise.race([
          new Promise<boolean>((r) => sock.once('drain', () => r(true))),
          new Promise<boolean>((r) => setTimeout(() => r(false), 300)),
        ]);
        if (drained) break;
        if (hostile.outputBlocked) {
          stalled = true;
          break;
        }
      }
    }
    const accounted = hostile.pendingOutput + hostile.bufferedInput;
    const reply = await good(port);
    const rss = process.memoryUsage().rss - rss0;
    console.log(`loopback reply flood: client sent ${(sent / MiB).toFixed(2)} MiB before stalling=${stalled}; server accounted ${(accounted / KiB).toFixed(0)} KiB (replies unsent ${(hostile.pendingOutput / KiB).toFixed(0)} KiB), RSS delta ${(rss / MiB).toFixed(1)} MiB`);
    expect(stalled).toBe(true);
    expect(hostile.outputBlocked).toBe(true);
    expect(accounted).toBeLessThan(1.5 * MiB);
    expect(reply.code).toBe(250);
  });

  it('slow senders (virtual clock): "NOOP " + 1 octet per 10 s cut at 300 s; 1 octet per 10 s of DATA cut at ~600 s; good client served', async () => {
    const clock = new VirtualClock();
    const { server, port } = await start({ timers: clock, onData: async (m) => void (await m.drain()) });
    const cmd = await open(port);
    const dat = await open(port);
    await until(() => cmd.text().startsWith('220') && dat.text().startsWith('220'));
    cmd.sock.write('EHLO c.test\r\nNOOP ');
    dat.sock.write('EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    await until(() => cmd.text().includes('250 HELP') && dat.text().includes('354 '));
    const heldAt: Record<string, number> = {};
    const t0 = clock.now();
    for (let i = 0; i < 120 && (heldAt.cmd === undefined || heldAt.dat === undefined); i++) {
      if (!cmd.sock.destroyed) cmd.sock.write('x');
      if (!dat.sock.destroyed) dat.sock.write('y');
      await new Promise((r) => setTimeout(r, 5));
      clock.advance(10_000);
      await new Promise((r) => setTimeout(r, 2));
      if (heldAt.cmd === undefined && cmd.text().includes('421 ')) heldAt.cmd = clock.now() - t0;
      if (heldAt.dat === undefined && dat.text().includes('421 ')) heldAt.dat = clock.now() - t0;
    }
    console.log(`loopback slow senders: command phase held ${heldAt.cmd! / 1000} s, data phase held ${heldAt.dat! / 1000} s`);
    expect(heldAt.cmd).toBeLessThanOrEqual(320_000);
    expect(heldAt.dat).toBeLessThanOrEqual(620_000);
    expect(cmd.text()).toMatch(/421 4\.4\.2 /);
    expect(dat.text()).toMatch(/421 4\.4\.2 /);
    await Promise.all([cmd.ended, dat.ended]);
    expect(server.sessions.size).toBe(0);
    expect((await good(port)).code).toBe(250);
  });

  it('connection flood: 5 from 127.0.0.2 with maxConnectionsPerClient 3 → 2 get 421 4.7.0; then 127.0.0.3 hits maxConnections 5; good client served in between', async () => {
    const { server, port } = await start({ maxConnections: 5, maxConnectionsPerClient: 3 });
    const a = await Promise.all([1, 2, 3, 4, 5].map(() => open(port, '127.0.0.2')));
    await until(() => a.every((c) => c.text().length > 0));
    const refusedA = a.filter((c) => c.text().startsWith('421 4.7.0 mx.test Error: too many connections from 127.0.0.2'));
    expect(refusedA).toHaveLength(2);
    await Promise.all(refusedA.map((c) => c.ended)); // the server closed them
    expect(server.connections.count('127.0.0.2')).toBe(3);
    expect((await good(port)).code).toBe(250);
    await until(() => server.connections.size === 3);
    const b = await Promise.all([1, 2, 3].map(() => open(port, '127.0.0.3')));
    await until(() => b.every((c) => c.text().length > 0));
    const refusedB = b.filter((c) => c.text().startsWith('421 4.7.0 mx.test Error: too many connections\r\n'));
    console.log(`connection flood: admitted ${server.connections.size} of 8, refused ${refusedA.length + refusedB.length} with 421`);
    expect(refusedB).toHaveLength(1);
    expect(server.connections.size).toBe(5);
    for (const c of [...a, ...b]) c.sock.destroy();
    await until(() => server.connections.size === 0);
  });
});
