/**
 * Conformance scenarios for the extensions: SIZE (RFC 1870), PIPELINING
 * (RFC 2920), CHUNKING/BINARYMIME (RFC 3030), SMTPUTF8 (RFC 6531) and
 * enhanced status codes (RFC 3463 / RFC 2034). Each applies only when the
 * server advertises the extension; otherwise it reports `n/a`.
 * @internal
 */
import { fail, inspectedBodyLines, notApplicable, pass, skip, tokenMessage } from './context.js';
import type { ScenarioContext, Session } from './context.js';
import { show, showReply } from './probe.js';
import type { ProbeReply } from './probe.js';
import { dataExchange, domainOf, needs, sizeLimit, stillAlive, want } from './scenario.js';
import type { Scenario } from './scenario.js';

/** Read `n` replies (pipelined group), failing on timeout/close. */
async function readN(ctx: ScenarioContext, s: Session, n: number, what: string): Promise<ProbeReply[]> {
  const out: ProbeReply[] = [];
  for (let i = 0; i < n; i++) out.push(await ctx.reply(s.conn, `${what} (reply ${i + 1} of ${n})`));
  return out;
}

function checkGroup(replies: readonly ProbeReply[], expected: readonly (readonly number[])[], lines: readonly string[]): void {
  replies.forEach((r, i) => {
    const e = expected[i] ?? [];
    if (!e.includes(r.code)) {
      fail(
        `pipelined group ${lines.map((l) => show(l, 30)).join(' | ')}: reply ${i + 1} (${show(lines[i] ?? '', 30)}) is ${showReply(r)}, expected ${e.join('/')}; ` +
          `all codes: ${replies.map((x) => x.code).join(', ')}`,
      );
    }
  });
}

/**
 * A content of exactly `n` octets (unstuffed), CRLF-terminated 100-octet
 * lines; with `dotted`, every full line starts with "." (101 octets on the
 * wire once stuffed).
 */
function contentOfSize(n: number, dotted: boolean): string {
  const line = dotted ? `.${'d'.repeat(97)}\r\n` : `${'o'.repeat(98)}\r\n`;
  let full = Math.floor(n / 100);
  let rem = n - full * 100;
  if (rem === 1) {
    full -= 1;
    rem += 100;
  }
  return line.repeat(Math.max(0, full)) + (rem >= 2 ? `${'f'.repeat(rem - 2)}\r\n` : '');
}

function stuff(content: string): string {
  return content.replace(/(^|\r\n)\./g, '$1..');
}

/** Size limit to probe against, or a reason the item does not apply. */
function probeLimit(ctx: ScenarioContext): number {
  const lim = sizeLimit(ctx.caps);
  if (lim === undefined) notApplicable('server does not advertise SIZE');
  if (lim === null || lim === 0) notApplicable(`SIZE advertised without a limit (${lim === 0 ? '0' : 'no value'})`);
  if (lim > ctx.opts.maxSizeProbe) notApplicable(`SIZE limit ${lim} is above maxSizeProbe (${ctx.opts.maxSizeProbe})`);
  return lim;
}

const ENH = /^([245])\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})(?: |$)/;

export const extensionScenarios: readonly Scenario[] = [
  // ---------------------------------------------------------------- SIZE
  {
    id: 'size-ehlo-value',
    section: 'RFC 1870 §4',
    title: 'The EHLO `SIZE` keyword has no value or `1*20DIGIT` (0 = no limit)',
    applies: needs('SIZE'),
    async run(ctx) {
      const p = ctx.caps.get('SIZE') ?? [];
      if (p.length > 1 || (p[0] !== undefined && !/^\d{1,20}$/.test(p[0]))) fail(`EHLO line "SIZE ${p.join(' ')}"`);
      return pass(`SIZE ${p.join(' ') || '(no value)'}`);
    },
  },
  {
    id: 'size-declared-within-limit',
    section: 'RFC 1870 §6',
    title: '`MAIL FROM:<…> SIZE=100` is accepted',
    applies: needs('SIZE'),
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}> SIZE=100`, [250]);
      return pass(showReply(r));
    },
  },
  {
    id: 'size-declared-over-552',
    section: 'RFC 1870 §6.1',
    title: 'A declared SIZE above the limit gets 552 at MAIL',
    applies: needs('SIZE'),
    async run(ctx) {
      const lim = sizeLimit(ctx.caps);
      if (lim === null || lim === undefined || lim === 0) notApplicable('SIZE advertised without a limit');
      const s = await ctx.session();
      const line = `MAIL FROM:<${ctx.opts.mailFrom}> SIZE=${lim + 1}`;
      const r = await ctx.expect(s.conn, line, [552]);
      return pass(`SIZE=${lim + 1} -> ${showReply(r)}`);
    },
  },
  {
    id: 'size-enforced-552',
    section: 'RFC 1870 §6.3; RFC 5321 §4.5.3.1.9',
    title: 'Content of limit+1 octets (none declared) gets 552 after the data, and the session stays in sync',
    applies: needs('SIZE'),
    async run(ctx) {
      const lim = probeLimit(ctx);
      const s = await ctx.transaction();
      const content = contentOfSize(lim + 1, false);
      if (content.length !== lim + 1) fail(`internal: built ${content.length} octets for limit ${lim}`);
      const r = await dataExchange(ctx, s, `${content}.\r\n`);
      if (r.code >= 200 && r.code < 300) fail(`a message of ${lim + 1} octets (limit ${lim}) was accepted: ${showReply(r)}`);
      want(r, [552], `${lim + 1}-octet message with SIZE ${lim}`);
      if (!s.conn.closed) await stillAlive(ctx, s, 'oversized data');
      return pass(`${lim + 1} octets -> ${showReply(r)}`);
    },
  },
  {
    id: 'size-counts-unstuffed',
    section: 'RFC 1870 §1, §6.3',
    title: 'Size counts content octets without doubled dots or the final dot: exactly the limit is accepted',
    applies: needs('SIZE'),
    async run(ctx) {
      const lim = probeLimit(ctx);
      const content = contentOfSize(lim, true);
      const wire = stuff(content);
      const s = await ctx.transaction(1, ` SIZE=${lim}`);
      const r = await dataExchange(ctx, s, `${wire}.\r\n`);
      if (r.code !== 250) {
        fail(`content of exactly ${lim} octets (${wire.length} on the wire with doubled dots, + ".\\r\\n") -> ${showReply(r)}; size must exclude doubled dots and the terminator`);
      }
      return pass(`${lim} octets (${wire.length + 3} on the wire) -> ${showReply(r)}`);
    },
  },
  {
    id: 'size-not-end-of-content',
    section: 'RFC 1870 §6.3',
    title: 'The declared SIZE is not used to find the end of the content',
    applies: needs('SIZE'),
    async run(ctx) {
      const s = await ctx.transaction(1, ' SIZE=20');
      await ctx.expect(s.conn, 'DATA', [354]);
      s.conn.write('abcdefghijklmnopqr\r\n'); // exactly 20 octets
      await ctx.expectSilence(s.conn, '20 octets with SIZE=20 (no terminator yet)');
      s.conn.write('more than declared\r\n.\r\n');
      const r = await ctx.reply(s.conn, '(end of data)');
      await stillAlive(ctx, s, 'end of data');
      return pass(`no reply before the terminator; then ${showReply(r)}`);
    },
  },
  {
    id: 'size-param-syntax',
    section: 'RFC 1870 §6; RFC 5321 §4.1.4',
    title: 'A malformed `SIZE=` value gets 501 and starts no transaction',
    applies: needs('SIZE'),
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}> SIZE=12ab`, [501, 555]);
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      return pass(showReply(r));
    },
  },
  // ---------------------------------------------------------- PIPELINING
  {
    id: 'pipelining-group',
    section: 'RFC 2920 §3.1',
    title: 'MAIL, RCPT, RCPT, DATA sent in one write get four replies in order',
    applies: needs('PIPELINING'),
    async run(ctx) {
      const s = await ctx.session();
      const lines = [`MAIL FROM:<${ctx.opts.mailFrom}>`, `RCPT TO:<${ctx.opts.recipient(0)}>`, `RCPT TO:<${ctx.opts.recipient(1)}>`, 'DATA'];
      s.conn.write(lines.map((l) => `${l}\r\n`).join(''));
      const rs = await readN(ctx, s, 4, 'pipelined group');
      checkGroup(rs, [[250], [250, 251], [250, 251], [354]], lines);
      s.conn.write(`${tokenMessage(ctx.token(), 'pipelined\r\n')}.\r\n`);
      want(await ctx.reply(s.conn, '(end of data)'), [250], 'end of data');
      return pass(`codes ${rs.map((r) => r.code).join(', ')}, data 250`);
    },
  },
  {
    id: 'pipelining-statuses',
    section: 'RFC 2920 §3.1, §3.2',
    title: 'A group (RSET, MAIL, bad RCPT, good RCPT, DATA) gets the same statuses as the commands sent one by one',
    applies: needs('PIPELINING'),
    async run(ctx) {
      const lines = ['RSET', `MAIL FROM:<${ctx.opts.mailFrom}>`, 'RCPT TO:<broken@', `RCPT TO:<${ctx.opts.recipient(0)}>`, 'DATA'];
      const serial = await ctx.session();
      const one: number[] = [];
      for (const l of lines) one.push((await ctx.cmd(serial.conn, l)).code);
      serial.conn.destroy();
      const s = await ctx.session();
      s.conn.write(lines.map((l) => `${l}\r\n`).join(''));
      const rs = await readN(ctx, s, lines.length, 'pipelined group');
      checkGroup(rs, one.map((c) => [c]), lines);
      if (rs[4]?.code === 354) {
        s.conn.write(`${tokenMessage(ctx.token(), 'statuses\r\n')}.\r\n`);
        want(await ctx.reply(s.conn, '(end of data)'), [250], 'end of data');
      }
      return pass(`serial and pipelined codes ${rs.map((r) => r.code).join(', ')}`);
    },
  },
  {
    id: 'pipelining-no-input-lost',
    section: 'RFC 2920 §3.2 (7)–(9)',
    title: 'A 62-command group (MAIL, 60 RCPT, NOOP) in one write gets 62 replies without more input',
    applies: needs('PIPELINING'),
    async run(ctx) {
      const s = await ctx.session();
      const lines = [`MAIL FROM:<${ctx.opts.mailFrom}>`];
      for (let i = 0; i < 60; i++) lines.push(`RCPT TO:<${ctx.opts.recipient(i)}>`);
      lines.push('NOOP');
      s.conn.write(lines.map((l) => `${l}\r\n`).join(''));
      const rs = await readN(ctx, s, lines.length, 'pipelined group of 62');
      checkGroup(rs, lines.map((l) => (l.startsWith('RCPT') ? [250, 251] : [250])), lines);
      await ctx.expectSilence(s.conn, 'the 62 replies');
      return pass('62 replies in order');
    },
  },
  {
    id: 'pipelining-flush-on-empty-input',
    section: 'RFC 2920 §3.2 (7), (8)',
    title: 'An unfinished group (MAIL, RCPT — no DATA) is answered without waiting for more commands',
    applies: needs('PIPELINING'),
    async run(ctx) {
      const s = await ctx.session();
      const lines = [`MAIL FROM:<${ctx.opts.mailFrom}>`, `RCPT TO:<${ctx.opts.recipient(0)}>`];
      s.conn.write(lines.map((l) => `${l}\r\n`).join(''));
      const rs = await readN(ctx, s, 2, 'group without its last command');
      checkGroup(rs, [[250], [250, 251]], lines);
      return pass(`codes ${rs.map((r) => r.code).join(', ')} without further input`);
    },
  },
  {
    id: 'pipelining-after-data',
    section: 'RFC 2920 §3.1; RFC 5321 §4.1.1.4',
    title: 'Commands in the same write as the end of data are answered in order (`.` 250, MAIL, RCPT, DATA)',
    applies: needs('PIPELINING'),
    async run(ctx) {
      const s = await ctx.transaction();
      await ctx.expect(s.conn, 'DATA', [354]);
      const next = [`MAIL FROM:<${ctx.opts.mailFrom}>`, `RCPT TO:<${ctx.opts.recipient(0)}>`, 'DATA'];
      s.conn.write(`${tokenMessage(ctx.token(), 'first\r\n')}.\r\n${next.map((l) => `${l}\r\n`).join('')}`);
      const rs = await readN(ctx, s, 4, 'end of data + pipelined MAIL/RCPT/DATA');
      checkGroup(rs, [[250], [250], [250, 251], [354]], ['(end of data)', ...next]);
      s.conn.write(`${tokenMessage(ctx.token(), 'second\r\n')}.\r\n`);
      want(await ctx.reply(s.conn, '(end of second data)'), [250], 'end of second data');
      return pass(`codes ${rs.map((r) => r.code).join(', ')}, second message 250`);
    },
  },
  {
    id: 'pipelining-large-burst',
    section: 'RFC 2920 §3.2 (9)',
    title: '5000 pipelined RSETs (30 KB in one write) get 5000 replies: no input flushed or lost',
    applies: needs('PIPELINING'),
    async run(ctx) {
      const s = await ctx.session();
      const n = 5000;
      s.conn.write('RSET\r\n'.repeat(n));
      for (let i = 0; i < n; i++) {
        const r = await ctx.reply(s.conn, `RSET #${i + 1} of ${n}`);
        if (r.code !== 250) fail(`RSET #${i + 1} of ${n} -> ${showReply(r)}`);
      }
      await stillAlive(ctx, s, `${n} RSETs`);
      return pass(`${n} × 250`);
    },
  },
  // ------------------------------------------------------------ CHUNKING
  {
    id: 'bdat-exact-octets',
    section: 'RFC 3030 §2',
    title: 'BDAT reads exactly the announced octets; `CRLF.CRLF` inside a chunk ends nothing',
    applies: needs('CHUNKING'),
    async run(ctx) {
      const s = await ctx.transaction();
      const token = ctx.token();
      const c1 = tokenMessage(token, 'first\r\n.\r\n..dots\r\n');
      s.conn.write(`BDAT ${Buffer.byteLength(c1, 'latin1')}\r\n${c1}`);
      const r1 = await ctx.reply(s.conn, `BDAT ${c1.length}`);
      want(r1, [250], `BDAT ${c1.length} + chunk containing "\\r\\n.\\r\\n"`);
      await ctx.expectSilence(s.conn, 'first BDAT chunk');
      const c2 = 'last line\r\n';
      s.conn.write(`BDAT ${c2.length} LAST\r\n${c2}`);
      want(await ctx.reply(s.conn, `BDAT ${c2.length} LAST`), [250], `BDAT ${c2.length} LAST`);
      await stillAlive(ctx, s, 'BDAT LAST');
      return pass('two chunks, one 250 each, session in sync');
    },
  },
  {
    id: 'bdat-pipelined',
    section: 'RFC 3030 §4.2',
    title: 'Several BDAT chunks in one write (incl. `BDAT 0 LAST`) get one 250 each',
    applies: needs('CHUNKING'),
    async run(ctx) {
      const s = await ctx.transaction();
      const c1 = tokenMessage(ctx.token(), 'one\r\n');
      const c2 = 'BDAT 9999\r\n'; // looks like a command, is content
      s.conn.write(`BDAT ${c1.length}\r\n${c1}BDAT ${c2.length}\r\n${c2}BDAT 0 LAST\r\n`);
      const rs = await readN(ctx, s, 3, 'three pipelined BDAT');
      checkGroup(rs, [[250], [250], [250]], [`BDAT ${c1.length}`, `BDAT ${c2.length}`, 'BDAT 0 LAST']);
      await stillAlive(ctx, s, 'BDAT 0 LAST');
      return pass('250, 250, 250; session in sync');
    },
  },
  {
    id: 'bdat-size-enforced',
    section: 'RFC 3030 §2; RFC 1870 §6.3',
    title: 'BDAT chunks adding up to limit+1 octets get 552, and the session stays in sync',
    applies: (caps) => (caps.has('CHUNKING') ? (caps.has('SIZE') ? undefined : 'server does not advertise SIZE') : 'server does not advertise CHUNKING'),
    async run(ctx) {
      const lim = probeLimit(ctx);
      const s = await ctx.transaction();
      const half = Math.floor((lim + 1) / 2);
      const c1 = 'b'.repeat(half);
      const c2 = 'c'.repeat(lim + 1 - half);
      s.conn.write(`BDAT ${c1.length}\r\n${c1}BDAT ${c2.length} LAST\r\n${c2}`);
      const r1 = await ctx.reply(s.conn, `BDAT ${c1.length}`);
      const r2 = r1.code === 250 ? await ctx.reply(s.conn, `BDAT ${c2.length} LAST`) : undefined;
      const last = r2 ?? r1;
      if (last.code >= 200 && last.code < 300) fail(`${lim + 1} octets in two BDAT chunks (limit ${lim}) accepted: ${showReply(last)}`);
      want(last, [552], `BDAT total ${lim + 1} octets with SIZE ${lim}`);
      if (r2 === undefined) {
        // Rejected at the first chunk: the second BDAT must still be read (and refused), not run as text.
        const r3 = await ctx.reply(s.conn, `BDAT ${c2.length} LAST after an error`);
        if (r3.code < 400) fail(`BDAT after a 552 -> ${showReply(r3)}`);
      }
      await stillAlive(ctx, s, 'oversized BDAT');
      return pass(`${r1.code}${r2 ? `, ${r2.code}` : ''}`);
    },
  },
  {
    id: 'bdat-no-unstuffing',
    section: 'RFC 3030 §2',
    title: 'BDAT content is stored verbatim: no dot-unstuffing (inspect)',
    applies: needs('CHUNKING'),
    async run(ctx) {
      if (ctx.opts.inspect === undefined) skip('needs the `inspect` option to see what the server received');
      const s = await ctx.transaction();
      const token = ctx.token();
      const c = tokenMessage(token, 'first\r\n.\r\n..dots\r\n.x\r\n');
      s.conn.write(`BDAT ${c.length} LAST\r\n${c}`);
      want(await ctx.reply(s.conn, 'BDAT LAST'), [250], 'BDAT LAST');
      const got = inspectedBodyLines(await ctx.inspected(token), token);
      const expected = ['first', '.', '..dots', '.x'];
      if (got?.join('\n') !== expected.join('\n')) fail(`sent ${JSON.stringify(expected)} in BDAT, server stored ${JSON.stringify(got)}`);
      return pass(`stored ${JSON.stringify(got)}`);
    },
  },
  {
    id: 'bdat-then-data-503',
    section: 'RFC 3030 §2',
    title: 'DATA after BDAT in the same transaction gets 503',
    applies: needs('CHUNKING'),
    async run(ctx) {
      const s = await ctx.transaction();
      s.conn.write('BDAT 7\r\nhello\r\n');
      want(await ctx.reply(s.conn, 'BDAT 7'), [250], 'BDAT 7');
      const r = await ctx.cmd(s.conn, 'DATA');
      if (r.code === 354) fail('DATA after BDAT -> 354');
      want(r, [503], 'DATA after BDAT');
      await ctx.expect(s.conn, 'RSET', [250]);
      return pass(showReply(r));
    },
  },
  {
    id: 'bdat-error-discards-chunk',
    section: 'RFC 3030 §2, §4.2',
    title: 'A BDAT that gets an error reply still has its chunk read and discarded',
    applies: needs('CHUNKING'),
    async run(ctx) {
      const s = await ctx.session();
      const chunk = 'NOOP\r\nNOOP\r\n';
      const raw = `BDAT ${chunk.length}\r\n${chunk}`;
      s.conn.write(raw);
      const r = await ctx.reply(s.conn, 'BDAT without MAIL');
      if (r.code < 400) fail(`BDAT without a transaction -> ${showReply(r)}`);
      await ctx.expectSilence(s.conn, `rejected BDAT whose chunk is "${show(chunk)}" (chunk run as commands?)`);
      await stillAlive(ctx, s, 'rejected BDAT');
      return pass(`${showReply(r)}; chunk discarded`);
    },
  },
  {
    id: 'binarymime-requires-bdat',
    section: 'RFC 3030 §3',
    title: 'With BODY=BINARYMIME, DATA is refused (BDAT only)',
    applies: needs('BINARYMIME'),
    async run(ctx) {
      const s = await ctx.transaction(1, ' BODY=BINARYMIME');
      const r = await ctx.cmd(s.conn, 'DATA');
      if (r.code === 354) fail('DATA in a BODY=BINARYMIME transaction -> 354');
      if (r.code < 500) fail(`DATA in a BODY=BINARYMIME transaction -> ${showReply(r)} (expected 5yz)`);
      return pass(showReply(r));
    },
  },
  // ------------------------------------------------------------ SMTPUTF8
  {
    id: 'smtputf8-param',
    section: 'RFC 6531 §3.4',
    title: '`MAIL FROM:<UTF-8 address> SMTPUTF8` (no value) is accepted',
    applies: needs('SMTPUTF8'),
    async run(ctx) {
      const s = await ctx.session();
      const from = `δοκιμή.用户@${domainOf(ctx.opts.mailFrom)}`;
      const r = await ctx.expect(s.conn, `MAIL FROM:<${from}> SMTPUTF8`, [250]);
      await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}>`, [250, 251]);
      const d = await dataExchange(ctx, s, Buffer.from(`Subject: δοκιμή\r\nFrom: ${from}\r\n\r\nutf8 ✓\r\n.\r\n`, 'utf8'));
      want(d, [250], 'end of UTF-8 data');
      return pass(`${showReply(r)}; data ${d.code}`);
    },
  },
  {
    id: 'smtputf8-value-rejected',
    section: 'RFC 6531 §3.4',
    title: '`SMTPUTF8=value` is rejected (501/555)',
    applies: needs('SMTPUTF8'),
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}> SMTPUTF8=YES`, [501, 555]);
      return pass(showReply(r));
    },
  },
  {
    id: 'smtputf8-implies-8bitmime',
    section: 'RFC 6531 §3.1 (8)',
    title: 'A server offering SMTPUTF8 also offers 8BITMIME',
    applies: needs('SMTPUTF8'),
    async run(ctx) {
      if (!ctx.caps.has('8BITMIME')) fail('SMTPUTF8 advertised without 8BITMIME');
      return pass('SMTPUTF8 and 8BITMIME advertised');
    },
  },
  {
    id: 'utf8-address-needs-smtputf8',
    section: 'RFC 6531 (X.6.7); RFC 5321 §4.1.2',
    title: 'A non-ASCII address without the SMTPUTF8 parameter is refused (553, X.6.7 with enhanced codes)',
    async run(ctx) {
      const s = await ctx.session();
      const line = `MAIL FROM:<δοκιμή@${domainOf(ctx.opts.mailFrom)}>`;
      const r = await ctx.cmd(s.conn, line);
      if (r.code >= 200 && r.code < 300) fail(`${show(line)} (no SMTPUTF8 parameter) -> ${showReply(r)}`);
      if (r.code < 500) fail(`${show(line)} -> ${showReply(r)} (expected 553/501)`);
      if (s.caps.has('ENHANCEDSTATUSCODES') && s.caps.has('SMTPUTF8')) {
        const m = ENH.exec(r.texts[0] ?? '');
        if (m === null || m[2] !== '6' || m[3] !== '7') fail(`${show(line)} -> ${showReply(r)}: expected enhanced code 5.6.7`);
      }
      return pass(showReply(r));
    },
  },
  // ----------------------------------------------------------------- DSN
  {
    id: 'dsn-params-accepted',
    section: 'RFC 3461 §4.1–4.4',
    title: 'DSN parameters (RET, ENVID, NOTIFY, ORCPT) are accepted on MAIL/RCPT',
    applies: needs('DSN'),
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}> RET=HDRS ENVID=QQ314159+2B1`, [250]);
      await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;${ctx.opts.recipient(0)}`, [250, 251]);
      await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(1)}> NOTIFY=NEVER`, [250, 251]);
      const d = await dataExchange(ctx, s, `${tokenMessage(ctx.token(), 'dsn\r\n')}.\r\n`);
      want(d, [250], 'end of data');
      return pass('RET, ENVID, NOTIFY, ORCPT accepted; data 250');
    },
  },
  {
    id: 'dsn-notify-syntax',
    section: 'RFC 3461 §4.1',
    title: '`NOTIFY=NEVER,SUCCESS` (NEVER must be alone) gets 501',
    applies: needs('DSN'),
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      const r = await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}> NOTIFY=NEVER,SUCCESS`, [501]);
      return pass(showReply(r));
    },
  },
  // ---------------------------------------------------- ENHANCEDSTATUSCODES
  {
    id: 'enhanced-code-format',
    section: 'RFC 3463 §2; RFC 2034 §3',
    title: 'Every reply after EHLO (but 354) starts each line with `class.subject.detail` matching its class',
    applies: needs('ENHANCEDSTATUSCODES'),
    async run(ctx) {
      const s = await ctx.session();
      const replies: [string, ProbeReply][] = [];
      const run = async (l: string) => {
        replies.push([l, await ctx.cmd(s.conn, l)]);
      };
      for (const l of [`MAIL FROM:<${ctx.opts.mailFrom}>`, `RCPT TO:<${ctx.opts.recipient(0)}>`, 'NOOP', 'RSET', 'XNLBOGUS', `RCPT TO:<${ctx.opts.recipient(0)}>`, 'MAIL FROM:<broken@', 'RSET x']) {
        await run(l);
      }
      await run(`MAIL FROM:<${ctx.opts.mailFrom}>`);
      await run(`RCPT TO:<${ctx.opts.recipient(0)}>`);
      const d = await dataExchange(ctx, s, `${tokenMessage(ctx.token(), 'enh\r\n')}.\r\n`);
      replies.push(['(end of data)', d]);
      await run('QUIT');
      const bad: string[] = [];
      for (const [l, r] of replies) {
        if (Math.floor(r.code / 100) === 3) continue;
        r.texts.forEach((t, i) => {
          const m = ENH.exec(t);
          if (m === null) bad.push(`${show(l, 30)} -> line ${i + 1} "${show(r.lines[i] ?? '', 40)}" has no enhanced code`);
          else if (Number(m[1]) !== Math.floor(r.code / 100)) bad.push(`${show(l, 30)} -> "${show(r.lines[i] ?? '', 40)}": class ${m[1]} ≠ reply class`);
        });
      }
      if (bad.length > 0) fail(bad.slice(0, 4).join('; '));
      return pass(`${replies.length} replies checked`);
    },
  },
  {
    id: 'enhanced-code-protocol-errors',
    section: 'RFC 3463 §3.6',
    title: 'Protocol errors (500, 501, 503, 555) carry an X.5.x enhanced code',
    applies: needs('ENHANCEDSTATUSCODES'),
    async run(ctx) {
      const s = await ctx.session();
      const cases = ['XNLBOGUS', 'RSET x', `RCPT TO:<${ctx.opts.recipient(0)}>`, `MAIL FROM:<${ctx.opts.mailFrom}> X-NL-UNKNOWN=1`];
      const got: string[] = [];
      for (const l of cases) {
        const r = await ctx.cmd(s.conn, l);
        const m = ENH.exec(r.texts[0] ?? '');
        if (r.code < 500) fail(`${show(l)} -> ${showReply(r)} (expected a 5yz protocol error)`);
        if (m === null || m[2] !== '5') fail(`${show(l)} -> ${showReply(r)}: expected a 5.5.x enhanced code`);
        got.push(`${l.split(' ')[0]}=${r.code} ${m[0].trim()}`);
      }
      return pass(got.join(', '));
    },
  },
];

/** The aggregate format check, run last over every reply of the run. */
export const replyFormatScenario: Scenario = {
  id: 'reply-format',
  section: 'RFC 5321 §4.2, §4.2.1, §4.5.3.1.5',
  title: 'Every reply of the whole run: valid code, same code on all lines, `-`/SP separators, CRLF, ≤ 512 octets',
  async run(ctx) {
    const s = await ctx.session();
    await ctx.cmd(s.conn, 'HELP');
    await ctx.cmd(s.conn, 'QUIT');
    const all = ctx.allReplies;
    const issues = all.flatMap((r) => r.issues.map((i) => `${i} (in "${showReply(r, 40)}")`));
    if (issues.length > 0) fail(`${issues.length} problems in ${all.length} replies: ${issues.slice(0, 3).join('; ')}`);
    const multi = all.filter((r) => r.lines.length > 1).length;
    return pass(`${all.length} replies (${multi} multi-line) well formed`);
  },
};
