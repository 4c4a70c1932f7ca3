// The spool under faults, through the relay: a full file system (a 256 KiB
// tmpfs this test mounts) gives 452 4.3.1 and never a 250; a client that
// disconnects mid-DATA leaves nothing in the spool.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendMail } from '@netlayers/smtp-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { HOST, makeMessage, startSink, waitFor, type Sink } from './helpers.js';

let relay: Relay | undefined;
let sink: Sink | undefined;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  await relay?.close();
  await sink?.close();
  relay = undefined;
  sink = undefined;
  for (const c of cleanups.splice(0)) c();
});

function listSpool(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ['tmp', 'queue']) {
    try {
      for (const f of readdirSync(join(dir, sub))) out.push(`${sub}/${f}`);
    } catch {
      // not created
    }
  }
  return out;
}

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('spool fault tests need root (tmpfs mount) under CI');

describe.skipIf(!isRoot)('spool faults through the relay', () => {
  it('a full file system answers 452 4.3.1, never 250, and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nl-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir]);
    cleanups.push(() => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    });
    sink = await startSink();
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${sink.port}`, accept: 'spool', spool: dir, logger: false });
    const { port } = await relay.listen();
    const err = (await sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body: makeMessage(1_000_000, 3) }).catch((e: unknown) => e)) as { reply?: { code: number; enhanced?: string } };
    expect(err.reply).toMatchObject({ code: 452, enhanced: '4.3.1' });
    expect(relay.stats().received).toBe(0);
    expect(listSpool(dir)).toEqual([]);
    // small mail still fits and is accepted
    await expect(sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body: makeMessage(5_000, 4) })).resolves.toMatchObject({ code: 250 });
    await relay.idle();
    expect(sink.messages).toHaveLength(1);
  });
});

describe('client loss mid-DATA', () => {
  it('leaves nothing in the spool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nl-cut-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    sink = await startSink();
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${sink.port}`, accept: 'spool', spool: dir, logger: false });
    const { port } = await relay.listen();
    const sock = connect(port, HOST);
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString()));
    await waitFor(() => got.includes('220'), 5000, 'greeting');
    sock.write('EHLO c.test\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n');
    await waitFor(() => got.includes('354'), 5000, '354');
    sock.write(makeMessage(200_000, 5).subarray(0, 150_000));
    await new Promise((r) => setTimeout(r, 100));
    sock.destroy();
    await waitFor(() => relay!.stats().connections === 0, 5000, 'the session to end');
    await new Promise((r) => setTimeout(r, 100));
    expect(listSpool(dir)).toEqual([]);
    expect(relay.stats().received).toBe(0);
    expect(sink.messages).toHaveLength(0);
  });
});
