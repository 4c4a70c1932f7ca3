// Accepted mail is never lost: the relay (the real CLI, in its own process,
// spool mode) is killed with SIGKILL while a sender is pushing mail; a new
// relay on the same spool must deliver every message that got a 250 (at least
// once; duplicates are counted and reported).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendMail } from '@netlayers/smtp-protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST, startSink, waitFor, type Sink } from './helpers.js';
import { freePort } from './ports.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
let sink: Sink | undefined;
let procs: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  procs = [];
  await sink?.close();
  sink = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function startRelay(port: number, sinkPort: number, spool: string, extra: string[] = []): ChildProcess {
  const p = spawn(process.execPath, ['--import', 'tsx', '--conditions=@netlayers/source', cli, '--listen', `${HOST}:${port}`, '--next-hop', `${HOST}:${sinkPort}`, '--spool', spool, '--log-level', 'warn', '--hostname', 'relay.test', ...extra], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  procs.push(p);
  return p;
}

async function waitListening(port: number): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      await sendMail({ host: HOST, port, envelope: { from: 'probe@sender.test', to: ['probe@example.org'] }, body: 'Subject: probe\r\n\r\n.\r\n' });
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('crash safety (spool)', () => {
  it('kill -9 while mail flows: every message that got a 250 is delivered after restart', async () => {
    const spool = mkdtempSync(join(tmpdir(), 'nl-crash-'));
    dirs.push(spool);
    sink = await startSink();
    const port = await freePort();
    const relay1 = startRelay(port, sink.port, spool);
    await waitListening(port);
    const accepted = new Set<string>();
    let stop = false;
    const senders = Array.from({ length: 4 }, async (_, s) => {
      for (let i = 0; !stop && i < 500; i++) {
        const id = `m${s}-${i}`;
        try {
          const r = await sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body: `Subject: ${id}\r\n\r\n${'x'.repeat(70).concat('\r\n').repeat(70)}` });
          if (r.code === 250) accepted.add(id);
        } catch {
          // the relay died mid-transaction: no 250, the sender keeps it
        }
      }
    });
    await waitFor(() => accepted.size >= 40, 30_000, '40 accepted messages');
    relay1.kill('SIGKILL');
    stop = true;
    await Promise.all(senders);
    const relay2 = startRelay(port, sink.port, spool);
    void relay2;
    // the restarted relay recovers the spool and delivers what the first one had not
    const subjects = (): Set<string> => new Set(sink!.messages.map((m) => /Subject: (\S+)/.exec(m.body.toString('latin1'))?.[1] ?? ''));
    await waitFor(() => [...accepted].every((id) => subjects().has(id)), 60_000, 'every accepted message at the sink');
    const counts = new Map<string, number>();
    for (const m of sink.messages) {
      const id = /Subject: (\S+)/.exec(m.body.toString('latin1'))?.[1] ?? '';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const dups = [...accepted].filter((id) => (counts.get(id) ?? 0) > 1).length;
    console.log(`crash test: ${accepted.size} accepted before SIGKILL, all delivered after restart, ${dups} duplicates`);
    expect([...accepted].every((id) => counts.has(id))).toBe(true);
  });

  it('next hop down: mail waits in the spool across a kill -9 and is delivered once it is up', async () => {
    const spool = mkdtempSync(join(tmpdir(), 'nl-crash-'));
    dirs.push(spool);
    const sinkPort = await freePort(); // nothing listens there yet
    const port = await freePort();
    const backoff = ['--min-backoff', '0.2', '--max-backoff', '0.5'];
    const relay1 = startRelay(port, sinkPort, spool, backoff);
    await waitListening(port);
    const ids = Array.from({ length: 10 }, (_, i) => `down-${i}`);
    for (const id of ids) {
      const r = await sendMail({ host: HOST, port, envelope: { from: 'a@sender.test', to: ['b@example.org'] }, body: `Subject: ${id}\r\n\r\nwaiting\r\n` });
      expect(r.code).toBe(250);
    }
    await new Promise((r) => setTimeout(r, 600)); // a few failed attempts
    relay1.kill('SIGKILL');
    await new Promise((r) => relay1.once('exit', r));
    sink = await startSink(sinkPort);
    const relay2 = startRelay(port, sinkPort, spool, backoff);
    void relay2;
    const subjects = (): Set<string> => new Set(sink!.messages.map((m) => /Subject: (\S+)/.exec(m.body.toString('latin1'))?.[1] ?? ''));
    await waitFor(() => ids.every((id) => subjects().has(id)), 30_000, 'every message at the sink');
    const dups = sink.messages.length - new Set(sink.messages.map((m) => m.body.toString('latin1'))).size;
    console.log(`next hop down + kill -9: ${ids.length} accepted, all delivered once the next hop was up (${dups} duplicates)`);
  });
});
