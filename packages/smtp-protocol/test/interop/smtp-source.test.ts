// Postfix's smtp-source (a load generator written against Postfix's own
// smtpd) against our createServer: parallel sessions, several recipients,
// connection reuse (-d), and a pre-formatted message with dot lines (-F).
// The counts our hooks saw must match what smtp-source was told to send.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST, SMTP_SOURCE, findTool, runProcess, startOurServer } from './helpers.js';
import type { OurServer } from './helpers.js';

const hasSource = findTool(SMTP_SOURCE) !== undefined;
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (!hasSource)) throw new Error('smtp-source required under CI=true');
let server: OurServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Wait (bounded) until the server saw `n` closes, so counts are final. */
async function settled(s: OurServer, closes: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (s.counts.close < closes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe.skipIf(!hasSource)('smtp-source against createServer', () => {
  it('3 parallel sessions, 12 messages of 3000 octets, 2 recipients each', async () => {
    server = await startOurServer();
    const s = server;
    const r = await runProcess(
      SMTP_SOURCE,
      ['-s', '3', '-m', '12', '-r', '2', '-l', '3000', '-M', 'src.example', '-f', 'sender@src.example', '-t', 'rcpt@dst.example', '-S', 'load', `${HOST}:${s.port}`],
      { timeoutMs: 30_000 },
    );
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    await settled(s, 12);
    // Without -d every message has its own session.
    expect(s.counts).toMatchObject({ connect: 12, mail: 12, rcpt: 24, data: 12, close: 12 });
    expect(s.counts.ehlo).toBeGreaterThanOrEqual(12);
    expect(s.messages).toHaveLength(12);
    for (const m of s.messages) {
      expect(m.from).toBe('sender@src.example');
      expect(m.to).toHaveLength(2);
      for (const t of m.to) expect(t).toMatch(/rcpt@dst\.example$/);
      // Received: header + smtp-source headers + 3000 payload octets.
      expect(m.content.length).toBeGreaterThan(3000);
      expect(m.content.toString('latin1')).toContain('Subject: load');
    }
  });

  it('-d reuses each connection for several messages', async () => {
    server = await startOurServer();
    const s = server;
    const r = await runProcess(SMTP_SOURCE, ['-d', '-s', '2', '-m', '10', '-l', '500', '-M', 'src.example', `${HOST}:${s.port}`], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    await settled(s, 2);
    expect(s.counts.data).toBe(10);
    expect(s.messages).toHaveLength(10);
    // Two sessions carried the ten messages (RSET-free reuse: MAIL after the 250).
    expect(s.counts.connect).toBe(2);
    expect(s.counts.close).toBe(2);
  });

  it('-F: a pre-formatted message with dot lines arrives byte-exact (unstuffed)', async () => {
    server = await startOurServer();
    const s = server;
    dir = mkdtempSync(join(tmpdir(), 'nl-source-'));
    const file = join(dir, 'msg.txt');
    writeFileSync(file, 'Subject: dots\n\n.leading\n.\n..two\nend\n');
    const r = await runProcess(SMTP_SOURCE, ['-F', file, '-m', '2', '-M', 'src.example', `${HOST}:${s.port}`], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    await settled(s, 2);
    expect(s.messages).toHaveLength(2);
    for (const m of s.messages) {
      expect(m.content.toString('latin1')).toContain('Subject: dots\r\n\r\n.leading\r\n.\r\n..two\r\nend\r\n');
    }
  });
});
