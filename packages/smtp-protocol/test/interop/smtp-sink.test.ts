// Our client (sendMail / sendMailDetailed over node:net) against Postfix's
// smtp-sink: normal delivery checked through smtp-sink's dump file, then every
// failure smtp-sink can inject — soft (-r) and hard (-f) rejections, silent
// disconnects (-q) and 421-and-disconnect (-Q) after each command — each of
// which must surface as the right reply code / error code, quickly, never a hang.
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpError, SmtpReplyError, sendMail, sendMailDetailed } from '../../src/index.js';
import type { ClientTimeouts } from '../../src/index.js';
import { HOST, SMTP_SINK, findTool, sinkRecords, startSmtpSink } from './helpers.js';
import type { SmtpSink } from './helpers.js';

const hasSink = findTool(SMTP_SINK) !== undefined;
// Under CI a missing real peer is a failure, never a skip (scripts/install-system-deps.sh installs it).
if (process.env.CI === 'true' && (!hasSink)) throw new Error('smtp-sink required under CI=true');
/** Short client timers: a hang would show up as ERR_SMTP_TIMEOUT, not as a stuck test. */
const TIMEOUTS: ClientTimeouts = { greeting: 5000, command: 5000, mail: 5000, rcpt: 5000, dataInit: 5000, dataBlock: 5000, dataTermination: 5000 };
const ENVELOPE = { from: 'alice@x.example', to: ['bob@y.example', 'carol@y.example'] };
const BODY = 'Subject: sink\r\n\r\n.leading\r\n.\r\n..two\r\nend\r\n';

let sink: SmtpSink | undefined;
afterEach(async () => {
  await sink?.stop();
  sink = undefined;
});

async function outcome(args: readonly string[]): Promise<{ ok: boolean; code: number | undefined; errCode: string | undefined; command: string | undefined; ms: number }> {
  sink = await startSmtpSink(args);
  const t0 = Date.now();
  try {
    const r = await sendMail({ host: HOST, port: sink.port, envelope: ENVELOPE, body: BODY, timeouts: TIMEOUTS });
    return { ok: true, code: r.code, errCode: undefined, command: undefined, ms: Date.now() - t0 };
  } catch (e) {
    expect(e).toBeInstanceOf(SmtpError);
    const err = e as SmtpError;
    return {
      ok: false,
      code: err.reply?.code,
      errCode: err.code,
      command: err instanceof SmtpReplyError ? err.command : undefined,
      ms: Date.now() - t0,
    };
  }
}

describe.skipIf(!hasSink)('our client against Postfix smtp-sink', () => {
  it('delivers with PIPELINING; smtp-sink stored the envelope and the unstuffed body', async () => {
    sink = await startSmtpSink([], { dump: true });
    const to = Array.from({ length: 150 }, (_, i) => `r${i}@y.example`);
    const big = `${'z'.repeat(998)}\r\n`.repeat(1024);
    const r = await sendMailDetailed({ host: HOST, port: sink.port, envelope: { from: 'alice@x.example', to }, body: BODY + big, timeouts: TIMEOUTS });
    expect(r.reply.code).toBe(250);
    expect(r.accepted).toHaveLength(150);
    expect(r.rejected).toEqual([]);
    const deadline = Date.now() + 3000;
    let recs = sinkRecords(sink.dumpFile as string);
    while (recs.length === 0 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 20));
      recs = sinkRecords(sink.dumpFile as string);
    }
    expect(recs).toHaveLength(1);
    const rec = recs[0] as string;
    expect(rec).toContain('X-Mail-Args: <alice@x.example>');
    expect([...rec.matchAll(/^X-Rcpt-Args: <r\d+@y\.example>/gm)]).toHaveLength(150);
    // smtp-sink unstuffs and writes text lines with LF: our dot-stuffing was right.
    expect(rec).toContain('Subject: sink\n\n.leading\n.\n..two\nend\n');
    expect(rec.split('\n').filter((l) => l === 'z'.repeat(998))).toHaveLength(1024);
  });

  const cases: { args: string[]; code: number; errCode: string; command?: RegExp }[] = [
    { args: ['-r', 'MAIL'], code: 450, errCode: 'ERR_SMTP_REJECTED', command: /^MAIL FROM/ },
    { args: ['-f', 'MAIL'], code: 500, errCode: 'ERR_SMTP_REJECTED', command: /^MAIL FROM/ },
    { args: ['-r', 'RCPT'], code: 450, errCode: 'ERR_SMTP_REJECTED', command: /^RCPT TO/ },
    { args: ['-f', 'RCPT'], code: 500, errCode: 'ERR_SMTP_REJECTED', command: /^RCPT TO/ },
    { args: ['-r', 'DATA'], code: 450, errCode: 'ERR_SMTP_REJECTED', command: /^DATA/ },
    { args: ['-f', 'DATA'], code: 500, errCode: 'ERR_SMTP_REJECTED', command: /^DATA/ },
    { args: ['-r', '.'], code: 450, errCode: 'ERR_SMTP_REJECTED', command: /end of data/ },
    { args: ['-f', '.'], code: 500, errCode: 'ERR_SMTP_REJECTED', command: /end of data/ },
    { args: ['-r', 'EHLO'], code: 450, errCode: 'ERR_SMTP_REJECTED', command: /^EHLO/ },
    // Dropped connections are reported as 451 (RFC 5321 §3.8).
    { args: ['-q', 'CONNECT'], code: 451, errCode: 'ERR_SMTP_CONNECTION_CLOSED' },
    { args: ['-q', 'EHLO'], code: 451, errCode: 'ERR_SMTP_CONNECTION_CLOSED' },
    { args: ['-q', 'MAIL'], code: 451, errCode: 'ERR_SMTP_CONNECTION_CLOSED' },
    { args: ['-q', 'RCPT'], code: 451, errCode: 'ERR_SMTP_CONNECTION_CLOSED' },
    { args: ['-q', 'DATA'], code: 451, errCode: 'ERR_SMTP_CONNECTION_CLOSED' },
    { args: ['-q', '.'], code: 451, errCode: 'ERR_SMTP_CONNECTION_CLOSED' },
    // 421 then close: the client reports the server's 421.
    { args: ['-Q', 'CONNECT'], code: 421, errCode: 'ERR_SMTP_REJECTED', command: /greeting/ },
    { args: ['-Q', 'EHLO'], code: 421, errCode: 'ERR_SMTP_REJECTED', command: /^EHLO/ },
    { args: ['-Q', 'MAIL', '-p'], code: 421, errCode: 'ERR_SMTP_REJECTED', command: /^MAIL FROM/ },
    { args: ['-Q', 'RCPT', '-p'], code: 421, errCode: 'ERR_SMTP_REJECTED', command: /^RCPT TO/ },
    { args: ['-Q', 'DATA'], code: 421, errCode: 'ERR_SMTP_REJECTED', command: /^DATA/ },
    { args: ['-Q', '.'], code: 421, errCode: 'ERR_SMTP_REJECTED', command: /end of data/ },
  ];

  it.each(cases)('smtp-sink $args: the client reports $code ($errCode)', async ({ args, code, errCode, command }) => {
    const o = await outcome(args);
    expect(o.ok).toBe(false);
    expect(o.code).toBe(code);
    expect(o.errCode).toBe(errCode);
    if (command !== undefined) expect(o.command).toMatch(command);
    // Reported from what the server did, not from a client timer expiring.
    expect(o.errCode).not.toBe('ERR_SMTP_TIMEOUT');
  });

  // Regression: before d5995df the pipelined group was written command by
  // command, the RCPT hit the RST that followed smtp-sink's 421, and the client
  // reported 451 "write EPIPE" instead of the 421 it had received.
  it('smtp-sink -Q MAIL / -Q RCPT with PIPELINING: the client reports the 421 it received (5 runs each)', async () => {
    for (const args of [['-Q', 'MAIL'], ['-Q', 'RCPT']]) {
      for (let i = 0; i < 5; i++) {
        const o = await outcome(args);
        await sink?.stop();
        sink = undefined;
        expect(o.code, `smtp-sink ${args.join(' ')} run ${i}`).toBe(421);
        expect(o.errCode).toBe('ERR_SMTP_REJECTED');
      }
    }
  });

  it('smtp-sink -A 1 (550 one second after 354, input no longer read): SmtpReplyError 550, no hang', async () => {
    const o = await outcome(['-A', '1']);
    expect(o.code).toBe(550);
    expect(o.errCode).toBe('ERR_SMTP_REJECTED');
  });

  // Regression: before 456a8e7, smtp-sink -A 0 ("354 …" then at once "550
  // This violates SMTP") made the client fail with ERR_SMTP_BAD_REPLY
  // "unexpected reply 550 with no command pending" and no reply (14 of 15
  // runs), because the 550 arrived before the client queued the end-of-data
  // expectation. Several runs: it was timing-dependent.
  //
  // smtp-sink sends that 550 with FIN and, as the body is still arriving
  // unread, an RST right after (seen with tcpdump). With a large body the
  // client's next write can hit the reset before the 550 is read, and the
  // client then reports the connection loss (451, RFC 5321 §3.8) — allowed,
  // but it is not the reply the server sent: see CONFORMANCE.md ("open").
  it('smtp-sink -A 0 (550 right after 354): 550 for a 1 KB body; 550 or 451 connection loss for 8 MiB — never a protocol error', async () => {
    for (const size of [1000, 1000, 1000, 8 << 20, 8 << 20]) {
      sink = await startSmtpSink(['-A', '0']);
      const err = await sendMail({
        host: HOST,
        port: sink.port,
        envelope: ENVELOPE,
        body: `${'x'.repeat(size - 2)}\r\n`,
        timeouts: { ...TIMEOUTS, dataBlock: 2000, dataTermination: 2000 },
      }).then(
        () => undefined,
        (e: unknown) => e as SmtpError,
      );
      await sink.stop();
      sink = undefined;
      const got = `${err?.code} ${err?.reply?.code}`;
      if (size === 1000) expect(got, `body ${size}`).toBe('ERR_SMTP_REJECTED 550');
      else expect(['ERR_SMTP_REJECTED 550', 'ERR_SMTP_CONNECTION_CLOSED 451'], `body ${size}`).toContain(got);
    }
  });

  it('smtp-sink ignoring failures of QUIT/EHLO-fallback still delivers', async () => {
    for (const args of [['-f', 'QUIT'], ['-q', 'QUIT'], ['-f', 'EHLO']]) {
      const o = await outcome(args);
      expect(o.ok, `smtp-sink ${args.join(' ')}`).toBe(true);
      expect(o.code).toBe(250);
      await sink?.stop();
      sink = undefined;
    }
  });

  it('a server that stalls before answering DATA trips the client timer (451 ERR_SMTP_TIMEOUT), no hang', async () => {
    sink = await startSmtpSink(['-w', '30']);
    const err = await sendMail({
      host: HOST,
      port: sink.port,
      envelope: ENVELOPE,
      body: BODY,
      // smtp-sink may hold the MAIL/RCPT replies back with the DATA reply
      // (one pipelined read), so whichever per-command timer runs must fire.
      timeouts: { ...TIMEOUTS, mail: 500, rcpt: 500, dataInit: 500 },
    }).then(
      () => undefined,
      (e: unknown) => e as SmtpError,
    );
    expect(err).toBeInstanceOf(SmtpError);
    expect(err?.code).toBe('ERR_SMTP_TIMEOUT');
    expect(err?.reply?.code).toBe(451);
  });
});
