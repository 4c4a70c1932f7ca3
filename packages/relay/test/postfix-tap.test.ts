// Postfix's tools through the netlayers transport: the relay runs on our stack
// over a TAP device whose kernel side lives in a network namespace this test
// creates (198.18.0.1 kernel, 198.18.0.2 our stack); smtp-source (4 sessions,
// 500 messages of 100 KiB) and smtp-sink run inside the namespace on kernel
// sockets. Exactly 500 arrive; a sample is byte-exact apart from the relay's
// Received: header. Zero-copy forwarding and spool acceptance, as a mail
// operator would run it. Needs root and /dev/net/tun (CI has both: missing
// prerequisites fail there).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tapSupport } from '@netlayers/netdev-tap';
import { createTapNetns, KERNEL_ADDR, OUR_ADDR, type TapNetns } from '@netlayers/netdev-tap/testing';
import { createRelay, type Relay } from '../src/index.js';
import { requireTool, waitFor } from './helpers.js';
import { dumpedFiles, dumpedMessage, SMTP_SINK, SMTP_SOURCE, stripField } from './postfix-tools.js';

const source = requireTool(SMTP_SOURCE);
const sinkTool = requireTool(SMTP_SINK);
const why = process.getuid?.() !== 0 ? 'needs root' : tapSupport().ok ? undefined : tapSupport().reason;
if (why !== undefined && process.env.CI === 'true') throw new Error(`postfix-tap: ${why} (CI must provide root and /dev/net/tun)`);

let relay: Relay | undefined;
let tap: TapNetns | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await relay?.close();
  tap?.destroy();
  relay = undefined;
  tap = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o777); // smtp-sink runs as nobody
  dirs.push(d);
  return d;
}

describe.skipIf(source === undefined || sinkTool === undefined || why !== undefined)('Postfix smtp-source → relay on our stack over TAP → smtp-sink', () => {
  it('500 messages of 100 KiB over 4 sessions, zero-copy: exactly 500 arrive, sample byte-exact', async () => {
    const dump = tmp('nl-tsink-');
    const spool = tmp('nl-tspool-');
    tap = createTapNetns({ offloads: true, rxHeadroom: 192 });
    const t = tap;
    const sinkProc = t.spawn(sinkTool!, ['-u', 'nobody', '-d', `${dump}/%H/`, `${KERNEL_ADDR}:2526`, '256']);
    let sinkErr = '';
    sinkProc.stderr?.on('data', (d: Buffer) => (sinkErr += d.toString()));
    await new Promise((r) => setTimeout(r, 300)); // smtp-sink prints nothing when ready
    expect(sinkProc.exitCode, sinkErr).toBeNull();
    relay = createRelay({
      transport: 'netlayers',
      stack: t.host.tcp,
      forward: 'zerocopy',
      listen: `${OUR_ADDR}:25`,
      nextHop: `${KERNEL_ADDR}:2526`,
      accept: 'spool',
      spool,
      mynetworks: ['198.18.0.0/24'],
      logger: false,
      hostname: 'relay.test',
    });
    await relay.listen();
    const src = ['-f', 'from@src.test', '-t', 'to@dst.test', `${OUR_ADDR}:25`];
    await t.exec(source!, ['-s', '4', '-m', '500', '-l', '102400', ...src], { timeoutMs: 180_000 });
    await waitFor(() => relay!.stats().delivered === 500, 90_000, '500 deliveries');
    await relay.idle();
    const files = dumpedFiles(dump);
    expect(files).toHaveLength(500);
    expect(relay.stats()).toMatchObject({ received: 500, delivered: 500, queued: 0, bounced: 0 });
    const msgFile = join(tmp('nl-tmsg-'), 'm.txt');
    const text = 'Subject: sample\n\n.leading dot\n..two dots\n.\nline ' + 'x'.repeat(900) + '\nend\n';
    writeFileSync(msgFile, text);
    const before = new Set(files);
    await t.exec(source!, ['-F', msgFile, '-m', '3', ...src], { timeoutMs: 30_000 });
    await waitFor(() => relay!.stats().delivered === 503, 30_000, 'three more deliveries');
    const fresh = dumpedFiles(dump).filter((f) => !before.has(f));
    expect(fresh).toHaveLength(3);
    for (const f of fresh) {
      const got = dumpedMessage(f);
      expect(got, JSON.stringify(got.slice(0, 300))).toMatch(/^Received: from \S+ \(\[198\.18\.0\.1\]\)\n\tby relay\.test \(netlayers-relay\) with E?SMTP id [0-9A-F]+\n\tfor <to@dst\.test>;\n/);
      expect(stripField(got, 'Received').replace(/\n+$/, '\n')).toBe(text);
    }
    console.log(`TAP relay: 503 messages relayed; relay bytesCopied ${relay.stats().bytesCopied} (${JSON.stringify(relay.stats().copies)})`);
  }, 300_000);
});
