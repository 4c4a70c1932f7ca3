// The conformance suite judged against deliberately broken servers: it must
// detect their violations (so it can fail), report `n/a` for extensions they
// do not offer, and finish within its time bounds when a server is silent,
// never greets, or is not there at all.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SMTP_CONFORMANCE_ITEMS, formatConformanceTable, runSmtpConformance } from './index.js';
import type { ConformanceReport } from './index.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function listen(onConn: (s: Socket) => void): Promise<number> {
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onConn(s);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const a = srv.address();
  return typeof a === 'object' && a !== null ? a.port : 0;
}

/**
 * A sloppy server: splits lines on bare LF, says 250 to anything it does not
 * know, accepts DATA with arguments, ends data at "\n.\n" as well.
 */
function sloppy(s: Socket): void {
  s.write('220 sloppy.test ESMTP\r\n');
  let buf = '';
  let inData = false;
  s.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    for (;;) {
      if (inData) {
        const m = /(^|\n)\.\r?\n/.exec(buf);
        if (m === null) return;
        buf = buf.slice(m.index + m[0].length);
        inData = false;
        s.write('250 queued\r\n');
        continue;
      }
      const i = buf.indexOf('\n');
      if (i < 0) return;
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') s.write('250-sloppy.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n');
      else if (verb === 'DATA') {
        inData = true;
        s.write('354 go\r\n');
      } else if (verb === 'QUIT') {
        s.end('221 bye\r\n');
        return;
      } else s.write('250 ok\r\n');
    }
  });
}

/** Tight bounds, for servers that never answer (the run time is the point). */
const FAST = { timeoutMs: 2000, replyTimeoutMs: 300, quietMs: 100 };
/** Roomy bounds, for servers that do answer (verdicts must not depend on load). */
const ROOMY = { timeoutMs: 10_000, replyTimeoutMs: 3000, quietMs: 150 };

describe('runSmtpConformance judging broken servers', () => {
  it('detects a sloppy server’s violations and marks unoffered extensions n/a', async () => {
    const port = await listen(sloppy);
    const r = await runSmtpConformance({
      host: '127.0.0.1',
      port,
      ...ROOMY,
      only: [
        'greeting-220', 'bare-lf-command', 'lf-dot-lf-not-end', 'unknown-command-500', 'rset-with-args-501',
        'data-with-args-501', 'rcpt-before-mail-503', 'unknown-mail-param-555', 'size-declared-over-552',
        'size-enforced-552', 'bdat-exact-octets', 'smtputf8-param', 'dot-unstuffing', 'quit-221-close',
      ],
    });
    const st = Object.fromEntries(r.items.map((i) => [i.id, i.status]));
    expect(st).toEqual({
      'greeting-220': 'pass',
      'bare-lf-command': 'fail',
      'lf-dot-lf-not-end': 'fail',
      'unknown-command-500': 'fail',
      'rset-with-args-501': 'fail',
      'data-with-args-501': 'fail',
      'rcpt-before-mail-503': 'fail',
      'unknown-mail-param-555': 'fail',
      'size-declared-over-552': 'fail',
      'size-enforced-552': 'fail',
      'bdat-exact-octets': 'n/a',
      'smtputf8-param': 'n/a',
      'dot-unstuffing': 'skip',
      'quit-221-close': 'pass',
    });
    expect(r.failed).toBe(9);
    expect(r.passed).toBe(2);
    expect(r.skipped).toBe(3);
    const lf = r.items.find((i) => i.id === 'bare-lf-command');
    expect(lf?.detail).toContain('2 replies');
  });

  it('finishes within its bounds against a server that stops answering (or never ends a multi-line reply)', async () => {
    const port = await listen((s) => {
      s.write('220 mute.test\r\n');
      s.on('data', (d: Buffer) => {
        const t = d.toString('latin1');
        if (t.startsWith('EHLO')) s.write('250-mute.test\r\n250 PIPELINING\r\n');
        else if (t.startsWith('NOOP')) s.write('250-this line never ends the reply\r\n');
        // everything else: silence
      });
    });
    const only = ['one-reply-per-command', 'helo', 'recipients-100', 'pipelining-group', 'quit-221-close'];
    const t0 = Date.now();
    const r = await runSmtpConformance({ host: '127.0.0.1', port, ...FAST, only });
    const took = Date.now() - t0;
    expect(r.items.map((i) => i.status)).toEqual(['fail', 'fail', 'fail', 'fail', 'fail']);
    for (const i of r.items) expect(i.detail).toMatch(/no reply|did not finish/);
    // 5 scenarios bounded by 2 s each, plus the capability probe (and slack
    // for a loaded machine): without the bounds a mute server would hang it.
    expect(took).toBeLessThan(5 * 2000 + 5000);
  });

  it('fails every item quickly when the server never greets, or is not there', async () => {
    const port = await listen(() => undefined);
    const r = await runSmtpConformance({ host: '127.0.0.1', port, ...FAST });
    expect(r.items).toHaveLength(SMTP_CONFORMANCE_ITEMS.length);
    expect(r.failed).toBe(r.items.length);
    expect(r.items[0]?.detail).toMatch(/no greeting/);

    const closed = await listen(() => undefined);
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((res) => s.close(() => res()))));
    for (const s of sockets) s.destroy();
    const r2 = await runSmtpConformance({ host: '127.0.0.1', port: closed, ...FAST, only: ['greeting-220'] });
    expect(r2.items).toHaveLength(1);
    expect(r2.items[0]?.status).toBe('fail');
    expect(r2.items[0]?.detail).toMatch(/cannot connect/);
  });

  it('honours totalTimeoutMs and exclude', async () => {
    const port = await listen(sloppy);
    // totalTimeoutMs 0: a deadline already reached (1 ms raced the capability probe on a fast machine)
    const r = await runSmtpConformance({ host: '127.0.0.1', port, ...ROOMY, totalTimeoutMs: 0, exclude: ['greeting-220'] });
    expect(r.items.every((i) => i.status === 'skip')).toBe(true);
  });

  it('validates its arguments', async () => {
    await expect(runSmtpConformance({ host: '', port: 25 })).rejects.toBeInstanceOf(TypeError);
    await expect(runSmtpConformance({ host: '127.0.0.1', port: 70000 })).rejects.toBeInstanceOf(RangeError);
  });

  it('formats a comparison table (item × server)', () => {
    const mk = (status: 'pass' | 'fail'): ConformanceReport => ({
      target: 'x',
      items: [{ id: 'a', section: 'RFC 1', title: 't', status, detail: '' }],
      passed: status === 'pass' ? 1 : 0,
      failed: status === 'fail' ? 1 : 0,
      skipped: 0,
    });
    const t = formatConformanceTable({ one: mk('pass'), two: mk('fail') });
    expect(t).toBe('| item | section | one | two |\n|---|---|---|---|\n| `a` | RFC 1 | ✓ | ✗ |\n| **total** | | 1✓ 0✗ | 0✓ 1✗ |\n');
  });

  it('lists unique item ids', () => {
    const ids = SMTP_CONFORMANCE_ITEMS.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(60);
  });
});
