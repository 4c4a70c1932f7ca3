/**
 * `runSmtpConformance`: a black-box SMTP conformance suite. It plays the
 * scenarios of the netlayers SMTP checklist (RFC 5321, 1870, 2920, 3030,
 * 6531, 3463) against any server over raw `node:net` sockets — never through
 * this package's client — and reports pass / fail / skip / n/a per item.
 *
 * Every scenario is bounded (`timeoutMs`, default 10 s) and every
 * connection it opened is destroyed when it ends, so the suite never hangs
 * on a silent or half-broken server. Scenarios run one after the other.
 */
import { ProbeConnection, showReply } from './probe.js';
import type { ProbeReply } from './probe.js';
import { ScenarioContext, ScenarioStop, parseCapabilities, resolveOptions } from './context.js';
import type { Capabilities, Outcome } from './context.js';
import { rfc5321Scenarios } from './scenarios-5321.js';
import { extensionScenarios, replyFormatScenario } from './scenarios-ext.js';
import type { Scenario } from './scenario.js';
import type { ConformanceItem, ConformanceReport, SmtpConformanceOptions } from './types.js';

/** Every scenario, in run order (the aggregate reply-format check last). */
const SCENARIOS: readonly Scenario[] = [...rfc5321Scenarios, ...extensionScenarios, replyFormatScenario];

/** Identifier, section and title of every item the suite checks, in order. */
export const SMTP_CONFORMANCE_ITEMS: readonly { readonly id: string; readonly section: string; readonly title: string }[] =
  SCENARIOS.map(({ id, section, title }) => ({ id, section, title }));

/**
 * Run the conformance suite against the SMTP server at `host:port`.
 *
 * @param options - target, time bounds, envelope addresses the server
 *   accepts, and an optional `inspect` callback that returns what the server
 *   received (enables the items that need it; they are `skip` otherwise).
 * @returns a report with one item per checklist scenario; it never rejects
 *   because of the server's behaviour (an unreachable server fails every item).
 * @example
 * ```ts
 * import { runSmtpConformance } from '@netlayers/smtp-protocol/testing';
 * const report = await runSmtpConformance({ host: '127.0.0.1', port: 2525 });
 * for (const i of report.items) console.log(i.status, i.id, i.detail);
 * ```
 */
export async function runSmtpConformance(options: SmtpConformanceOptions): Promise<ConformanceReport> {
  if (typeof options.host !== 'string' || options.host.length === 0) throw new TypeError('runSmtpConformance: host must be a non-empty string');
  if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
    throw new RangeError(`runSmtpConformance: port must be an integer in 1..65535, got ${options.port}`);
  }
  const opts = resolveOptions(options);
  const deadline = Date.now() + (options.totalTimeoutMs ?? Number.POSITIVE_INFINITY);
  const target = `${opts.host}:${opts.port}`;
  const items: ConformanceItem[] = [];
  const allReplies: ProbeReply[] = [];
  const push = (item: ConformanceItem) => {
    items.push(item);
    options.onItem?.(item);
  };

  const selected = SCENARIOS.filter((s) => options.only === undefined || options.only.includes(s.id));
  const probe = await probeCapabilities(opts.host, opts.port, opts.replyTimeoutMs);
  if (typeof probe === 'string') {
    for (const s of selected) push({ id: s.id, section: s.section, title: s.title, status: 'fail', detail: probe });
    return summarize(target, items);
  }

  for (const s of selected) {
    if (Date.now() >= deadline) {
      push({ id: s.id, section: s.section, title: s.title, status: 'skip', detail: `not run: totalTimeoutMs (${options.totalTimeoutMs} ms) reached` });
      continue;
    }
    if (options.exclude?.includes(s.id)) {
      push({ id: s.id, section: s.section, title: s.title, status: 'skip', detail: 'excluded by options' });
      continue;
    }
    const ctx = new ScenarioContext(opts, probe, allReplies);
    const reason = s.applies?.(probe, ctx);
    if (reason !== undefined) {
      push({ id: s.id, section: s.section, title: s.title, status: 'n/a', detail: reason });
      continue;
    }
    const outcome = await runBounded(s, ctx, Math.max(1, Math.min(opts.timeoutMs, deadline - Date.now())));
    push({ id: s.id, section: s.section, title: s.title, status: outcome.status, detail: outcome.detail });
  }
  return summarize(target, items);
}

/** Run one scenario with a hard time bound; always closes its connections. */
async function runBounded(s: Scenario, ctx: ScenarioContext, timeoutMs: number): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'fail', detail: `scenario did not finish within ${timeoutMs} ms` }), timeoutMs);
  });
  const play = s.run(ctx).then(
    (o) => o,
    (e: unknown): Outcome => {
      if (e instanceof ScenarioStop) return { status: e.status, detail: e.detail };
      return { status: 'fail', detail: `scenario error: ${e instanceof Error ? e.message : String(e)}` };
    },
  );
  try {
    return await Promise.race([play, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    ctx.close();
    // Let the losing promise settle quietly (its connections are destroyed).
    void play.catch(() => undefined);
  }
}

/** Greeting + EHLO once, to learn the extensions; a string is a failure detail. */
async function probeCapabilities(host: string, port: number, timeoutMs: number): Promise<Capabilities | string> {
  let c: ProbeConnection;
  try {
    c = await ProbeConnection.connect(host, port, timeoutMs);
  } catch (e) {
    return `cannot connect to ${host}:${port}: ${(e as Error).message}`;
  }
  try {
    const g = await c.read(timeoutMs);
    if (g.kind !== 'reply') return `no greeting (${g.kind})`;
    if (g.reply.code !== 220) return `greeting is not 220: ${showReply(g.reply)}`;
    c.write('EHLO conformance.invalid\r\n');
    const e = await c.read(timeoutMs);
    if (e.kind !== 'reply') return `no reply to EHLO (${e.kind})`;
    if (e.reply.code !== 250) return new Map();
    c.write('QUIT\r\n');
    await c.read(Math.min(timeoutMs, 500));
    return parseCapabilities(e.reply);
  } finally {
    c.destroy();
  }
}

function summarize(target: string, items: readonly ConformanceItem[]): ConformanceReport {
  const passed = items.filter((i) => i.status === 'pass').length;
  const failed = items.filter((i) => i.status === 'fail').length;
  return { target, items, passed, failed, skipped: items.length - passed - failed };
}

/**
 * Render several reports side by side as a Markdown table (item × server),
 * with ✓ pass, ✗ fail, – n/a and `skip`.
 *
 * @param reports - column title → report, in column order.
 */
export function formatConformanceTable(reports: Readonly<Record<string, ConformanceReport>>): string {
  const names = Object.keys(reports);
  const ids: { id: string; section: string; title: string }[] = [];
  for (const r of Object.values(reports)) {
    for (const i of r.items) if (!ids.some((x) => x.id === i.id)) ids.push({ id: i.id, section: i.section, title: i.title });
  }
  const mark = (s: string | undefined) => (s === 'pass' ? '✓' : s === 'fail' ? '✗' : s === 'n/a' ? '–' : s === 'skip' ? 'skip' : ' ');
  const head = `| item | section | ${names.join(' | ')} |\n|---|---|${names.map(() => '---').join('|')}|\n`;
  const rows = ids.map(({ id, section }) => {
    const cells = names.map((n) => mark(reports[n]?.items.find((i) => i.id === id)?.status));
    return `| \`${id}\` | ${section} | ${cells.join(' | ')} |`;
  });
  const totals = names.map((n) => {
    const r = reports[n];
    return r === undefined ? '' : `${r.passed}✓ ${r.failed}✗`;
  });
  return `${head}${rows.join('\n')}\n| **total** | | ${totals.join(' | ')} |\n`;
}
