/**
 * `npm run bench -w @netlayers/smtp-protocol` — on the shared harness
 * (scripts/bench-harness), cases side by side in alternating rounds:
 *
 * 1. DATA scan + dot-unstuff MB/s (DataScanner, 64 KiB chunks, strict and
 *    relaxed policy) next to `Buffer.indexOf("\r\n.\r\n")` over the same chunks
 *    and memcpy (`Uint8Array#set`) of the same bytes, per CPU second; the
 *    unstuffed content is compared with the expected bytes;
 * 2. commands parsed per second (CommandParser over 64 KiB chunks), each
 *    round parsing every command;
 * 3. the sans-I/O ServerSession alone: messages/s in memory, every message
 *    accepted;
 * 4. server messages/s over node:net at 1 KB / 20 KB / 1 MB, our createServer
 *    next to nodemailer's smtp-server, driven by Postfix's smtp-source
 *    (`-d -s 4`) when installed, else by our own client; each server must
 *    receive every message of every round.
 *
 * `--quick` / `NETLAYERS_BENCH_QUICK=1` shortens every round.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VirtualClock } from '@netlayers/clock';
import { SMTPServer } from 'smtp-server';
import { BenchReport, benchConfig, compare, loopCase, pick, timed, timedSync, verify, type Case, type Sample } from '../../../scripts/bench-harness/index.js';
import { CommandParser, DataScanner, ServerSession, connect, createServer } from '../src/index.js';

const cfg = benchConfig();
const report = new BenchReport('smtp-protocol', cfg);
const te = new TextEncoder();
const CHUNK = 64 * 1024;

/** `total` octets of 60–76 octet lines ending in CRLF.CRLF, ~1 % dot-stuffed; and the unstuffed content. */
function makeBody(total: number): { body: Uint8Array; content: Uint8Array } {
  const lines: string[] = [];
  const base = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempo';
  let n = 0;
  let i = 0;
  while (n < total) {
    const l = i % 97 === 0 ? '..' + base.slice(2) : base.slice(0, 60 + (i % 17));
    lines.push(l);
    n += l.length + 2;
    i++;
  }
  const text = lines.join('\r\n') + '\r\n';
  return { body: te.encode(text + '.\r\n'), content: te.encode(lines.map((l) => (l.startsWith('..') ? l.slice(1) : l)).join('\r\n') + '\r\n') };
}

function chunked(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += CHUNK) out.push(bytes.subarray(o, Math.min(bytes.length, o + CHUNK)));
  return out;
}

// ---------------------------------------------------------------- 1. DATA scan
{
  const { body, content } = makeBody(pick(cfg, 16 << 20, 8 << 20));
  const chunks = chunked(body);
  const bufChunks = chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.length));
  const term = Buffer.from('\r\n.\r\n');
  const dst = new Uint8Array(CHUNK);
  let sink = 0;
  const out: Uint8Array[] = [];
  /** One pass of a DataScanner over the body; returns the content octets it produced. */
  const scanAll = (strict: boolean, keep?: Uint8Array[]): number => {
    const sc = strict ? new DataScanner({ maxLineLength: 1000, bareNewline: 'reject' }) : new DataScanner({ maxLineLength: Infinity, bareNewline: 'allow' });
    let octets = 0;
    for (const c of chunks) {
      out.length = 0;
      sc.scan(c, out);
      for (const v of out) {
        octets += v.length;
        keep?.push(v.slice());
      }
    }
    verify(sc.done && sc.error === undefined, 'DataScanner did not find the end of data');
    verify(octets === content.length, `DataScanner produced ${octets} content octets, expected ${content.length}`);
    return body.length;
  };
  const scanCase = (name: string, strict: boolean): Case =>
    loopCase(name, (n) => {
      for (let i = 0; i < n; i++) scanAll(strict);
    }, cfg, body.length);
  for (const strict of [true, false]) {
    const kept: Uint8Array[] = [];
    scanAll(strict, kept);
    report.check(`DataScanner (${strict ? 'strict' : 'relaxed'}) content = the unstuffed body`, Buffer.concat(kept).equals(content));
  }
  const indexOfName = 'Buffer.indexOf("\\r\\n.\\r\\n") per chunk';
  report.group(
    await compare(
      `DATA scan: ${(body.length / 1e6).toFixed(1)} MB of 60–76 octet lines in ${CHUNK / 1024} KiB chunks`,
      [
        scanCase('DataScanner scan + unstuff (strict: bare CR/LF, 1000-octet lines)', true),
        scanCase('DataScanner scan + unstuff (relaxed policy)', false),
        loopCase(indexOfName, (n) => {
          for (let i = 0; i < n; i++) {
            let found = 0;
            for (const c of bufChunks) if (c.indexOf(term) >= 0) found++;
            verify(found === 1, `indexOf found ${found} terminators`);
          }
        }, cfg, body.length),
        loopCase('memcpy (Uint8Array#set) per chunk', (n) => {
          for (let i = 0; i < n; i++) for (const c of chunks) dst.set(c);
          sink += dst[0]!;
        }, cfg, body.length),
      ],
      cfg,
      { unit: 'MB/s', scale: 1e-6, clock: 'cpu', baseline: indexOfName },
    ),
  );
  void sink;
}

// ---------------------------------------------------------------- 2. commands
{
  const cmdText = [
    'EHLO client.example.org',
    'MAIL FROM:<sender.name@example.org> SIZE=123456 BODY=8BITMIME',
    'RCPT TO:<first.recipient@example.net>',
    'RCPT TO:<second@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;second@example.net',
    'DATA',
    'RSET',
    'NOOP',
    'QUIT',
  ]
    .map((l) => l + '\r\n')
    .join('');
  const CMDS = pick(cfg, 80_000, 40_000);
  const cmdChunks = chunked(te.encode(cmdText.repeat(CMDS / 8)));
  report.group(
    await compare(
      `commands: CommandParser over ${CHUNK / 1024} KiB chunks`,
      [
        loopCase('CommandParser', (iters) => {
          for (let i = 0; i < iters; i++) {
            const p = new CommandParser(2048);
            let n = 0;
            for (const c of cmdChunks) n += p.push(c).length;
            verify(n === CMDS, `parsed ${n} of ${CMDS} commands`);
          }
        }, cfg, CMDS),
      ],
      cfg,
      { unit: 'commands/s', clock: 'cpu' },
    ),
  );
}

// ---------------------------------------------------------------- 3. ServerSession in memory
{
  const txn = te.encode('MAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\n');
  const end = te.encode('.\r\n');
  const cases: Case[] = [];
  for (const [label, size] of [['1 KB', 1024], ['20 KB', 20 * 1024], ['1 MB', 1 << 20]] as const) {
    const bodyChunks = chunked(makeBody(size).body.subarray(0, -3));
    const s = new ServerSession({
      transport: { write: () => undefined, close: () => undefined },
      timers: new VirtualClock(),
      hooks: { onData: () => undefined },
    });
    s.start();
    s.receive(te.encode('EHLO c\r\n'));
    cases.push(
      loopCase(`${label} messages`, (n) => {
        const a0 = s.messagesAccepted;
        for (let i = 0; i < n; i++) {
          s.receive(txn);
          s.receive(bodyChunks);
          s.receive(end);
        }
        verify(s.messagesAccepted - a0 === n, `ServerSession accepted ${s.messagesAccepted - a0} of ${n} messages`);
      }, cfg),
    );
  }
  report.group(await compare('ServerSession alone (sans-I/O, in memory, one pipelined transaction per message)', cases, cfg, { unit: 'msgs/s', clock: 'cpu' }));
}

// ---------------------------------------------------------------- 4. node:net servers
const SMTP_SOURCE = '/usr/sbin/smtp-source';
const haveSource = existsSync(SMTP_SOURCE);

/** Send `count` messages of `size` octets to `port`; resolves when the driver is done. */
async function runDriver(port: number, size: number, count: number): Promise<void> {
  if (haveSource) {
    await new Promise<void>((resolve, reject) => {
      const p = spawn(SMTP_SOURCE, ['-d', '-s', '4', '-m', String(count), '-l', String(size), '-f', 'a@x.example', '-t', 'b@y.example', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`smtp-source exit ${code}: ${err}`))));
    });
  } else {
    const body = makeBody(size).body.subarray(0, -3);
    const per = Math.ceil(count / 4);
    await Promise.all(
      [0, 1, 2, 3].map(async (k) => {
        const c = await connect({ host: '127.0.0.1', port });
        for (let i = 0; i < Math.min(per, count - k * per); i++) await c.send({ from: 'a@x.example', to: ['b@y.example'] }, body);
        await c.quit();
      }),
    );
  }
}

/** One round against our createServer: wall and CPU time of the driver's run, every message received. */
async function ours(size: number, count: number): Promise<Sample> {
  let msgs = 0;
  let octets = 0;
  const server = createServer({
    hostname: 'bench.example',
    size: 64 << 20,
    addReceivedHeader: false,
    maxTextLineLength: Infinity,
    async onData(m) {
      for await (const c of m) octets += c.length;
      msgs++;
    },
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const sample = await timed(async () => {
    await runDriver(port, size, count);
    return count;
  });
  await server.close();
  verify(msgs === count, `createServer received ${msgs} of ${count} messages`);
  verify(octets >= size * count * 0.9, `createServer received ${octets} octets for ${count} messages of ${size}`);
  return sample;
}

async function theirs(size: number, count: number): Promise<Sample> {
  let msgs = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: 64 << 20,
    logger: false,
    onData(stream, _session, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        msgs++;
        cb();
      });
    },
  });
  const port = await new Promise<number>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
  });
  const sample = await timed(async () => {
    await runDriver(port, size, count);
    return count;
  });
  await new Promise<void>((r) => server.close(() => r()));
  verify(msgs === count, `smtp-server received ${msgs} of ${count} messages`);
  return sample;
}

for (const [label, size, count] of [
  ['1 KB', 1024, pick(cfg, 2000, 500)],
  ['20 KB', 20 * 1024, pick(cfg, 1000, 300)],
  ['1 MB', 1 << 20, pick(cfg, 60, 20)],
] as const) {
  const driver = haveSource ? 'smtp-source -d -s 4' : 'our client, 4 connections';
  const ourName = 'netlayers createServer';
  const theirName = 'nodemailer smtp-server';
  const cases: Case[] = [
    { name: ourName, run: () => ours(size, count) },
    { name: theirName, run: () => theirs(size, count) },
  ];
  // Wall-clock messages/s ...
  const wall = report.group(await compare(`server msgs/s over node:net, ${label} messages, ${count} per round (driver: ${driver})`, cases, cfg, { unit: 'msgs/s', baseline: theirName }));
  // ... and this process's CPU time per message (the server's, when smtp-source drives), same rounds.
  for (const c of wall.cases) report.value(`${label}: ${c.name} CPU per message`, c.cpu!.samples.map((r) => 1e6 / r), 'µs');
}
report.finish();
