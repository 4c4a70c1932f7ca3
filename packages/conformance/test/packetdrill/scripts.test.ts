// Runs every packetdrill script under shared/conformance/packetdrill (or
// $PACKETDRILL_SCRIPTS) against our stack. The outcome of each script is
// pinned: a script that passed and now does not is a regression; a script that
// newly passes must be added to PASSING (and removed from the README's list
// of non-passing scripts). Under CI=true, missing scripts fail the suite.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { defaultSkbPool } from '@netlayers/skbuff';
import { describe, expect, it } from 'vitest';
import { runScriptText } from '../../src/index.js';

const ROOT = resolve(__dirname, '../..', process.env.PACKETDRILL_SCRIPTS ?? '../../../shared/conformance/packetdrill');

/** Scripts that PASS today (paths relative to ROOT). */
const PASSING = [
  'google/packetdrill/tests/linux/packetdrill/socket_err.pkt',
  'google/tcp/blocking/blocking-accept.pkt',
  'google/tcp/blocking/blocking-connect.pkt',
  'google/tcp/close/close-local-close-then-remote-fin.pkt',
  'google/tcp/close/close-on-syn-sent.pkt',
  'google/tcp/eor/no-coalesce-small.pkt',
  'google/tcp/fast_recovery/prr-ss-30pkt-lost1_4.pkt',
  'google/tcp/fast_retransmit/fr-4pkt-sack.pkt',
  'google/tcp/fast_retransmit/fr-4pkt.pkt',
  'google/tcp/limited_transmit/limited-transmit-no-sack.pkt',
  'google/tcp/nagle/sockopt_cork_nodelay.pkt',
  'google/tcp/shutdown/shutdown-rd-close.pkt',
  'google/tcp/shutdown/shutdown-rdwr-close.pkt',
  'google/tcp/ts_recent/invalid_ack.pkt',
  'linux/tcp_basic_client.pkt',
  'linux/tcp_basic_server.pkt',
  'linux/tcp_close_no_rst.pkt',
  'linux/tcp_disorder_fin_in_FIN_WAIT.pkt',
  'linux/tcp_dsack_mult.pkt',
  'linux/tcp_rcv_zero_wnd_fin.pkt',
];

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.pkt') ? [p] : [];
    });
}

const present = existsSync(ROOT);
const ci = process.env.CI === 'true';

describe('shared packetdrill scripts', () => {
  it.runIf(!present && ci)('are present (CI=true)', () => {
    expect.fail(`packetdrill scripts not found at ${ROOT} (set PACKETDRILL_SCRIPTS)`);
  });
  it.skipIf(!present)('run, and exactly the pinned scripts pass; none crashes', () => {
    const files = walk(ROOT);
    expect(files.length).toBeGreaterThanOrEqual(20);
    const live = defaultSkbPool.stats().live;
    const results = files.map((f) => runScriptText(readFileSync(f, 'utf8'), relative(ROOT, f)));
    expect(defaultSkbPool.stats().live, 'every skb the runs allocated is freed').toBe(live);
    for (const r of results) {
      expect(r.reason, r.path).not.toMatch(/^runner error/);
      expect(['PASS', 'FAIL', 'SKIP']).toContain(r.status);
      if (r.status !== 'PASS') expect(r.line, `${r.path} names its line`).toBeTypeOf('number');
      expect(r.virtualMs, r.path).toBeLessThan(600_000);
    }
    const passing = results.filter((r) => r.status === 'PASS').map((r) => r.path);
    const summary = results.map((r) => `${r.status} ${r.path} ${r.reason}`).join('\n');
    expect(passing, summary).toEqual(PASSING);
  });
});
