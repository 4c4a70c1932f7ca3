import { describe, expect, it } from 'vitest';
import { ServerHarness, b, s, tick } from './test-harness.js';
import { reject, type ServerHooks } from './server-session.js';
import type { IncomingMessage } from './message.js';

function collect(store: string[]): NonNullable<ServerHooks['onData']> {
  return async (m: IncomingMessage) => {
    store.push(s(await m.bytes()));
  };
}

describe('thesis figure 15 states', () => {
  it('Closed → Begin → Wait → EnvelopeCreated → SettingRecipients → WritingMail → MailCompleted → Closed', async () => {
    const bodies: string[] = [];
    const h = new ServerHarness({ hooks: { onData: collect(bodies) } }, false);
    expect(h.session.state).toBe('Closed');
    h.session.start();
    expect(h.session.state).toBe('Begin');
    h.send('HELO c.test\r\n');
    expect(h.session.state).toBe('Wait');
    h.send('MAIL FROM:<a@x.test>\r\n');
    expect(h.session.state).toBe('EnvelopeCreated');
    h.send('RCPT TO:<b@y.test>\r\n');
    expect(h.session.state).toBe('SettingRecipients');
    h.send('DATA\r\n');
    expect(h.session.state).toBe('WritingMail');
    h.send('hi\r\n.\r\n');
    await tick();
    expect(h.session.state).toBe('MailCompleted');
    h.send('QUIT\r\n');
    expect(h.session.state).toBe('Closed');
    expect(h.codes()).toEqual([220, 250, 250, 250, 354, 250, 221]);
    expect(bodies).toEqual(['hi\r\n']);
    expect(h.closed).toBe(1);
  });

  it('every transition goes through one traced setState (old => new)', async () => {
    const seen: string[] = [];
    const h = new ServerHarness({ trace: (a, b2) => seen.push(`${a}=>${b2}`), hooks: { onData: async (m) => void (await m.drain()) } });
    h.send('EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nx\r\n.\r\nQUIT\r\n');
    await tick();
    expect(seen).toEqual([
      'Closed=>Begin',
      'Begin=>Wait',
      'Wait=>EnvelopeCreated',
      'EnvelopeCreated=>SettingRecipients',
      'SettingRecipients=>WritingMail',
      'WritingMail=>MailCompleted',
      'MailCompleted=>Closed',
    ]);
  });

  it('receive() before start() is a typed misuse error; input after close is ignored', () => {
    const h = new ServerHarness({}, false);
    expect(() => h.send('EHLO c\r\n')).toThrow(expect.objectContaining({ code: 'ERR_SMTP_STATE' }));
    h.session.start();
    h.send('QUIT\r\n', 'NOOP\r\n');
    expect(h.codes()).toEqual([220, 221]);
  });

  it('RSET and HELO return to Wait from any transaction state (dashed arrows), clearing the envelope', () => {
    const h = new ServerHarness().ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRSET\r\n');
    expect(h.session.state).toBe('Wait');
    expect(h.session.envelope).toBeUndefined();
    h.send('MAIL FROM:<a@x.test>\r\nHELO again.test\r\n');
    expect(h.session.state).toBe('Wait');
    expect(h.codes()).toEqual([250, 250, 250, 250, 250]);
  });
});

describe('§2.3.8 CRLF only', () => {
  it('§2.3.8 a bare LF does not end a command; the CRLF line containing it gets 500 and the session goes on', () => {
    const h = new ServerHarness().ehlo();
    h.send('NOOP\n');
    expect(h.codes()).toEqual([]);
    h.send('QUIT\r\n');
    // the line "NOOP\nQUIT" is one (bad) line: not a QUIT
    expect(h.codes()).toEqual([500]);
    expect(h.session.state).toBe('Wait');
    h.send('NOOP\r\n');
    expect(h.codes()).toEqual([250]);
  });

  it('§2.3.8 a bare CR inside a command line gets 500', () => {
    const h = new ServerHarness().ehlo();
    h.send('NOOP\rx\r\n');
    expect(h.codes()).toEqual([500]);
  });
});

describe('§4.1.1.4 end of data and SMTP smuggling', () => {
  it('§4.1.1.4 <LF>.<LF> is not end of data, the smuggled MAIL is never executed, one 554 after the real end', async () => {
    const bodies: string[] = [];
    const mails: string[] = [];
    const h = new ServerHarness({ hooks: { onData: collect(bodies), onMailFrom: (a) => void mails.push(a) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    h.take();
    h.send('Subject: hi\r\n\r\nbody\n.\nMAIL FROM:<evil@x.test>\nRCPT TO:<v@y.test>\nDATA\nevil\n.\n');
    await tick();
    expect(h.codes()).toEqual([]);
    h.send('\r\n.\r\n');
    await tick();
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([554]);
    expect(r[0]!.enhanced).toBe('5.6.0');
    expect(mails).toEqual(['a@x.test']);
    expect(h.session.state).toBe('MailCompleted');
  });

  it('§4.1.1.4 servers MUST NOT accept LF-only lines (also <CR><LF>.<LF> and <LF>.<CR><LF>)', async () => {
    for (const bad of ['a\r\n.\nb', 'a\n.\r\nb', 'a\r.\rb']) {
      const h = new ServerHarness({ hooks: { onData: async (m) => void (await m.drain().catch(() => 0)) } }).ehlo();
      h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
      h.take();
      h.send(`${bad}\r\n.\r\n`);
      await tick();
      expect(h.codes(), JSON.stringify(bad)).toEqual([554]);
    }
  });
});

describe('§4.5.2 transparency', () => {
  it('§4.5.2 the server removes the leading dot; a line holding only "." ends the data', async () => {
    const bodies: string[] = [];
    const h = new ServerHarness({ hooks: { onData: collect(bodies) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    h.send('..one\r\n..\r\n', '.two.\r\n', '.', '\r', '\n');
    await tick();
    expect(bodies).toEqual(['.one\r\n.\r\ntwo.\r\n']);
  });
});

describe('§4.5.3.1 minimum sizes', () => {
  it('§4.5.3.1.4 command line of 512 octets incl. CRLF accepted, 513 → "500 Line too long"', () => {
    const h = new ServerHarness().ehlo();
    const l512 = 'NOOP ' + 'x'.repeat(512 - 7);
    h.send(l512 + '\r\n');
    expect(h.codes()).toEqual([250]);
    h.send(l512 + 'x\r\n');
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([500]);
    expect(r[0]!.lines[0]).toBe('Line too long');
    expect(h.session.state).toBe('Wait');
  });

  it('§4.5.3.1.4 a very long line is not buffered (bounded memory) and gets one 500', () => {
    const h = new ServerHarness().ehlo();
    for (let i = 0; i < 100; i++) h.send('x'.repeat(10_000));
    expect(h.session.bufferedInput).toBe(0);
    h.send('\r\nNOOP\r\n');
    expect(h.codes()).toEqual([500, 250]);
  });

  it('§4.5.3.1.1-3 local-part 64, domain 255 and path 256 accepted; longer → 501', () => {
    const h = new ServerHarness().ehlo();
    h.send(`MAIL FROM:<${'l'.repeat(64)}@x.test>\r\n`);
    h.send(`RCPT TO:<${'l'.repeat(65)}@x.test>\r\n`);
    const d = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(52)}`;
    h.send(`RCPT TO:<abcdefghi@${d}>\r\n`); // path 256
    h.send(`RCPT TO:<abcdefghij@${d}>\r\n`); // path 257
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([250, 501, 250, 501]);
    expect(r[3]!.lines[0]).toBe('Path too long');
  });

  it('§4.5.3.1.6 text line of 1000 octets accepted, 1001 → 500 Line too long after the data', async () => {
    const h = new ServerHarness({ hooks: { onData: async (m) => void (await m.drain().catch(() => 0)) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    h.send('x'.repeat(998) + '\r\n.\r\n');
    await tick();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    h.send('x'.repeat(999) + '\r\n.\r\n');
    await tick();
    expect(h.codes()).toEqual([250, 250, 354, 250, 250, 250, 354, 500]);
  });

  it('§4.5.3.1.7 content of at least 64 KB is accepted', async () => {
    const bodies: string[] = [];
    const h = new ServerHarness({ hooks: { onData: collect(bodies) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    const body = ('z'.repeat(78) + '\r\n').repeat(1000);
    for (let i = 0; i < body.length; i += 1460) h.send(body.slice(i, i + 1460));
    h.send('.\r\n');
    await tick(20);
    expect(bodies[0]!.length).toBe(80_000);
    expect(h.codes().at(-1)).toBe(250);
  });

  it('§4.5.3.1.8 at least 100 recipients are buffered; §4.5.3.1.10 the 101st gets 452', async () => {
    let env: string[] = [];
    const h = new ServerHarness({
      hooks: {
        onData: async (m) => {
          env = m.envelope.to.map((r) => r.address);
          await m.drain();
        },
      },
    }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\n');
    for (let i = 0; i < 101; i++) h.send(`RCPT TO:<r${i}@y.test>\r\n`);
    const r = h.take();
    expect(r.slice(1, 101).every((x) => x.code === 250)).toBe(true);
    expect(r[101]!.code).toBe(452);
    expect(r[101]!.lines[0]).toBe('Too many recipients');
    expect(r[101]!.enhanced).toBe('4.5.3');
    h.send('DATA\r\nx\r\n.\r\n');
    await tick();
    expect(env).toHaveLength(100);
  });
});

describe('§4.3.2 command arguments', () => {
  it('§4.3.2 DATA, RSET or QUIT with arguments get 501', () => {
    const h = new ServerHarness().ehlo();
    h.send('RSET x\r\nQUIT now\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA please\r\n');
    expect(h.codes()).toEqual([501, 501, 250, 250, 501]);
    expect(h.session.state).toBe('SettingRecipients');
    expect(h.closed).toBe(0);
  });

  it('§4.3.2 a command line under 512 characters never gets "line too long"', () => {
    const h = new ServerHarness().ehlo();
    h.send(`MAIL FROM:<${'a'.repeat(60)}@${'b'.repeat(60)}.test> ${'X'.repeat(300)}\r\n`);
    const r = h.take();
    expect(r[0]!.code).toBe(555);
  });
});

describe('§2.4 case-insensitivity', () => {
  it('§2.4 verbs, argument keywords and extension names are case-insensitive; local-part keeps case', async () => {
    let from = '';
    const h = new ServerHarness({ hooks: { onData: async (m) => void ((from = m.envelope.from), await m.drain()) } });
    h.send('ehlo c.test\r\nmail from:<Mixed.Case@X.test> size=10 body=8bitmime\r\nrcpt to:<b@y.test>\r\ndata\r\nx\r\n.\r\nquit\r\n');
    await tick();
    expect(h.codes()).toEqual([220, 250, 250, 250, 354, 250, 221]);
    expect(from).toBe('Mixed.Case@X.test');
  });
});

describe('§4.2 replies', () => {
  it('§4.2 exactly one reply per command, in order, for a pipelined burst', () => {
    const h = new ServerHarness();
    h.send('EHLO c\r\nNOOP\r\nFOO\r\nMAIL FROM:<a@x.test>\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<bad>\r\nRCPT TO:<b@y.test>\r\nVRFY x\r\nRSET\r\n');
    expect(h.codes()).toEqual([220, 250, 250, 500, 250, 503, 501, 250, 252, 250]);
  });

  it('§4.2 reply codes follow %x32-35 %x30-35 %x30-39 and multi-line replies repeat the code', () => {
    const h = new ServerHarness();
    h.send('EHLO c\r\nHELP\r\n');
    const lines = h.text().split('\r\n').filter((l) => l !== '');
    for (const l of lines) expect(l).toMatch(/^[2-5][0-5][0-9]( |-|$)/);
    const ehlo = lines.filter((l) => l.startsWith('250'));
    expect(ehlo.slice(0, -1).every((l) => l[3] === '-')).toBe(true);
  });

  it('§4.2 the greeting is "220 domain …"', () => {
    const h = new ServerHarness({ hostname: 'mx.example.org' });
    expect(h.take()[0]).toEqual({ code: 220, lines: ['mx.example.org ESMTP netlayers'] });
  });
});

describe('§4.1.4 command order', () => {
  it('§4.1.4 EHLO resets like RSET: after EHLO the transaction is gone', () => {
    const h = new ServerHarness().ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nEHLO c\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    expect(h.codes()).toEqual([250, 250, 250, 503, 503]);
  });

  it('§4.1.4 a rejected EHLO leaves the state unchanged', () => {
    let n = 0;
    const h = new ServerHarness({ hooks: { onEhlo: () => (n++ === 0 ? undefined : reject(550, '5.7.1', 'go away')) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nEHLO bad\r\nRCPT TO:<b@y.test>\r\n');
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([250, 550, 250]);
    expect(r[1]!.enhanced).toBe('5.7.1');
    expect(h.session.state).toBe('SettingRecipients');
  });

  it('§4.1.4 NOOP, HELP, EXPN, VRFY and RSET are allowed at any time without 503', async () => {
    const h = new ServerHarness({ hooks: { onData: async (m) => void (await m.drain()) } });
    const any = 'NOOP\r\nHELP\r\nEXPN list\r\nVRFY user\r\nRSET\r\n';
    h.send(any); // Begin
    h.send('EHLO c\r\n', any); // Wait
    h.send('MAIL FROM:<a@x.test>\r\n', any.replace('RSET\r\n', '')); // EnvelopeCreated
    h.send('RCPT TO:<b@y.test>\r\n', any.replace('RSET\r\n', '')); // SettingRecipients
    h.send('DATA\r\nx\r\n.\r\n');
    await tick();
    h.send(any); // MailCompleted
    const codes = h.codes();
    expect(codes).not.toContain(503);
    expect(codes.filter((c) => c === 214)).toHaveLength(5);
  });

  it('§4.1.4 MAIL inside an open transaction → 503', () => {
    const h = new ServerHarness().ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nMAIL FROM:<a@x.test>\r\n');
    expect(h.codes()).toEqual([250, 503]);
  });

  it('§4.1.4 a bad MAIL argument → 501 and the state is unchanged', () => {
    const h = new ServerHarness().ehlo();
    h.send('MAIL FROM:a@x.test\r\n');
    expect(h.codes()).toEqual([501]);
    expect(h.session.state).toBe('Wait');
    h.send('MAIL FROM:<a@x.test> SIZE=abc\r\n');
    expect(h.codes()).toEqual([501]);
    expect(h.session.state).toBe('Wait');
  });

  it('§4.1.4 out-of-order commands → 503 (MAIL before EHLO, RCPT before MAIL, DATA before RCPT)', () => {
    const h = new ServerHarness();
    h.take();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nEHLO c\r\nRCPT TO:<b@y.test>\r\nDATA\r\nMAIL FROM:<a@x.test>\r\nDATA\r\n');
    expect(h.codes()).toEqual([503, 503, 503, 250, 503, 503, 250, 503]);
  });

  it('§4.1.4 DATA with no valid recipients → 554, and no data is read without a 354', () => {
    const h = new ServerHarness({ hooks: { onRcptTo: () => reject(550, '5.1.1', 'No such user') } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nNOOP\r\n');
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([250, 550, 554, 250]);
    expect(r[1]!.enhanced).toBe('5.1.1');
    expect(h.session.state).toBe('EnvelopeCreated');
  });
});

describe('§4.3.2 allowed reply codes', () => {
  const allowed: Record<string, number[]> = {
    MAIL: [250, 552, 451, 452, 550, 553, 503, 455, 555],
    RCPT: [250, 251, 550, 551, 552, 553, 450, 451, 452, 503, 455, 555],
    DATA: [354, 503, 554],
    END: [250, 552, 554, 451, 452, 450, 550],
    RSET: [250],
  };
  it('§4.3.2 every reply to MAIL, RCPT, DATA, end of data and RSET is in the allowed set (or 500/501/421)', async () => {
    const scripts = [
      'MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nx\r\n.\r\nRSET\r\n',
      'RCPT TO:<b@y.test>\r\nDATA\r\nMAIL FROM:<a@x.test> FOO=1\r\nMAIL FROM:<a@x.test> SIZE=999999999\r\nRSET\r\n',
      'MAIL FROM:<a@x.test>\r\nRCPT TO:<bad@y.test>\r\nRCPT TO:<ü@y.test>\r\nDATA\r\nRSET\r\n',
      'MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n' + 'x'.repeat(2000) + '\r\n.\r\nRSET\r\n',
      'MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nfail\r\n.\r\n',
    ];
    for (const script of scripts) {
      const h = new ServerHarness({
        size: 1000,
        hooks: {
          onRcptTo: (a) => (a.startsWith('bad') ? reject(550) : undefined),
          onData: async (m) => {
            const t = s(await m.bytes().catch(() => new Uint8Array()));
            return t.startsWith('fail') ? reject(451) : undefined;
          },
        },
      }).ehlo();
      h.send(script);
      await tick(10);
      const replies = h.take();
      // Pair each command line (and each end of data after a 354) with its reply.
      const pairs: Array<[string, number]> = [];
      let ri = 0;
      let inData = false;
      for (const line of script.split('\r\n')) {
        if (inData) {
          if (line === '.') {
            pairs.push(['END', replies[ri++]!.code]);
            inData = false;
          }
          continue;
        }
        if (line === '') continue;
        const v = line.split(' ')[0]!;
        const code = replies[ri++]!.code;
        pairs.push([v, code]);
        if (v === 'DATA' && code === 354) inData = true;
      }
      expect(ri).toBe(replies.length);
      for (const [v, code] of pairs) {
        if (allowed[v] === undefined) continue;
        expect([...allowed[v]!, 500, 501, 421], `${v} → ${code}`).toContain(code);
      }
    }
  });
});

describe('§4.1.1.11 MAIL/RCPT parameters', () => {
  it('§4.1.1.11 an unknown MAIL or RCPT parameter gets 555', () => {
    const h = new ServerHarness().ehlo();
    h.send('MAIL FROM:<a@x.test> XFOO=1\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test> XBAR\r\n');
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([555, 250, 555]);
    expect(r[0]!.enhanced).toBe('5.5.4');
  });

  it('§4.1.1.11 a temporary failure gets 455 (from a hook)', () => {
    const h = new ServerHarness({ hooks: { onMailFrom: () => reject(455, '4.5.4', 'Try later') } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\n');
    expect(h.take()[0]).toMatchObject({ code: 455, enhanced: '4.5.4' });
  });

  it('parameters are refused after HELO (no ESMTP)', () => {
    const h = new ServerHarness();
    h.send('HELO c\r\nMAIL FROM:<a@x.test> SIZE=10\r\n');
    expect(h.codes()).toEqual([220, 250, 555]);
  });
});

describe('§3.8 closing', () => {
  it('§3.8 an unknown command gets 500 and the session goes on (no close)', () => {
    const h = new ServerHarness().ehlo();
    h.send('XYZZY\r\nGARBAGE\x01\r\nNOOP\r\n');
    expect(h.codes()).toEqual([500, 500, 250]);
    expect(h.closed).toBe(0);
  });

  it('§3.8 the server closes after QUIT/221 only; input after QUIT is ignored', () => {
    const h = new ServerHarness().ehlo();
    h.send('QUIT\r\nNOOP\r\n');
    expect(h.codes()).toEqual([221]);
    expect(h.closed).toBe(1);
    expect(h.session.state).toBe('Closed');
  });

  it('§3.8 at shutdown the server sends 421 and closes; a transaction in progress is aborted', async () => {
    let err: unknown;
    const h = new ServerHarness({
      hooks: {
        onData: async (m) => {
          try {
            await m.drain();
          } catch (e) {
            err = e;
          }
        },
      },
    }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\npartial');
    h.take();
    h.session.shutdown();
    await tick();
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([421]);
    expect(r[0]!.enhanced).toBe('4.3.2');
    expect(h.closed).toBe(1);
    expect(err).toMatchObject({ code: 'ERR_SMTP_ABORTED' });
  });

  it('§3.8 after a 554 greeting the server answers 503 until QUIT (RFC 5321 §3.1)', () => {
    const h = new ServerHarness({ hooks: { onConnect: () => reject(554, '5.7.1', 'no service') } });
    h.send('EHLO c\r\nMAIL FROM:<a@x.test>\r\nQUIT\r\n');
    expect(h.codes()).toEqual([554, 503, 503, 221]);
  });

  it('§3.8 a peer EOF aborts the transaction and calls onClose, without a reply', () => {
    let closedWith: unknown = 'no';
    const h = new ServerHarness({ hooks: { onClose: (_s, r) => (closedWith = r?.code) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\n');
    h.take();
    h.session.receiveEnd();
    expect(h.codes()).toEqual([]);
    expect(closedWith).toBe('ERR_SMTP_CONNECTION_CLOSED');
  });
});

describe('§4.5.3.2 server timeout', () => {
  it('§4.5.3.2.7 the server waits ≥ 5 minutes for the next command, then 421 and close', () => {
    const h = new ServerHarness().ehlo();
    h.clock.advance(299_999);
    expect(h.closed).toBe(0);
    h.send('NOOP\r\n');
    expect(h.codes()).toEqual([250]);
    h.clock.advance(299_999);
    expect(h.closed).toBe(0);
    expect(h.session.pollAt()).toBe(h.clock.now() + 1);
    h.clock.advance(1);
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([421]);
    expect(r[0]!.enhanced).toBe('4.4.2');
    expect(h.closed).toBe(1);
  });

  it('§4.5.3.2 the data timeout (10 minutes by default) applies while receiving content', () => {
    const h = new ServerHarness({ hooks: { onData: async (m) => void (await m.drain().catch(() => 0)) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    h.take();
    h.clock.advance(599_999);
    expect(h.closed).toBe(0);
    h.clock.advance(1);
    expect(h.codes()).toEqual([421]);
  });
});

describe('§4.4 trace information', () => {
  it('§4.4 the Received: header is prepended and existing ones are not altered', async () => {
    const bodies: string[] = [];
    const h = new ServerHarness({
      receivedHeader: (sess) => `Received: from ${sess.clientName} by mx.test; Sat, 1 Jan 2000 00:00:00 +0000\r\n`,
      hooks: { onData: collect(bodies) },
    }).ehlo('c.test');
    const orig = 'Received: from a by b; Fri, 31 Dec 1999 23:59:59 +0000\r\nSubject: x\r\n\r\nbody\r\n';
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n', orig + '.\r\n');
    await tick();
    expect(bodies[0]).toBe('Received: from c.test by mx.test; Sat, 1 Jan 2000 00:00:00 +0000\r\n' + orig);
  });
});

describe('§6.1 reliable delivery', () => {
  it('§6.1 "250 OK" is sent only after onData resolved; a failing hook gives 451, never 250', async () => {
    let release!: () => void;
    const stored = new Promise<void>((r) => (release = r));
    const h = new ServerHarness({
      hooks: {
        onData: async (m) => {
          await m.drain();
          await stored;
        },
      },
    }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n');
    await tick(10);
    expect(h.codes()).toEqual([250, 250, 354]); // no 250 yet, NOOP waits behind it
    release();
    await tick(10);
    expect(h.codes()).toEqual([250, 250]);
    const h2 = new ServerHarness({
      hooks: {
        onData: async () => {
          throw new Error('disk full');
        },
      },
    }).ehlo();
    h2.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nx\r\n.\r\n');
    await tick(10);
    expect(h2.codes()).toEqual([250, 250, 354, 451]);
  });
});

describe('RFC 1870 SIZE', () => {
  it('RFC 1870 EHLO advertises SIZE n (or bare SIZE when unlimited)', () => {
    const a = new ServerHarness({ size: 1234 });
    a.send('EHLO c\r\n');
    expect(a.take()[1]!.lines).toContain('SIZE 1234');
    const u = new ServerHarness();
    u.send('EHLO c\r\n');
    expect(u.take()[1]!.lines).toContain('SIZE');
  });

  it('RFC 1870 the MAIL SIZE parameter adds 26 characters to the command line limit', () => {
    const h = new ServerHarness({ extensions: { smtputf8: false, dsn: false, eightBitMime: false } }).ehlo();
    const base = 'MAIL FROM:<a@x.test> SIZE=12345678901234567890 X=';
    const pad = (n: number): string => base + 'y'.repeat(n - base.length - 2) + '\r\n';
    h.send(pad(538));
    expect(h.codes()).toEqual([555]); // parsed (unknown param X), not "too long"
    h.send(pad(539));
    expect(h.codes()).toEqual([500]);
  });

  it('RFC 1870 declared size above the limit → 552 5.3.4; temporary lack of space → 452 (hook)', () => {
    const h = new ServerHarness({ size: 100, hooks: { onMailFrom: (_a, p) => (p['SIZE'] === '50' ? reject(452, '4.3.1', 'Insufficient system storage') : undefined) } }).ehlo();
    h.send('MAIL FROM:<a@x.test> SIZE=101\r\nMAIL FROM:<a@x.test> SIZE=50\r\nMAIL FROM:<a@x.test> SIZE=100\r\n');
    const r = h.take();
    expect(r.map((x) => [x.code, x.enhanced])).toEqual([
      [552, '5.3.4'],
      [452, '4.3.1'],
      [250, '2.1.0'],
    ]);
  });

  it('RFC 1870 size is counted while streaming (after 354, incl. CRLF, excl. final dot and doubled dots) and enforced with 552', async () => {
    const h = new ServerHarness({ size: 10, hooks: { onData: async (m) => void (await m.drain().catch(() => 0)) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n', '..123\r\n12\r\n.\r\n'); // 10 octets
    await tick();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n', '1234\r\n123\r\n.\r\n'); // 11 octets
    await tick();
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([250, 250, 354, 250, 250, 250, 354, 552]);
    expect(r[7]!.enhanced).toBe('5.3.4');
  });

  it('RFC 1870 servers MUST NOT use the SIZE parameter to determine the end of content', async () => {
    const bodies: string[] = [];
    const h = new ServerHarness({ hooks: { onData: collect(bodies) } }).ehlo();
    h.send('MAIL FROM:<a@x.test> SIZE=3\r\nRCPT TO:<b@y.test>\r\nDATA\r\n', 'abcdefgh\r\n.\r\n');
    await tick();
    expect(bodies).toEqual(['abcdefgh\r\n']);
  });

  it('RFC 1870 §6.4 452 or 552 is allowed per recipient', () => {
    const h = new ServerHarness({ hooks: { onRcptTo: (a) => (a.startsWith('full') ? reject(552, '5.2.2') : a.startsWith('tmp') ? reject(452, '4.2.2') : undefined) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<full@y.test>\r\nRCPT TO:<tmp@y.test>\r\nRCPT TO:<ok@y.test>\r\n');
    expect(h.codes()).toEqual([250, 552, 452, 250]);
  });
});

describe('RFC 2920 PIPELINING (server)', () => {
  it('RFC 2920 RSET, MAIL and RCPT may appear anywhere in a group; DATA last; replies buffered into one write', async () => {
    const h = new ServerHarness({ hooks: { onData: async (m) => void (await m.drain()) } }).ehlo();
    const writesBefore = h.writes.length;
    h.send('RSET\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRSET\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<c@y.test>\r\nRCPT TO:<d@y.test>\r\nDATA\r\n');
    expect(h.writes.length - writesBefore).toBe(1);
    expect(h.codes()).toEqual([250, 250, 250, 250, 250, 250, 250, 354]);
  });

  it('RFC 2920 (7) pending replies are flushed when the input buffer empties; (8) no assumption about commands not yet received', () => {
    const h = new ServerHarness().ehlo();
    const w0 = h.writes.length;
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c');
    expect(h.writes.length - w0).toBe(1);
    expect(h.codes()).toEqual([250, 250]);
    h.send('@y.test>\r\n');
    expect(h.codes()).toEqual([250]);
  });

  it('RFC 2920 (9) input is never flushed or lost while a hook is pending', async () => {
    const h = new ServerHarness({
      hooks: {
        onRcptTo: async (a) => {
          await new Promise((r) => setTimeout(r, 5));
          return a.startsWith('no') ? reject(550) : undefined;
        },
      },
    }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<no@y.test>\r\nRCPT TO:<yes@y.test>\r\n');
    h.send('RCPT TO:<no2@y.test>\r\nNOOP\r\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.codes()).toEqual([250, 550, 250, 550, 250]);
    expect(h.session.bufferedInput).toBe(0);
  });
});

describe('RFC 3030 CHUNKING', () => {
  it('RFC 3030 BDAT chunks are exact octet counts with no dot-stuffing', async () => {
    const bodies: string[] = [];
    const h = new ServerHarness({ hooks: { onData: collect(bodies) } }).ehlo();
    const c1 = 'line\r\n.\r\n..x';
    const c2 = '\r\n.';
    h.send(`MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT ${c1.length}\r\n${c1}BDAT ${c2.length} LAST\r\n${c2}`);
    await tick();
    expect(h.codes()).toEqual([250, 250, 250, 250]);
    expect(bodies).toEqual([c1 + c2]);
    expect(h.session.state).toBe('MailCompleted');
  });

  it('RFC 3030 BDAT 0 LAST ends the message; chunks may be split across receives', async () => {
    const bodies: string[] = [];
    const h = new ServerHarness({ hooks: { onData: collect(bodies) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 5\r\nab', 'c', 'de', 'BDAT 0 LAST\r\n');
    await tick();
    expect(h.codes()).toEqual([250, 250, 250, 250]);
    expect(bodies).toEqual(['abcde']);
  });

  it('RFC 3030 after a failed BDAT, a pipelining server discards chunks already in flight', async () => {
    const h = new ServerHarness({ size: 10, hooks: { onData: async (m) => void (await m.drain().catch(() => 0)) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 8\r\n12345678BDAT 8\r\nQUIT\r\nXXBDAT 3 LAST\r\nabcRSET\r\nNOOP\r\n');
    await tick();
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([250, 250, 250, 552, 503, 250, 250]);
    expect(h.closed).toBe(0); // the "QUIT" inside the discarded chunk was not executed
  });

  it('RFC 3030 DATA after BDAT in the same transaction → 503', () => {
    const h = new ServerHarness({ hooks: { onData: async (m) => void (await m.drain().catch(() => 0)) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 3\r\nabcDATA\r\n');
    expect(h.codes()).toEqual([250, 250, 250, 503]);
  });

  it('RFC 3030 RSET or EHLO between BDAT chunks aborts the message (the hook sees an error, no 250 for it)', async () => {
    let err: unknown;
    const h = new ServerHarness({
      hooks: {
        onData: async (m) => {
          try {
            await m.drain();
          } catch (e) {
            err = e;
          }
        },
      },
    }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 3\r\nabcEHLO c\r\nBDAT 1 LAST\r\nx');
    await tick();
    expect(h.codes()).toEqual([250, 250, 250, 250, 503]);
    expect(err).toMatchObject({ code: 'ERR_SMTP_ABORTED' });
    expect(h.session.messagesAccepted).toBe(0);
  });

  it('RFC 3030 BINARYMIME requires BDAT: DATA → 503', () => {
    const h = new ServerHarness().ehlo();
    h.send('MAIL FROM:<a@x.test> BODY=BINARYMIME\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([250, 250, 503]);
    expect(r[2]!.lines[0]).toMatch(/BINARYMIME/);
  });

  it('RFC 3030 BDAT without a transaction → 503 and its octets are discarded (not read as commands)', () => {
    const h = new ServerHarness().ehlo();
    h.send('BDAT 6\r\nQUIT\r\nNOOP\r\n');
    expect(h.codes()).toEqual([503, 250]);
    expect(h.closed).toBe(0);
  });
});

describe('RFC 6531 SMTPUTF8', () => {
  it('RFC 6531 SMTPUTF8 is a MAIL parameter with no value; a value → 501', () => {
    const h = new ServerHarness().ehlo();
    h.send('MAIL FROM:<a@x.test> SMTPUTF8=yes\r\nMAIL FROM:<用户@例子.广告> SMTPUTF8\r\nRCPT TO:<josé@x.test>\r\n');
    expect(h.codes()).toEqual([501, 250, 250]);
  });

  it('RFC 6531 the MAIL line limit grows by 10 for SMTPUTF8', () => {
    const h = new ServerHarness({ extensions: { dsn: false, eightBitMime: true, smtputf8: true } }).ehlo();
    // MAIL limit = 512 + 26 (SIZE) + 10 (SMTPUTF8) + 16 (BODY) = 564
    const base = 'MAIL FROM:<a@x.test> SMTPUTF8 X=';
    const pad = (n: number): string => base + 'y'.repeat(n - base.length - 2) + '\r\n';
    h.send(pad(564));
    expect(h.codes()).toEqual([555]);
    h.send(pad(565));
    expect(h.codes()).toEqual([500]);
  });

  it('RFC 6531 a server offering SMTPUTF8 also offers 8BITMIME (SMTPUTF8 is withdrawn without it)', () => {
    const h = new ServerHarness({ extensions: { eightBitMime: false, smtputf8: true } });
    h.send('EHLO c\r\n');
    const lines = h.take()[1]!.lines;
    expect(lines).not.toContain('SMTPUTF8');
    expect(lines).not.toContain('8BITMIME');
    const d = new ServerHarness();
    d.send('EHLO c\r\n');
    const dl = d.take()[1]!.lines;
    expect(dl).toContain('SMTPUTF8');
    expect(dl).toContain('8BITMIME');
  });

  it('RFC 6531 non-ASCII addresses without SMTPUTF8 get 553 5.6.7', () => {
    const h = new ServerHarness().ehlo();
    h.send('MAIL FROM:<用户@例子.广告>\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<josé@x.test>\r\n');
    const r = h.take();
    expect(r.map((x) => [x.code, x.enhanced])).toEqual([
      [553, '5.6.7'],
      [250, '2.1.0'],
      [553, '5.6.7'],
    ]);
  });
});

describe('RFC 3463 enhanced codes in server replies', () => {
  it('RFC 3463 codes: 5.5.1 invalid command, 5.5.2 syntax, 5.5.4 arguments, 5.3.4 too big, 5.1.3 bad mailbox syntax, 4.4.2 timeout', () => {
    const h = new ServerHarness({ size: 10 }).ehlo();
    h.send('RCPT TO:<a@x.test>\r\nFOO\r\nMAIL FROM:<a@x.test> SIZE=x\r\nMAIL FROM:<a@x.test> SIZE=11\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<a@-x>\r\n');
    const r = h.take().map((x) => x.enhanced);
    expect(r).toEqual(['5.5.1', '5.5.2', '5.5.4', '5.3.4', '2.1.0', '5.1.3']);
    h.clock.advance(300_000);
    expect(h.take()[0]!.enhanced).toBe('4.4.2');
  });

  it('ENHANCEDSTATUSCODES off: no enhanced codes in replies', () => {
    const h = new ServerHarness({ extensions: { enhancedStatusCodes: false } }).ehlo();
    h.send('NOOP\r\n');
    expect(h.take()[0]).toEqual({ code: 250, lines: ['OK'] });
  });
});

describe('RFC 3461 DSN parameters carried through', () => {
  it('RET, ENVID, NOTIFY and ORCPT reach the envelope', async () => {
    let env: IncomingMessage['envelope'] | undefined;
    const h = new ServerHarness({ hooks: { onData: async (m) => void ((env = m.envelope), await m.drain()) } }).ehlo();
    h.send('MAIL FROM:<a@x.test> RET=HDRS ENVID=QQ314159\r\nRCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y.test\r\nRCPT TO:<c@y.test> NOTIFY=BOGUS\r\nDATA\r\nx\r\n.\r\n');
    await tick();
    expect(h.codes()).toEqual([250, 250, 501, 354, 250]);
    expect(env).toMatchObject({ ret: 'HDRS', envid: 'QQ314159', to: [{ address: 'b@y.test', params: { NOTIFY: 'SUCCESS,FAILURE', ORCPT: 'rfc822;b@y.test' } }] });
  });
});

describe('STARTTLS hook point (RFC 3207)', () => {
  it('STARTTLS is offered only with a transport upgrade; pipelined input after it is discarded; state resets', async () => {
    let upgraded = 0;
    const h = new ServerHarness({ transport: { write: () => undefined, close: () => undefined, startTls: async () => void upgraded++ } });
    h.send('EHLO c\r\n');
    expect(h.take()[1]!.lines).toContain('STARTTLS');
    h.send('STARTTLS\r\nMAIL FROM:<injected@x.test>\r\n');
    await tick();
    expect(upgraded).toBe(1);
    expect(h.codes()).toEqual([220]);
    expect(h.session.secure).toBe(true);
    expect(h.session.state).toBe('Begin');
    h.send('MAIL FROM:<a@x.test>\r\nEHLO c\r\n');
    const r = h.take();
    expect(r.map((x) => x.code)).toEqual([503, 250]);
    expect(r[1]!.lines).not.toContain('STARTTLS');
    const plain = new ServerHarness().ehlo();
    plain.send('STARTTLS\r\n');
    expect(plain.codes()).toEqual([502]);
  });
});

describe('hooks', () => {
  it('onData receives zero-copy views of the input', async () => {
    const input = b('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nhello world\r\n.\r\n');
    const views: Uint8Array[] = [];
    const h = new ServerHarness({
      hooks: {
        onData: async (m) => {
          for await (const c of m) views.push(c);
        },
      },
    }).ehlo();
    h.send(input);
    await tick();
    expect(views.map(s).join('')).toBe('hello world\r\n');
    for (const v of views) expect(v.buffer).toBe(input.buffer);
  });

  it('back-pressure: input is paused while the body consumer lags and resumed after', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let n = 0;
    const h = new ServerHarness({
      highWaterMark: 1000,
      hooks: {
        onData: async (m) => {
          await gate;
          for await (const c of m) n += c.length;
        },
      },
    }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    for (let i = 0; i < 10; i++) h.send('x'.repeat(498) + '\r\n');
    h.send('.\r\n');
    expect(h.paused).toBeGreaterThan(0);
    expect(h.session.bufferedInput).toBeGreaterThan(0);
    release();
    await tick(30);
    expect(n).toBe(5000);
    expect(h.codes().at(-1)).toBe(250);
  });

  it('sync and async hooks may accept with a custom reply', async () => {
    const h = new ServerHarness({ hooks: { onMailFrom: () => ({ code: 250, enhanced: '2.1.0', message: 'sender fine' }), onRcptTo: async () => ({ code: 251, message: 'will forward' }) } }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n');
    await tick();
    expect(h.take().map((r) => [r.code, r.lines[0]])).toEqual([
      [250, 'sender fine'],
      [251, 'will forward'],
    ]);
  });

  it('an error thrown with responseCode is used as the reply', () => {
    const h = new ServerHarness({
      hooks: {
        onRcptTo: () => {
          throw Object.assign(new Error('Mailbox full'), { responseCode: 552, enhanced: '5.2.2' });
        },
      },
    }).ehlo();
    h.send('MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n');
    expect(h.take()[1]).toEqual({ code: 552, enhanced: '5.2.2', lines: ['Mailbox full'] });
  });
});

describe('pull mode (h11 style, no transport)', () => {
  it('receive() then takeOutput(); closeRequested after QUIT; onOutput after async hooks', async () => {
    const { VirtualClock } = await import('@netlayers/clock');
    const { ServerSession } = await import('./server-session.js');
    let notified = 0;
    const s2 = new ServerSession({
      timers: new VirtualClock(),
      hostname: 'mx.test',
      onOutput: () => void notified++,
      hooks: { onRcptTo: async () => undefined },
    });
    s2.start();
    expect(new TextDecoder().decode(s2.takeOutput()[0])).toBe('220 mx.test ESMTP netlayers\r\n');
    s2.receive(b('EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n'));
    const first = s2.takeOutput().map(s).join('');
    expect(first).toMatch(/^250-mx.test Hello c\r\n[\s\S]*250 2.1.0 Sender OK\r\n$/);
    await tick();
    expect(notified).toBeGreaterThan(2);
    expect(s2.takeOutput().map(s).join('')).toBe('250 2.1.5 Recipient OK\r\n');
    s2.receive(b('QUIT\r\n'));
    expect(s2.takeOutput().map(s).join('')).toMatch(/^221 /);
    expect(s2.closeRequested).toBe(true);
  });
});
