// swaks (a real, independent SMTP client) against our createServer, with and
// without --pipeline: delivery, dot transparency, rejected recipients, a
// rejected message, and the SIZE limit enforced on what swaks really sends.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reject } from '../../src/index.js';
import { HOST, findTool, runProcess, startOurServer } from './helpers.js';
import type { OurServer } from './helpers.js';

const SWAKS = findTool('swaks');
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (SWAKS === undefined)) throw new Error('swaks required under CI=true');
const SIZE = 20_000;

let server: OurServer | undefined;
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nl-swaks-'));
  server = await startOurServer({
    size: SIZE,
    onRcptTo: (addr) => (addr.startsWith('nobody@') ? reject(550, '5.1.1', 'No such user') : undefined),
    onData: async (msg) => {
      // The recording wrapper already consumed the body; reject by envelope.
      if (msg.envelope.from === 'spam@x.example') return reject(554, '5.7.1', 'Message refused');
      return undefined;
    },
  });
});

afterAll(async () => {
  await server?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

function swaks(args: readonly string[], pipeline: boolean) {
  const s = server as OurServer;
  return runProcess(
    SWAKS as string,
    ['--server', `${HOST}:${s.port}`, '--timeout', '10', '--helo', 'swaks.test', ...(pipeline ? ['--pipeline'] : []), ...args],
    { timeoutMs: 20_000 },
  );
}

describe.skipIf(SWAKS === undefined).each([false, true])('swaks against createServer (pipeline: %s)', (pipeline) => {
  it('delivers to several recipients; dot-stuffed lines arrive unstuffed', async () => {
    const s = server as OurServer;
    const tag = `tag-${pipeline ? 'p' : 'n'}-${Date.now()}`;
    const body = join(dir, `body-${tag}.txt`);
    writeFileSync(body, `first ${tag}\n.leading dot\n.\n..two dots\nlast\n`);
    const before = s.messages.length;
    const r = await swaks(['--from', 'alice@x.example', '--to', 'bob@y.example,carol@y.example', '--h-Subject', tag, '--body', `@${body}`], pipeline);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('250 2.6.0');
    if (pipeline) {
      // swaks really pipelined: DATA was written before the reply to MAIL was read.
      expect(r.stdout.indexOf(' -> DATA')).toBeLessThan(r.stdout.indexOf('<-  250 2.1.0'));
    }
    const got = s.messages.slice(before).find((m) => m.content.includes(tag));
    expect(got).toBeDefined();
    expect(got?.from).toBe('alice@x.example');
    expect(got?.to).toEqual(['bob@y.example', 'carol@y.example']);
    const text = got?.content.toString('latin1') ?? '';
    // swaks sent "..leading dot", "..", "...two dots" (RFC 5321 §4.5.2); we stored the originals.
    expect(text).toContain(`\r\nfirst ${tag}\r\n.leading dot\r\n.\r\n..two dots\r\nlast\r\n`);
    expect(text).toMatch(/^Received: from swaks\.test /);
  });

  it('a rejected recipient is reported and the message goes to the others', async () => {
    const s = server as OurServer;
    const tag = `partial-${pipeline ? 'p' : 'n'}-${Date.now()}`;
    const r = await swaks(['--from', 'alice@x.example', '--to', 'nobody@y.example,dave@y.example', '--h-Subject', tag, '--body', tag], pipeline);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('550 5.1.1 No such user');
    const got = s.messages.find((m) => m.content.includes(tag));
    expect(got?.to).toEqual(['dave@y.example']);
  });

  it('no accepted recipient: swaks exits 24 and nothing is stored', async () => {
    const s = server as OurServer;
    const before = s.messages.length;
    const r = await swaks(['--from', 'alice@x.example', '--to', 'nobody@y.example', '--body', 'x'], pipeline);
    expect(r.code, r.stdout).toBe(24);
    expect(s.messages.length).toBe(before);
  });

  it('a message refused by onData: swaks exits 26 with our 554', async () => {
    const r = await swaks(['--from', 'spam@x.example', '--to', 'bob@y.example', '--body', 'buy now'], pipeline);
    expect(r.code, r.stdout).toBe(26);
    expect(r.stdout).toContain('554 5.7.1 Message refused');
  });

  it('a body over the SIZE limit gets 552 after the data (counted, not declared)', async () => {
    const big = join(dir, `big-${pipeline}.txt`);
    writeFileSync(big, `${'y'.repeat(76)}\n`.repeat(Math.ceil(SIZE / 77) + 10));
    const r = await swaks(['--from', 'alice@x.example', '--to', 'bob@y.example', '--body', `@${big}`], pipeline);
    expect(r.code, r.stdout).toBe(26);
    expect(r.stdout).toContain('552 5.3.4');
  });
});

describe.skipIf(SWAKS === undefined)('swaks against createServer: protocol variants', () => {
  it('--protocol SMTP (HELO, no ESMTP) delivers; the trace header says SMTP', async () => {
    const s = server as OurServer;
    const tag = `helo-${Date.now()}`;
    const r = await swaks(['--protocol', 'SMTP', '--from', 'alice@x.example', '--to', 'bob@y.example', '--h-Subject', tag, '--body', tag], false);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(' -> HELO swaks.test');
    const got = s.messages.find((m) => m.content.includes(tag));
    expect(got?.content.toString('latin1')).toMatch(/^Received: from swaks\.test [^\r]*\r\n(\t[^\r]*\r\n)*/);
    expect(got?.content.toString('latin1')).toMatch(/^Received: [^\r]*\r\n\tby netlayers\.test with SMTP\r\n/);
  });

  it('--quit-after RCPT: QUIT mid-transaction gets 221 and stores nothing', async () => {
    const s = server as OurServer;
    const before = s.messages.length;
    const r = await swaks(['--quit-after', 'RCPT', '--from', 'alice@x.example', '--to', 'bob@y.example'], true);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('<-  221 ');
    expect(s.messages.length).toBe(before);
  });
});
