// runSmtpConformance against three servers — ours (createServer), nodemailer's
// smtp-server and Postfix's smtp-sink — and the comparison table published in
// CONFORMANCE.md. The table in the file must match what the suite measures
// today; regenerate it with NETLAYERS_UPDATE_CONFORMANCE=1 npx vitest run test/interop/conformance.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatConformanceTable, runSmtpConformance } from '../../src/testing/index.js';
import type { ConformanceReport, SmtpConformanceOptions } from '../../src/testing/index.js';
import {
  HOST, SMTP_SINK, findTool, inspectorFor, sinkInspector, startNodemailerServer, startOurServer, startSmtpSink,
} from './helpers.js';
import type { NodemailerServer, OurServer, SmtpSink } from './helpers.js';

const CONFORMANCE_MD = fileURLToPath(new URL('../../CONFORMANCE.md', import.meta.url));
const hasSink = findTool(SMTP_SINK) !== undefined;
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (!hasSink)) throw new Error('smtp-sink required under CI=true');
/** Both servers get the same SIZE limit so the SIZE items apply. */
const SIZE = 100_000;
/**
 * Generous bounds: the table must not change because CI is loaded (a slow
 * second reply would otherwise look like "one reply").
 */
const COMMON: Omit<SmtpConformanceOptions, 'host' | 'port'> = {
  timeoutMs: 30_000,
  replyTimeoutMs: 5_000,
  quietMs: 250,
  maxRecipientsProbe: 300,
  totalTimeoutMs: 110_000,
};

const reports: Record<string, ConformanceReport> = {};
let ours: OurServer | undefined;
let nm: NodemailerServer | undefined;
let sink: SmtpSink | undefined;

beforeAll(async () => {
  ours = await startOurServer({ size: SIZE });
  nm = await startNodemailerServer({ size: SIZE });
  if (hasSink) sink = await startSmtpSink([], { dump: true });
});

afterAll(async () => {
  await Promise.allSettled([ours?.close(), nm?.close(), sink?.stop()]);
});

describe('runSmtpConformance against real servers', () => {
  it('netlayers createServer passes every applicable item', async () => {
    const s = ours as OurServer;
    const r = await runSmtpConformance({ host: HOST, port: s.port, inspect: inspectorFor(s.messages), ...COMMON });
    reports['netlayers'] = r;
    const failed = r.items.filter((i) => i.status !== 'pass');
    // Every item applies to our server (all extensions on, SIZE set, inspect given).
    expect(failed, JSON.stringify(failed, null, 1)).toEqual([]);
    expect(r.passed).toBe(r.items.length);
  }, 150_000);

  it("nodemailer's smtp-server: report complete, and its known deviations are detected", async () => {
    const s = nm as NodemailerServer;
    const r = await runSmtpConformance({ host: HOST, port: s.port, inspect: inspectorFor(s.messages), ...COMMON });
    reports['smtp-server'] = r;
    expect(r.items.length).toBeGreaterThan(60);
    const status = (id: string) => r.items.find((i) => i.id === id)?.status;
    // smtp-server has no CHUNKING: those items are n/a, never pass/fail.
    expect(status('bdat-exact-octets')).toBe('n/a');
    // It accepts DATA with an argument (354) — RFC 5321 §4.3.2 says 501.
    expect(status('data-with-args-501')).toBe('fail');
    // Size is declared (552 on MAIL SIZE=) but not enforced on the data itself.
    expect(status('size-declared-over-552')).toBe('pass');
    expect(status('size-enforced-552')).toBe('fail');
    expect(r.passed + r.failed + r.skipped).toBe(r.items.length);
  }, 150_000);

  it.skipIf(!hasSink)("Postfix smtp-sink: report complete, and its known deviations are detected", async () => {
    const s = sink as SmtpSink;
    const r = await runSmtpConformance({ host: HOST, port: s.port, inspect: sinkInspector(s.dumpFile as string), ...COMMON });
    reports['smtp-sink'] = r;
    const status = (id: string) => r.items.find((i) => i.id === id)?.status;
    // smtp-sink does not advertise SIZE.
    expect(status('size-enforced-552')).toBe('n/a');
    // Dot-unstuffing seen through its -D dump.
    expect(status('dot-unstuffing')).toBe('pass');
    // It accepts anything as a MAIL argument.
    expect(status('bad-mail-syntax-501')).toBe('fail');
  }, 150_000);

  it('CONFORMANCE.md publishes the table measured here', () => {
    const names = ['netlayers', 'smtp-server', 'smtp-sink'].filter((n) => reports[n] !== undefined);
    expect(names).toContain('netlayers');
    const ordered: Record<string, ConformanceReport> = {};
    for (const n of names) ordered[n] = reports[n] as ConformanceReport;
    const table = formatConformanceTable(ordered);
    const md = readFileSync(CONFORMANCE_MD, 'utf8');
    const start = '<!-- conformance-table:start -->';
    const end = '<!-- conformance-table:end -->';
    const a = md.indexOf(start);
    const b = md.indexOf(end);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).toBeGreaterThan(a);
    if (process.env.NETLAYERS_UPDATE_CONFORMANCE === '1' && names.length === 3) {
      const details = renderFailures(ordered);
      let out = `${md.slice(0, a + start.length)}\n${table}${md.slice(b)}`;
      const ds = '<!-- conformance-details:start -->';
      const de = '<!-- conformance-details:end -->';
      const x = out.indexOf(ds);
      const y = out.indexOf(de);
      if (x >= 0 && y > x) out = `${out.slice(0, x + ds.length)}\n${details}${out.slice(y)}`;
      writeFileSync(CONFORMANCE_MD, out);
      return;
    }
    const published = md.slice(a + start.length, b).trim();
    if (names.length === 3) {
      expect(published, 'CONFORMANCE.md is stale: rerun with NETLAYERS_UPDATE_CONFORMANCE=1').toBe(table.trim());
      return;
    }
    // Without smtp-sink (tool missing), compare the columns that were measured.
    const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
    const [header, , ...rows] = published.split('\n');
    const measured = table.trim().split('\n').slice(2);
    const heads = cells(header ?? '');
    for (const n of names) {
      const col = heads.indexOf(n);
      const mcol = 2 + names.indexOf(n);
      expect(col, `column ${n} in CONFORMANCE.md`).toBeGreaterThan(1);
      for (const line of measured) {
        const m = cells(line);
        const row = rows.find((r) => cells(r)[0] === m[0]);
        expect(row, `row ${m[0]} in CONFORMANCE.md`).toBeDefined();
        expect(cells(row ?? '')[col], `${n} ${m[0]}`).toBe(m[mcol]);
      }
    }
  });
});

/** Every non-pass item per server, with the suite's detail (what was sent and received). */
function renderFailures(reports: Record<string, ConformanceReport>): string {
  let out = '';
  for (const [name, r] of Object.entries(reports)) {
    const bad = r.items.filter((i) => i.status === 'fail' || i.status === 'skip');
    out += `\n#### ${name}: ${r.passed} pass, ${r.failed} fail, ${r.skipped} skip or n/a\n\n`;
    if (bad.length === 0) {
      out += 'No failures.\n';
      continue;
    }
    for (const i of bad) out += `- **${i.status}** \`${i.id}\` (${i.section}): ${i.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')}\n`;
  }
  return out;
}
