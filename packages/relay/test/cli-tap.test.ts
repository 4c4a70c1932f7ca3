// The CLI's `--transport netlayers`: `netlayers-relay` brings our stack up on a
// TAP interface it creates; the test moves that interface into a network
// namespace of its own (198.18.0.1 there, 198.18.0.2 our stack), where swaks
// sends and smtp-sink receives on kernel sockets. Needs root, /dev/net/tun,
// swaks and smtp-sink (CI has them all: missing ones fail there).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tapSupport } from '@netlayers/netdev-tap';
import { requireTool, waitFor } from './helpers.js';
import { dumpedFiles, dumpedMessage, SMTP_SINK } from './postfix-tools.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const swaks = requireTool('swaks');
const sinkTool = requireTool(SMTP_SINK);
const why = process.getuid?.() !== 0 ? 'needs root' : tapSupport().ok ? undefined : tapSupport().reason;
if (why !== undefined && process.env.CI === 'true') throw new Error(`cli-tap: ${why} (CI must provide root and /dev/net/tun)`);

const ns = `nl-cli-${process.pid}`;
const dev = `nlc${process.pid % 100000}`;
const procs: ChildProcess[] = [];
const dirs: string[] = [];
const ip = (...a: string[]): string => execFileSync('ip', a, { encoding: 'utf8', timeout: 10_000 });

afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
  try {
    ip('netns', 'del', ns);
  } catch {
    /* not created */
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(why !== undefined || swaks === undefined || sinkTool === undefined)('netlayers-relay --transport netlayers (TAP)', () => {
  it('relays swaks → our stack → smtp-sink inside a namespace', async () => {
    const dump = mkdtempSync(join(tmpdir(), 'nl-cli-sink-'));
    const spool = mkdtempSync(join(tmpdir(), 'nl-cli-spool-'));
    chmodSync(dump, 0o777);
    dirs.push(dump, spool);
    ip('netns', 'add', ns);
    const relay = spawn(process.execPath, ['--import', 'tsx', '--conditions=@netlayers/source', cli, '--transport', 'netlayers', '--forward', 'zerocopy', '--tap-dev', dev, '--tap-addr', '198.18.0.2/24', '--listen', '198.18.0.2:25', '--next-hop', '198.18.0.1:2526', '--mynetworks', '198.18.0.0/24', '--spool', spool, '--hostname', 'relay.test', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(relay);
    let err = '';
    relay.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    // the relay creates the TAP interface: then it moves into the namespace (the fd keeps working)
    await waitFor(() => ip('-o', 'link', 'show').includes(`${dev}:`) || relay.exitCode !== null, 20_000, 'the TAP interface');
    expect(relay.exitCode, err).toBeNull();
    ip('link', 'set', dev, 'netns', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', '198.18.0.1/24', 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up');
    const sink = spawn('ip', ['netns', 'exec', ns, sinkTool!, '-u', 'nobody', '-d', `${dump}/%H/`, '198.18.0.1:2526', '64'], { stdio: 'ignore' });
    procs.push(sink);
    await new Promise((r) => setTimeout(r, 300));
    const out = execFileSync('ip', ['netns', 'exec', ns, swaks!, '--server', '198.18.0.2:25', '--from', 'a@src.test', '--to', 'b@dst.test', '--body', 'hello through the TAP', '--timeout', '20'], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/<- {2}250 /);
    // smtp-sink creates the dump file before it has written it: wait for the whole message
    const complete = (): boolean => dumpedFiles(dump).length === 1 && dumpedMessage(dumpedFiles(dump)[0]!).includes('hello through the TAP');
    await waitFor(complete, 20_000, 'the message at smtp-sink');
    const got = dumpedMessage(dumpedFiles(dump)[0]!);
    expect(got).toMatch(/^Received: from \S+ \(\[198\.18\.0\.1\]\)\n\tby relay\.test \(netlayers-relay\)/);
    expect(got).toMatch(/hello through the TAP/);
    relay.kill('SIGTERM');
    await waitFor(() => relay.exitCode !== null, 20_000, 'the relay to stop');
    expect(relay.exitCode, err).toBe(0);
  }, 120_000);
});
