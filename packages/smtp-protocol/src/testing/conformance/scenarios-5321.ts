/**
 * Conformance scenarios for RFC 5321 itself: greeting, replies, line
 * endings, the DATA terminator and dot transparency, size minimums,
 * sequencing, syntax replies and connection handling.
 * @internal
 */
import { fail, inspectedBodyLines, pass, skip, tokenMessage } from './context.js';
import type { ScenarioContext } from './context.js';
import { show, showReply } from './probe.js';
import type { ProbeReply } from './probe.js';
import { dataExchange, domainOf, domainOfLength, sizeLimit, stillAlive, want } from './scenario.js';
import type { Scenario } from './scenario.js';

const S = 'RFC 5321';

/** Send `line` raw (no CRLF added), then count replies until quiet. */
async function repliesTo(ctx: ScenarioContext, conn: Awaited<ReturnType<ScenarioContext['connect']>>, raw: string): Promise<ProbeReply[]> {
  conn.write(raw);
  const first = await ctx.reply(conn, raw);
  const rest = await conn.quiet(ctx.opts.quietMs);
  for (const r of rest) ctx.allReplies.push(r);
  return [first, ...rest];
}

export const rfc5321Scenarios: readonly Scenario[] = [
  {
    id: 'greeting-220',
    section: `${S} §4.2, §4.3.1`,
    title: 'Greeting is `220 <domain> [text]`',
    async run(ctx) {
      const c = await ctx.connect();
      const g = await ctx.reply(c, '(connect)');
      want(g, [220], '(connect)');
      const domain = (g.texts[0] ?? '').split(' ')[0] ?? '';
      if (!/^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$|^\[[^\]]+\]$/.test(domain)) {
        fail(`greeting "${showReply(g)}" does not start with a domain or address literal`);
      }
      if (g.issues.length > 0) fail(`greeting format: ${g.issues.join('; ')}`);
      return pass(showReply(g));
    },
  },
  {
    id: 'ehlo-multiline',
    section: `${S} §4.1.1.1, §4.2.1`,
    title: 'EHLO gets 250 `domain` then one extension keyword per line, well-formed multi-line reply',
    async run(ctx) {
      const s = await ctx.session();
      const r = s.ehlo;
      if (r.issues.length > 0) fail(`EHLO reply format: ${r.issues.join('; ')}`);
      const dom = (r.texts[0] ?? '').split(' ')[0] ?? '';
      if (dom.length === 0) fail(`first EHLO line has no domain: ${showReply(r)}`);
      const bad = r.texts.slice(1).filter((t) => !/^[A-Za-z0-9][A-Za-z0-9-]*( [\x21-\x7e]+)*$/.test(t));
      if (bad.length > 0) fail(`EHLO lines that are not \`keyword *(SP param)\`: ${bad.map((b) => `"${show(b)}"`).join(', ')}`);
      return pass(`extensions: ${[...s.caps.keys()].join(' ') || '(none)'}`);
    },
  },
  {
    id: 'helo',
    section: `${S} §4.1.1.1`,
    title: 'HELO is accepted (250) and a transaction can follow',
    async run(ctx) {
      const s = await ctx.session(true);
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}>`, [250, 251]);
      await ctx.expect(s.conn, 'RSET', [250]);
      return pass(showReply(s.ehlo));
    },
  },
  {
    id: 'one-reply-per-command',
    section: `${S} §4.2`,
    title: 'Exactly one reply per command, errors included',
    async run(ctx) {
      const s = await ctx.session();
      // Nothing here may open the data phase, even on a lenient server.
      const lines = [
        'NOOP', 'HELP', 'VRFY postmaster', 'XNLBOGUS', `RCPT TO:<${ctx.opts.recipient(0)}>`, 'DATA x', 'DATA',
        `MAIL FROM:<${ctx.opts.mailFrom}>`, `MAIL FROM:<${ctx.opts.mailFrom}>`, 'MAIL FROM:<broken@',
        `RCPT TO:<${ctx.opts.recipient(0)}>`, 'RSET x', 'RSET', 'NOOP x',
      ];
      // Lock-step: each command waits for one reply; an extra reply anywhere
      // shifts the rest and is left over at the end.
      const codes: number[] = [];
      for (const l of lines) codes.push((await ctx.cmd(s.conn, l)).code);
      const extra = await s.conn.quiet(ctx.opts.quietMs);
      for (const r of extra) ctx.allReplies.push(r);
      const shown = lines.map((l, i) => `${l.split(' ')[0]}=${codes[i]}`).join(' ');
      if (extra.length > 0) fail(`${lines.length} commands got ${lines.length + extra.length} replies (${shown}, then ${extra.map((r) => r.code).join(', ')})`);
      return pass(`one reply each: ${shown}`);
    },
  },
  {
    id: 'bare-lf-command',
    section: `${S} §2.3.8`,
    title: 'A bare LF does not end a command line (`RSET<LF>RSET<CRLF>` gets one reply)',
    async run(ctx) {
      const s = await ctx.session();
      const rs = await repliesTo(ctx, s.conn, 'RSET\nRSET\r\n');
      if (rs.length > 1) fail(`"RSET\\nRSET\\r\\n" got ${rs.length} replies: ${rs.map((r) => showReply(r)).join(' ; ')} — bare LF treated as a line end`);
      const only = rs[0] as ProbeReply;
      if (!s.conn.closed) await stillAlive(ctx, s, 'RSET\\nRSET');
      return pass(`one reply: ${showReply(only)}${s.conn.closed ? ' (then closed)' : ''}`);
    },
  },
  {
    id: 'bare-cr-command',
    section: `${S} §2.3.8`,
    title: 'A bare CR does not end a command line (`RSET<CR>RSET<CRLF>` gets one reply)',
    async run(ctx) {
      const s = await ctx.session();
      const rs = await repliesTo(ctx, s.conn, 'RSET\rRSET\r\n');
      if (rs.length > 1) fail(`"RSET\\rRSET\\r\\n" got ${rs.length} replies: ${rs.map((r) => showReply(r)).join(' ; ')} — bare CR treated as a line end`);
      if (!s.conn.closed) await stillAlive(ctx, s, 'RSET\\rRSET');
      return pass(`one reply: ${showReply(rs[0] as ProbeReply)}${s.conn.closed ? ' (then closed)' : ''}`);
    },
  },
  {
    id: 'data-end-crlf-dot-crlf',
    section: `${S} §4.1.1.4`,
    title: 'Data ends only at `<CRLF>.<CRLF>`, also when it arrives split across writes',
    async run(ctx) {
      const s = await ctx.transaction();
      await ctx.expect(s.conn, 'DATA', [354]);
      const token = ctx.token();
      s.conn.write(tokenMessage(token, 'line one\r\nabc.\r\n'));
      await ctx.expectSilence(s.conn, '"abc.\\r\\n" (a dot at the end of a line is not a terminator)');
      s.conn.write('x\r\n.');
      await ctx.expectSilence(s.conn, '"x\\r\\n." (terminator not complete yet)');
      s.conn.write('\r\n');
      const r = await ctx.reply(s.conn, '"\\r\\n" completing <CRLF>.<CRLF>');
      want(r, [250], '<CRLF>.<CRLF> split as "\\r\\n." + "\\r\\n"');
      await stillAlive(ctx, s, 'end of data');
      return pass(`no reply before the terminator was complete; then ${showReply(r)}`);
    },
  },
  {
    id: 'data-end-byte-by-byte',
    section: `${S} §4.1.1.4`,
    title: 'A terminator written one octet at a time (`\\r`, `\\n`, `.`, `\\r`, `\\n`) ends the data exactly once',
    async run(ctx) {
      const s = await ctx.transaction();
      await ctx.expect(s.conn, 'DATA', [354]);
      s.conn.write(tokenMessage(ctx.token(), 'bytewise'));
      for (const b of ['\r', '\n', '.', '\r']) {
        s.conn.write(b);
        await new Promise((r) => setTimeout(r, 15));
        const early = await s.conn.read(0);
        if (early.kind === 'reply') fail(`reply before the terminator was complete (after ${show(b)}): ${showReply(early.reply)}`);
      }
      s.conn.write('\n');
      const r = await ctx.reply(s.conn, 'last octet of <CRLF>.<CRLF>');
      want(r, [250], 'terminator written octet by octet');
      await stillAlive(ctx, s, 'end of data');
      return pass(showReply(r));
    },
  },
  {
    id: 'lf-dot-lf-not-end',
    section: `${S} §4.1.1.4`,
    title: '`<LF>.<LF>` and other bare-LF/CR dot lines never end the data (SMTP smuggling)',
    async run(ctx) {
      const variants = ['\n.\n', '\n.\r\n', '\r\n.\n', '\r.\r\n', '\r\n.\r'];
      // One connection per variant, played side by side (one quiet window for all).
      const results = await Promise.all(
        variants.map(async (v) => {
          const s = await ctx.transaction();
          await ctx.expect(s.conn, 'DATA', [354]);
          const smuggled = `MAIL FROM:<smuggled@example.com>\r\nRCPT TO:<${ctx.opts.recipient(1)}>\r\nDATA\r\nsmuggled\r\n`;
          const payload = `Subject: smuggling\r\n\r\nhello${v}${smuggled}\r\n.\r\n`;
          s.conn.write(payload);
          const first = await ctx.reply(s.conn, '(end of data after a smuggling sequence)');
          const extra = await s.conn.quiet(ctx.opts.quietMs);
          for (const r of extra) ctx.allReplies.push(r);
          return { v, payload, first, extra };
        }),
      );
      for (const { v, payload, first, extra } of results) {
        if (extra.length > 0) {
          fail(
            `data "${show(payload, 200)}" got ${extra.length + 1} replies (${[first, ...extra].map((r) => r.code).join(', ')}): ` +
              `the server ended the data at "${show(v)}" and ran the smuggled commands`,
          );
        }
      }
      return pass(`one reply per message: ${results.map((x) => `${show(x.v)}→${x.first.code}`).join(' ')}`);
    },
  },
  {
    id: 'bare-lf-content-rejected',
    section: `${S} §4.1.1.4, §2.3.8`,
    title: 'Content with bare LF / bare CR lines is not accepted (smuggling protection)',
    async run(ctx) {
      const out: string[] = [];
      for (const v of ['\n', '\r']) {
        const s = await ctx.transaction();
        const wire = `Subject: bare\r\n\r\nline one${v}line two\r\n.\r\n`;
        const r = await dataExchange(ctx, s, wire);
        if (r.code >= 200 && r.code < 300) fail(`message containing a bare ${v === '\n' ? 'LF' : 'CR'} was accepted: ${show(wire)} -> ${showReply(r)}`);
        out.push(`${v === '\n' ? 'LF' : 'CR'}→${r.code}`);
        s.conn.destroy();
      }
      return pass(`rejected: ${out.join(' ')}`);
    },
  },
  {
    id: 'stuffed-dot-line-not-end',
    section: `${S} §4.5.2`,
    title: 'A stuffed `..` line is content, not the end of data',
    async run(ctx) {
      const s = await ctx.transaction();
      await ctx.expect(s.conn, 'DATA', [354]);
      s.conn.write(tokenMessage(ctx.token(), 'before\r\n..\r\n'));
      await ctx.expectSilence(s.conn, '"\\r\\n..\\r\\n" (a stuffed single dot)');
      s.conn.write('after\r\n.\r\n');
      const r = await ctx.reply(s.conn, '(end of data)');
      want(r, [250], 'end of data');
      return pass(`no reply at "..", then ${showReply(r)}`);
    },
  },
  {
    id: 'dot-unstuffing',
    section: `${S} §4.5.2`,
    title: 'The server removes the first `.` of every line that starts with `.` (inspect)',
    async run(ctx) {
      if (ctx.opts.inspect === undefined) skip('needs the `inspect` option to see what the server received');
      const s = await ctx.transaction();
      const token = ctx.token();
      const wireLines = ['..leading', '..', '...', '.x', 'mid.dle', '....'];
      const expected = ['.leading', '.', '..', 'x', 'mid.dle', '...'];
      const r = await dataExchange(ctx, s, `${tokenMessage(token, wireLines.map((l) => `${l}\r\n`).join(''))}.\r\n`);
      want(r, [250], 'end of data');
      const m = await ctx.inspected(token);
      const got = inspectedBodyLines(m, token);
      if (got === undefined) fail('inspected message does not contain the token header');
      if (got.join('\n') !== expected.join('\n')) {
        fail(`sent lines ${JSON.stringify(wireLines)}, server stored ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      }
      return pass(`stored ${JSON.stringify(got)}`);
    },
  },
  {
    id: 'command-line-512',
    section: `${S} §4.5.3.1.4`,
    title: 'A 512-octet command line (CRLF included) is accepted',
    async run(ctx) {
      const s = await ctx.session();
      const line = `NOOP ${'x'.repeat(512 - 2 - 5)}`;
      const r = await ctx.cmd(s.conn, line);
      want(r, [250], `NOOP + ${512 - 7} octets (512 with CRLF)`);
      await ctx.expectSilence(s.conn, '512-octet NOOP');
      return pass(`512-octet NOOP -> ${r.code}`);
    },
  },
  {
    id: 'command-line-overlong',
    section: `${S} §4.5.3.1.4, §4.5.3.1.9`,
    title: 'An over-long (4 KiB) command line gets one reply (`500 Line too long`) and the session goes on',
    async run(ctx) {
      const s = await ctx.session();
      const raw = `NOOP ${'y'.repeat(4096 - 7)}\r\n`;
      const rs = await repliesTo(ctx, s.conn, raw);
      if (rs.length > 1) fail(`a 4096-octet line got ${rs.length} replies: ${rs.map((r) => showReply(r, 40)).join(' ; ')}`);
      const r = rs[0] as ProbeReply;
      if (s.conn.closed) {
        if (r.code === 421) return pass(`421 then close: ${showReply(r)}`);
        fail(`server closed the connection after a long line (reply ${showReply(r)})`);
      }
      await stillAlive(ctx, s, '4 KiB line');
      return pass(`${showReply(r)}, session continues`);
    },
  },
  {
    id: 'path-limits',
    section: `${S} §4.5.3.1.1–3`,
    title: '64-octet local part and 256-octet paths are accepted in MAIL and RCPT',
    async run(ctx) {
      const s = await ctx.session();
      const dom = domainOfLength(256 - 2 - 65);
      const from = `${'s'.repeat(64)}@${dom}`;
      const to = `${'r'.repeat(64)}@${dom}`;
      await ctx.expect(s.conn, `MAIL FROM:<${from}>`, [250]);
      const r = await ctx.cmd(s.conn, `RCPT TO:<${to}>`);
      if (r.code === 250 || r.code === 251) return pass(`MAIL 250, RCPT ${r.code} (paths of 256 octets)`);
      if (r.code === 550 || r.code === 551 || r.code === 450) skip(`RCPT refused by policy (${showReply(r)}), inconclusive`);
      fail(`RCPT TO:<64-octet local @ ${dom.length}-octet domain> (256-octet path) -> ${showReply(r)}`);
    },
  },
  {
    id: 'text-line-1000',
    section: `${S} §4.5.3.1.6`,
    title: 'A 1000-octet text line (998 + CRLF) is accepted; a doubled leading dot does not count',
    async run(ctx) {
      const s = await ctx.transaction();
      const token = ctx.token();
      const plain = 'x'.repeat(998);
      const dotted = `.${'y'.repeat(997)}`;
      const r = await dataExchange(ctx, s, `${tokenMessage(token, `${plain}\r\n.${dotted}\r\n`)}.\r\n`);
      want(r, [250], 'data with a 998-octet line and a stuffed 998-octet line (1001 octets on the wire)');
      if (ctx.opts.inspect === undefined) return pass(`${showReply(r)}`);
      const got = inspectedBodyLines(await ctx.inspected(token), token);
      if (got?.[0] !== plain || got[1] !== dotted) {
        fail(`stored lines of length ${got?.map((l) => l.length).join(', ')}, expected 998, 998 (with the leading dot kept)`);
      }
      return pass(`${showReply(r)}; stored intact`);
    },
  },
  {
    id: 'content-64k',
    section: `${S} §4.5.3.1.7`,
    title: 'At least 64 KiB of content is accepted',
    applies: (caps) => {
      const lim = sizeLimit(caps);
      return typeof lim === 'number' && lim > 0 && lim < 70_000 ? `SIZE limit ${lim} is below 64 KiB` : undefined;
    },
    async run(ctx) {
      const s = await ctx.transaction();
      const line = `${'z'.repeat(63)}\r\n`;
      const body = line.repeat(1025);
      const r = await dataExchange(ctx, s, `${tokenMessage(ctx.token(), body)}.\r\n`);
      want(r, [250], `${body.length}-octet message`);
      return pass(`${body.length} octets -> ${showReply(r)}`);
    },
  },
  {
    id: 'recipients-100',
    section: `${S} §4.5.3.1.8`,
    title: '100 recipients are accepted in one transaction',
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      for (let i = 0; i < 100; i++) {
        const r = await ctx.cmd(s.conn, `RCPT TO:<${ctx.opts.recipient(i)}>`);
        if (r.code !== 250 && r.code !== 251) fail(`recipient #${i + 1} refused: ${showReply(r)}`);
      }
      const r = await dataExchange(ctx, s, `${tokenMessage(ctx.token(), 'to many\r\n')}.\r\n`);
      want(r, [250], 'end of data with 100 recipients');
      return pass(`100 × 250, data ${r.code}`);
    },
  },
  {
    id: 'too-many-recipients-452',
    section: `${S} §4.5.3.1.10`,
    title: 'Past the server recipient limit, RCPT gets 452 and the accepted ones still get the message',
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      const max = ctx.opts.maxRecipientsProbe;
      let refused: ProbeReply | undefined;
      let accepted = 0;
      for (let i = 0; i < max; i++) {
        const r = await ctx.cmd(s.conn, `RCPT TO:<${ctx.opts.recipient(i)}>`);
        if (r.code === 250 || r.code === 251) {
          accepted++;
          continue;
        }
        refused = r;
        break;
      }
      if (refused === undefined) return { status: 'n/a', detail: `no recipient limit below ${max} (all accepted)` };
      if (refused.code !== 452) {
        fail(`recipient #${accepted + 1} refused with ${showReply(refused)}; RFC 5321 §4.5.3.1.10 requires 452 for an implementation limit (5yz only for a site policy)`);
      }
      const r = await dataExchange(ctx, s, `${tokenMessage(ctx.token(), 'limit\r\n')}.\r\n`);
      want(r, [250], `end of data after ${accepted} accepted recipients and a 452`);
      return pass(`limit ${accepted}: ${showReply(refused)}; data ${r.code}`);
    },
  },
  {
    id: 'data-with-args-501',
    section: `${S} §4.3.2, §4.1.1.4`,
    title: '`DATA x` gets 501, not 354',
    async run(ctx) {
      const s = await ctx.transaction();
      const r = await ctx.cmd(s.conn, 'DATA x');
      if (r.code === 354) fail('"DATA x" -> 354: DATA with an argument started the data phase');
      want(r, [501], 'DATA x');
      await stillAlive(ctx, s, 'DATA x');
      return pass(showReply(r));
    },
  },
  {
    id: 'rset-with-args-501',
    section: `${S} §4.3.2, §4.1.1.5`,
    title: '`RSET x` gets 501',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, 'RSET x', [501]);
      await stillAlive(ctx, s, 'RSET x');
      return pass(showReply(r));
    },
  },
  {
    id: 'quit-with-args-501',
    section: `${S} §4.3.2, §4.1.1.10`,
    title: '`QUIT x` gets 501 and the connection stays open',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.cmd(s.conn, 'QUIT x');
      if (r.code === 221) fail('"QUIT x" -> 221: QUIT with an argument ended the session');
      want(r, [501], 'QUIT x');
      await stillAlive(ctx, s, 'QUIT x');
      return pass(showReply(r));
    },
  },
  {
    id: 'case-insensitive-verbs',
    section: `${S} §2.4`,
    title: 'Verbs and the FROM:/TO: keywords are case-insensitive',
    async run(ctx) {
      const c = await ctx.connect();
      await ctx.greeting(c);
      await ctx.expect(c, `ehlo ${ctx.opts.heloName}`, [250]);
      await ctx.expect(c, `mail from:<${ctx.opts.mailFrom}>`, [250]);
      await ctx.expect(c, `rCpT tO:<${ctx.opts.recipient(0)}>`, [250, 251]);
      await ctx.expect(c, 'NoOp', [250]);
      await ctx.expect(c, 'dAtA', [354]);
      c.write(`${tokenMessage(ctx.token(), 'case\r\n')}.\r\n`);
      want(await ctx.reply(c, '(end of data)'), [250], 'end of data');
      await ctx.expect(c, 'rset', [250]);
      await ctx.expect(c, 'quit', [221]);
      return pass('ehlo, mail from:, rCpT tO:, NoOp, dAtA, rset, quit all accepted');
    },
  },
  {
    id: 'case-insensitive-params',
    section: `${S} §2.4`,
    title: 'ESMTP parameter keywords and values are case-insensitive (`size=`, `body=8bitmime`)',
    applies: (caps) => (caps.has('SIZE') || caps.has('8BITMIME') ? undefined : 'server advertises neither SIZE nor 8BITMIME'),
    async run(ctx) {
      const s = await ctx.session();
      const done: string[] = [];
      if (s.caps.has('SIZE')) {
        await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}> size=100`, [250]);
        await ctx.expect(s.conn, 'RSET', [250]);
        done.push('size=100');
      }
      if (s.caps.has('8BITMIME')) {
        await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}> body=8bitmime`, [250]);
        await ctx.expect(s.conn, 'RSET', [250]);
        await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}> Body=8BitMime`, [250]);
        done.push('body=8bitmime', 'Body=8BitMime');
      }
      return pass(`accepted: ${done.join(', ')}`);
    },
  },
  {
    id: 'local-part-case',
    section: `${S} §2.4`,
    title: 'The local part keeps its case (inspect)',
    async run(ctx) {
      if (ctx.opts.inspect === undefined) skip('needs the `inspect` option to see what the server received');
      const from = ctx.opts.mailFrom;
      const at = from.lastIndexOf('@');
      const local = from.slice(0, at);
      let mixed = Array.from(local, (ch, i) => (i % 2 === 0 ? ch.toUpperCase() : ch.toLowerCase())).join('');
      if (mixed === local) mixed = `${local}MiX`;
      const mixedFrom = `${mixed}${from.slice(at)}`;
      const s = await ctx.session();
      const m = await ctx.cmd(s.conn, `MAIL FROM:<${mixedFrom}>`);
      if (m.code !== 250) skip(`server refused the mixed-case sender (${showReply(m)})`);
      await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}>`, [250, 251]);
      const token = ctx.token();
      want(await dataExchange(ctx, s, `${tokenMessage(token, 'case\r\n')}.\r\n`), [250], 'end of data');
      const got = await ctx.inspected(token);
      if (got.mailFrom === undefined) skip('inspect did not report the envelope sender');
      if (got.mailFrom !== mixedFrom) fail(`sent MAIL FROM:<${mixedFrom}>, server recorded <${got.mailFrom}>`);
      return pass(`recorded <${got.mailFrom}>`);
    },
  },
  {
    id: 'unknown-command-500',
    section: `${S} §4.2.4, §3.8`,
    title: 'An unknown command gets 500 and the connection stays open',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.cmd(s.conn, 'XNLBOGUS something');
      if (s.conn.closed) fail(`server closed the connection after an unknown command (${showReply(r)})`);
      want(r, [500], 'XNLBOGUS something');
      await stillAlive(ctx, s, 'XNLBOGUS');
      return pass(showReply(r));
    },
  },
  {
    id: 'no-close-on-errors',
    section: `${S} §3.8`,
    title: 'A run of error replies does not make the server close the connection',
    async run(ctx) {
      const s = await ctx.session();
      const errs = ['XNLBOGUS', `RCPT TO:<${ctx.opts.recipient(0)}>`, 'DATA', 'MAIL FROM:<', 'RSET x', 'XNLBOGUS2 a b'];
      const codes: number[] = [];
      for (const e of errs) codes.push((await ctx.cmd(s.conn, e)).code);
      await stillAlive(ctx, s, 'six errors');
      return pass(`errors ${codes.join(', ')}, then NOOP 250`);
    },
  },
  {
    id: 'rcpt-before-mail-503',
    section: `${S} §4.1.4, §3.3`,
    title: 'RCPT before MAIL gets 503',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}>`, [503]);
      return pass(showReply(r));
    },
  },
  {
    id: 'data-before-mail-503',
    section: `${S} §4.1.4, §3.3`,
    title: 'DATA before MAIL gets 503 and no data phase starts',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.cmd(s.conn, 'DATA');
      if (r.code === 354) fail('DATA without a transaction -> 354');
      want(r, [503], 'DATA');
      await stillAlive(ctx, s, 'DATA');
      return pass(showReply(r));
    },
  },
  {
    id: 'nested-mail-503',
    section: `${S} §4.1.4`,
    title: 'MAIL inside an open transaction gets 503',
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      const r = await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [503]);
      return pass(showReply(r));
    },
  },
  {
    id: 'data-without-rcpt',
    section: `${S} §4.1.4, §3.3`,
    title: 'DATA with no accepted recipient gets 503 or 554, no 354',
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      const r = await ctx.cmd(s.conn, 'DATA');
      if (r.code === 354) fail('DATA after MAIL without RCPT -> 354');
      want(r, [503, 554], 'DATA');
      await stillAlive(ctx, s, 'DATA');
      return pass(showReply(r));
    },
  },
  {
    id: 'anytime-commands',
    section: `${S} §4.1.4`,
    title: 'NOOP, HELP, VRFY, EXPN, RSET never get 503, and NOOP/HELP/VRFY/EXPN keep the transaction',
    async run(ctx) {
      const c = await ctx.connect();
      await ctx.greeting(c);
      const seen: string[] = [];
      for (const l of ['NOOP', 'HELP', 'VRFY postmaster', 'RSET']) {
        const r = await ctx.cmd(c, l);
        if (r.code === 503) fail(`"${l}" before EHLO -> 503`);
        seen.push(`${l.split(' ')[0]}=${r.code}`);
      }
      await ctx.expect(c, `EHLO ${ctx.opts.heloName}`, [250]);
      await ctx.expect(c, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      await ctx.expect(c, `RCPT TO:<${ctx.opts.recipient(0)}>`, [250, 251]);
      for (const l of ['NOOP', 'HELP', `VRFY ${ctx.opts.recipient(0)}`, 'EXPN staff']) {
        const r = await ctx.cmd(c, l);
        if (r.code === 503) fail(`"${l}" inside a transaction -> 503`);
        seen.push(`${l.split(' ')[0]}=${r.code}`);
      }
      await ctx.expect(c, 'DATA', [354]);
      c.write(`${tokenMessage(ctx.token(), 'anytime\r\n')}.\r\n`);
      want(await ctx.reply(c, '(end of data)'), [250], 'end of data');
      return pass(`${seen.join(' ')}; transaction kept (DATA 354, 250)`);
    },
  },
  {
    id: 'ehlo-resets-transaction',
    section: `${S} §4.1.4`,
    title: 'EHLO inside a transaction resets it (then RCPT gets 503)',
    async run(ctx) {
      const s = await ctx.transaction();
      await ctx.expect(s.conn, `EHLO ${ctx.opts.heloName}`, [250]);
      const r = await ctx.cmd(s.conn, `RCPT TO:<${ctx.opts.recipient(1)}>`);
      if (r.code === 250 || r.code === 251) fail(`after a second EHLO, RCPT -> ${showReply(r)}: the transaction was not reset`);
      want(r, [503], 'RCPT after EHLO');
      return pass(`RCPT after EHLO -> ${showReply(r)}`);
    },
  },
  {
    id: 'rset-resets-transaction',
    section: `${S} §4.1.1.5`,
    title: 'RSET clears the transaction (then RCPT gets 503)',
    async run(ctx) {
      const s = await ctx.transaction();
      await ctx.expect(s.conn, 'RSET', [250]);
      const r = await ctx.cmd(s.conn, `RCPT TO:<${ctx.opts.recipient(1)}>`);
      want(r, [503], 'RCPT after RSET');
      return pass(`RCPT after RSET -> ${showReply(r)}`);
    },
  },
  {
    id: 'rejected-ehlo-keeps-state',
    section: `${S} §4.1.4`,
    title: 'A rejected EHLO leaves the transaction as it was',
    async run(ctx) {
      const s = await ctx.transaction();
      const e = await ctx.cmd(s.conn, 'EHLO');
      if (e.code === 250) skip(`server accepted EHLO without an argument (${showReply(e)}), cannot observe a rejected EHLO`);
      if (e.code < 500) fail(`EHLO without argument -> ${showReply(e)} (expected 501)`);
      const r = await ctx.cmd(s.conn, 'DATA');
      if (r.code !== 354) fail(`after a rejected EHLO (${e.code}), DATA -> ${showReply(r)}: the transaction was lost`);
      s.conn.write(`${tokenMessage(ctx.token(), 'kept\r\n')}.\r\n`);
      want(await ctx.reply(s.conn, '(end of data)'), [250], 'end of data');
      return pass(`EHLO -> ${e.code}, then DATA 354 / 250`);
    },
  },
  {
    id: 'bad-mail-syntax-501',
    section: `${S} §4.1.4, §4.2.3`,
    title: 'A MAIL with a broken path gets 501 (or 553) and starts no transaction',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, 'MAIL FROM:<broken@', [501, 553]);
      const r2 = await ctx.cmd(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}>`);
      if (r2.code !== 503) fail(`after a rejected MAIL (${r.code}), RCPT -> ${showReply(r2)} (expected 503: no transaction)`);
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      return pass(`${showReply(r)}; RCPT then 503; MAIL then 250`);
    },
  },
  {
    id: 'unknown-mail-param-555',
    section: `${S} §4.1.1.11`,
    title: 'An unknown MAIL parameter gets 555 (state unchanged)',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}> X-NL-UNKNOWN=1`, [555]);
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      return pass(showReply(r));
    },
  },
  {
    id: 'unknown-rcpt-param-555',
    section: `${S} §4.1.1.11`,
    title: 'An unknown RCPT parameter gets 555 (transaction kept)',
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      const r = await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}> X-NL-UNKNOWN=1`, [555]);
      await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}>`, [250, 251]);
      return pass(showReply(r));
    },
  },
  {
    id: 'postmaster',
    section: `${S} §4.5.1`,
    title: '`RCPT TO:<Postmaster>` (no domain, any case) is accepted',
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      const r = await ctx.expect(s.conn, 'RCPT TO:<PostMaster>', [250, 251]);
      return pass(showReply(r));
    },
  },
  {
    id: 'null-reverse-path',
    section: `${S} §4.5.5, §3.6.3`,
    title: '`MAIL FROM:<>` (null reverse-path, for notifications) is accepted',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, 'MAIL FROM:<>', [250]);
      await ctx.expect(s.conn, `RCPT TO:<${ctx.opts.recipient(0)}>`, [250, 251]);
      const d = await dataExchange(ctx, s, `${tokenMessage(ctx.token(), 'bounce\r\n')}.\r\n`);
      want(d, [250], 'end of data (null sender)');
      return pass(`${showReply(r)}; data ${d.code}`);
    },
  },
  {
    id: 'source-route-accepted',
    section: `${S} §4.1.2, §3.3, appendix C`,
    title: 'A source route (`<@a.example,@b.example:user@domain>`) is accepted (and may be ignored)',
    async run(ctx) {
      const s = await ctx.session();
      await ctx.expect(s.conn, `MAIL FROM:<${ctx.opts.mailFrom}>`, [250]);
      const r = await ctx.expect(s.conn, `RCPT TO:<@relay1.example,@relay2.example:${ctx.opts.recipient(0)}>`, [250, 251]);
      return pass(showReply(r));
    },
  },
  {
    id: 'quoted-local-part',
    section: `${S} §4.1.2`,
    title: 'A Quoted-string local part (`"john \\"q\\" doe"@…`) is accepted',
    async run(ctx) {
      const s = await ctx.session();
      const line = `MAIL FROM:<"john \\"q\\" doe"@${domainOf(ctx.opts.mailFrom)}>`;
      const r = await ctx.expect(s.conn, line, [250]);
      return pass(`${show(line)} -> ${showReply(r)}`);
    },
  },
  {
    id: 'ehlo-address-literal',
    section: `${S} §4.1.1.1, §4.1.3`,
    title: '`EHLO [127.0.0.1]` and `EHLO [IPv6:::1]` (address literals) are accepted',
    async run(ctx) {
      const c = await ctx.connect();
      await ctx.greeting(c);
      const r1 = await ctx.expect(c, 'EHLO [127.0.0.1]', [250]);
      const r2 = await ctx.expect(c, 'EHLO [IPv6:::1]', [250]);
      return pass(`${r1.code}, ${r2.code}`);
    },
  },
  {
    id: 'nul-in-command',
    section: `${S} §4.1.1, §3.8`,
    title: 'A command line containing NUL gets one 5yz reply and the session goes on',
    async run(ctx) {
      const s = await ctx.session();
      const rs = await repliesTo(ctx, s.conn, 'NO\0OP\r\n');
      if (rs.length > 1) fail(`"NO\\0OP" got ${rs.length} replies`);
      const r = rs[0] as ProbeReply;
      if (r.code < 500) fail(`"NO\\0OP\\r\\n" -> ${showReply(r)} (expected 500/501)`);
      await stillAlive(ctx, s, 'NUL line');
      return pass(showReply(r));
    },
  },
  {
    id: 'quit-221-close',
    section: `${S} §4.1.1.10, §3.8`,
    title: 'QUIT gets 221 and then the server closes the connection',
    async run(ctx) {
      const s = await ctx.session();
      const r = await ctx.expect(s.conn, 'QUIT', [221]);
      const closed = await s.conn.waitClosed(ctx.opts.replyTimeoutMs);
      if (!closed) fail(`221 received but the connection was still open ${ctx.opts.replyTimeoutMs} ms later`);
      return pass(`${showReply(r)}, closed`);
    },
  },
];
