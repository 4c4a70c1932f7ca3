// Postfix's own load tools around the relay: smtp-source (4 sessions, 500
// messages of 100 KiB) → relay (kernel transport, spool) → smtp-sink. Exactly
// 500 messages arrive; a sample is byte-exact apart from the relay's
// Received: header. Also: mail for a next hop that answers 4xx waits in the
// spool and is delivered once the next hop recovers.
import { mkdirSync, mkdtempSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from '../src/index.js';
import { HOST, requireTool, waitFor } from './helpers.js';
import { dumpedFiles, dumpedMessage, run, SMTP_SINK, SMTP_SOURCE, startSmtpSink, stripField, type SinkProc } from './postfix-tools.js';
import { freePort } from './ports.js';

const source = requireTool(SMTP_SOURCE);
const sinkTool = requireTool(SMTP_SINK);

let relay: Relay | undefined;
let sink: SinkProc | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await relay?.close();
  await sink?.stop();
  relay = undefined;
  sink = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o777); // smtp-sink runs as nobody under root
  dirs.push(d);
  return d;
}

describe.skipIf(source === undefined || sinkTool === undefined)('Postfix smtp-source → relay → smtp-sink', () => {
  it('500 messages of 100 KiB over 4 sessions: exactly 500 arrive, sample byte-exact', async () => {
    const dump = tmp('nl-sink-');
    const spool = tmp('nl-spool-');
    const sinkPort = await freePort();
    sink = await startSmtpSink(sinkPort, dump);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${sinkPort}`, accept: 'spool', spool, logger: false, hostname: 'relay.test' });
    const { port } = await relay.listen();
    const r = await run(source!, ['-s', '4', '-m', '500', '-l', '102400', '-f', 'from@src.test', '-t', 'to@dst.test', `${HOST}:${port}`], 120_000);
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(() => relay!.stats().delivered === 500, 60_000, '500 deliveries');
    await relay.idle();
    const files = dumpedFiles(dump);
    expect(files).toHaveLength(500);
    expect(relay.stats()).toMatchObject({ received: 500, delivered: 500, queued: 0, bounced: 0 });
    // byte-exact sample: a message with dot lines sent with -F
    const msgFile = join(tmp('nl-msg-'), 'm.txt');
    const text = 'Subject: sample\n\n.leading dot\n..two dots\n.\nline ' + 'x'.repeat(900) + '\nend\n';
    writeFileSync(msgFile, text);
    const before = new Set(files);
    const r2 = await run(source!, ['-F', msgFile, '-m', '3', '-f', 'from@src.test', '-t', 'to@dst.test', `${HOST}:${port}`], 30_000);
    expect(r2.code, r2.stderr).toBe(0);
    await waitFor(() => relay!.stats().delivered === 503, 30_000, 'three more deliveries');
    expect(dumpedFiles(dump)).toHaveLength(503);
    for (const f of dumpedFiles(dump).filter((f) => !before.has(f))) {
      const got = dumpedMessage(f);
      expect(got, JSON.stringify(got.slice(0, 300))).toMatch(/^Received: from \S+ \(\[127\.0\.0\.1\]\)\n\tby relay\.test \(netlayers-relay\) with E?SMTP id [0-9A-F]+\n\tfor <to@dst\.test>;\n/);
      expect(stripField(got, 'Received').replace(/\n+$/, '\n')).toBe(text);
    }
  });

  it('a next hop answering 4xx: mail waits in the spool, then arrives', async () => {
    const dump = tmp('nl-sink-');
    const spool = tmp('nl-spool-');
    const sinkPort = await freePort();
    sink = await startSmtpSink(sinkPort, dump, ['-r', 'rcpt']);
    relay = createRelay({ listen: `${HOST}:0`, nextHop: `${HOST}:${sinkPort}`, accept: 'spool', spool, logger: false, minBackoffMs: 200, maxBackoffMs: 400 });
    const { port } = await relay.listen();
    const r = await run(source!, ['-m', '5', '-l', '2000', `${HOST}:${port}`], 30_000);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(() => relay!.stats().deferred >= 5, 10_000, 'deferrals');
    expect(dumpedFiles(dump)).toHaveLength(0);
    await sink.stop();
    mkdirSync(dump, { recursive: true });
    sink = await startSmtpSink(sinkPort, dump);
    await waitFor(() => relay!.stats().delivered === 5, 20_000, 'late deliveries');
    expect(dumpedFiles(dump)).toHaveLength(5);
  });
});
