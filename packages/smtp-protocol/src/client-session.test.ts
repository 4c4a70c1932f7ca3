import { describe, expect, it } from 'vitest';
import { ClientHarness, EHLO_REPLY, tick } from './test-harness.js';
import { SmtpError, SmtpReplyError } from './errors.js';
import { ClientSession } from './client-session.js';
import { VirtualClock } from '@netlayers/clock';

async function greeted(opts: ConstructorParameters<typeof ClientHarness>[0] = {}, ehlo = EHLO_REPLY): Promise<ClientHarness> {
  const h = new ClientHarness(opts);
  const g = h.session.greet();
  h.reply('220 mx.test ESMTP\r\n');
  await tick();
  expect(h.fresh()).toBe('EHLO client.test\r\n');
  h.reply(ehlo);
  await g;
  return h;
}

async function rejection(p: Promise<unknown>): Promise<SmtpError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SmtpError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('thesis figure 16 client states', () => {
  it('Begin → Wait → SettingRecipients → WritingMail → MailCompleted → Closed', async () => {
    const h = await greeted({ pipelining: false });
    expect(h.session.state).toBe('Wait');
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'hello\r\n');
    await tick();
    expect(h.session.state).toBe('SettingRecipients');
    h.reply('250 ok\r\n');
    await tick();
    h.reply('250 ok\r\n');
    await tick();
    h.reply('354 go\r\n');
    await tick();
    expect(h.session.state).toBe('WritingMail');
    h.reply('250 queued\r\n');
    const r = await p;
    expect(h.session.state).toBe('MailCompleted');
    expect(r.reply.code).toBe(250);
    const q = h.session.quit();
    await tick();
    expect(h.closed).toBe(0); // §3.8: the client does not close before the 221
    h.reply('221 bye\r\n');
    await q;
    expect(h.session.state).toBe('Closed');
    expect(h.closed).toBe(1);
  });
});

describe('§4.2 client reply handling', () => {
  it('§4.2 the client accepts a bare code and acts on the first digit of unknown codes', async () => {
    const h = await greeted({ pipelining: false });
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'x\r\n');
    await tick();
    h.reply('250\r\n');
    await tick();
    h.reply('299 odd but positive\r\n');
    await tick();
    h.reply('399 go on\r\n');
    await tick();
    h.reply('259 \r\n');
    const r = await p;
    expect(r.reply.code).toBe(259);
    expect(r.accepted).toEqual(['b@y.test']);
  });

  it('§4.2 a 554 greeting is not a session: the client QUITs and reports it', async () => {
    const h = new ClientHarness();
    const g = h.session.greet();
    h.reply('554 no service\r\n');
    await tick();
    expect(h.fresh()).toBe('QUIT\r\n');
    h.reply('221 bye\r\n');
    const e = await rejection(g);
    expect(e.reply?.code).toBe(554);
  });

  it('EHLO refused with 502 → HELO fallback (RFC 5321 §3.2)', async () => {
    const h = new ClientHarness();
    const g = h.session.greet();
    h.reply('220 old.test\r\n');
    await tick();
    h.reply('502 what\r\n');
    await tick();
    expect(h.text()).toBe('EHLO client.test\r\nHELO client.test\r\n');
    h.reply('250 old.test\r\n');
    await g;
    expect(h.session.extensions.size).toBe(0);
  });
});

describe('RFC 2920 PIPELINING (client)', () => {
  it('RFC 2920 the client sends MAIL, RCPTs and DATA as one group and checks every status', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test', 'c@y.test', 'd@y.test'] }, 'hi\r\n');
    await tick();
    expect(h.writes.length).toBe(2); // EHLO, then MAIL + 3 RCPT + DATA in ONE write (RFC 2920 §3.2)
    expect(h.fresh()).toBe('MAIL FROM:<a@x.test> SIZE=4\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nRCPT TO:<d@y.test>\r\nDATA\r\n');
    h.reply('250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n452 4.5.3 too many\r\n354 go\r\n');
    await tick();
    expect(h.fresh()).toBe('hi\r\n.\r\n');
    h.reply('250 2.6.0 queued\r\n');
    const r = await p;
    expect(r.accepted).toEqual(['b@y.test']);
    expect(r.rejected.map((x) => [x.address, x.reply.code])).toEqual([
      ['c@y.test', 550],
      ['d@y.test', 452],
    ]);
  });

  it('RFC 2920 MAIL rejected inside a group: no data is sent even if DATA got 354; the error names MAIL', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'secret\r\n');
    await tick();
    h.fresh();
    h.reply('550 5.7.1 no\r\n503 5.5.1 need MAIL\r\n354 go\r\n');
    await tick();
    expect(h.fresh()).toBe('.\r\n'); // terminates the unwanted DATA with an empty body
    h.reply('554 5.5.1 no valid recipients\r\n');
    const e = await rejection(p);
    expect(e).toBeInstanceOf(SmtpReplyError);
    expect((e as SmtpReplyError).command).toMatch(/^MAIL/);
    expect(h.text()).not.toContain('secret');
  });

  it('§4.1.4 no data is sent without a 354: DATA refused with 554 → RSET, error', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'secret\r\n');
    await tick();
    h.fresh();
    h.reply('250 ok\r\n550 no\r\n554 no valid recipients\r\n');
    await tick();
    expect(h.fresh()).toBe('RSET\r\n');
    h.reply('250 flushed\r\n');
    const e = await rejection(p);
    expect(e.reply?.code).toBe(550);
    expect(h.text()).not.toContain('secret');
    expect(h.session.state).toBe('Wait');
  });

  it('without PIPELINING the client waits for each reply', async () => {
    const h = await greeted({}, '250-mx.test\r\n250 8BITMIME\r\n');
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test', 'c@y.test'] }, 'x');
    await tick();
    expect(h.fresh()).toBe('MAIL FROM:<a@x.test>\r\n');
    h.reply('250 ok\r\n');
    await tick();
    expect(h.fresh()).toBe('RCPT TO:<b@y.test>\r\n');
    h.reply('250 ok\r\n');
    await tick();
    expect(h.fresh()).toBe('RCPT TO:<c@y.test>\r\n');
    h.reply('250 ok\r\n');
    await tick();
    expect(h.fresh()).toBe('DATA\r\n');
    h.reply('354 go\r\n');
    await tick();
    h.reply('250 ok\r\n');
    await p;
  });
});

describe('§4.2 early final reply', () => {
  it('§4.2 a final reply right behind the 354 (same read) is matched to the end of data', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'x'.repeat(5000));
    await tick();
    h.fresh();
    h.reply('250 ok\r\n250 ok\r\n354 go\r\n550 5.7.1 This violates SMTP\r\n');
    const e = await rejection(p);
    expect(e).toBeInstanceOf(SmtpReplyError);
    expect(e.reply).toMatchObject({ code: 550, enhanced: '5.7.1' });
  });

  it('an early final reply stops an async body and ends the connection', async () => {
    const h = await greeted();
    let pulled = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 100; i++) {
        pulled++;
        await tick(1);
        yield new TextEncoder().encode('line\r\n');
      }
    }
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, body());
    await tick();
    h.reply('250 ok\r\n250 ok\r\n354 go\r\n');
    await tick(3);
    h.reply('552 5.3.4 too much\r\n');
    const e = await rejection(p);
    expect(e.reply?.code).toBe(552);
    expect(pulled).toBeLessThan(100);
    expect(h.closed).toBe(1);
  });
});

describe('§4.5.2 / §2.3.8 client content encoding', () => {
  it('§4.5.2 the client doubles leading dots and §2.3.8 never sends a bare CR or LF', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, '.start\n..two\r\nbare\rcr\n.');
    await tick();
    h.fresh();
    h.reply('250 ok\r\n250 ok\r\n354 go\r\n');
    await tick();
    expect(h.fresh()).toBe('..start\r\n...two\r\nbare\r\ncr\r\n..\r\n.\r\n');
    h.reply('250 ok\r\n');
    await p;
  });

  it('async iterable bodies are stuffed across chunk boundaries', async () => {
    const h = await greeted();
    async function* body(): AsyncGenerator<Uint8Array> {
      const te = new TextEncoder();
      yield te.encode('a\r');
      yield te.encode('\n.b\r\n');
      yield te.encode('.');
    }
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, body());
    await tick();
    h.fresh();
    h.reply('250 ok\r\n250 ok\r\n354 go\r\n');
    await tick(10);
    expect(h.fresh()).toBe('a\r\n..b\r\n..\r\n.\r\n');
    h.reply('250 ok\r\n');
    await p;
  });
});

describe('RFC 1870 SIZE (client)', () => {
  it('RFC 1870 "SIZE 0" means no limit, "SIZE" without value means no information', async () => {
    const a = await greeted({}, '250-mx\r\n250 SIZE 0\r\n');
    expect(a.session.serverSizeLimit).toBe(0);
    const b = await greeted({}, '250-mx\r\n250 SIZE\r\n');
    expect(b.session.serverSizeLimit).toBeUndefined();
    const p = a.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'x'.repeat(100));
    await tick();
    expect(a.fresh()).toMatch(/^MAIL FROM:<a@x.test> SIZE=100\r\n/);
    a.reply('250 ok\r\n');
    await tick();
    a.reply('250 ok\r\n');
    await tick();
    a.reply('354 ok\r\n');
    await tick();
    a.reply('250 ok\r\n');
    await p;
  });

  it('RFC 1870 a message above the announced SIZE is not sent (552 5.3.4 locally)', async () => {
    const h = await greeted({}, '250-mx\r\n250 SIZE 10\r\n');
    const e = await rejection(h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'x'.repeat(11)));
    expect(e.code).toBe('ERR_SMTP_SIZE');
    expect(e.reply).toMatchObject({ code: 552, enhanced: '5.3.4' });
    expect(h.fresh()).toBe('');
  });
});

describe('RFC 3030 CHUNKING (client)', () => {
  it('RFC 3030 BDAT sends exact octet counts without dot-stuffing; the last chunk carries LAST', async () => {
    const h = await greeted({ preferChunking: true, maxChunkSize: 8 });
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, '.a\r\n.\r\n..bcdefg');
    await tick(10);
    expect(h.fresh()).toBe('MAIL FROM:<a@x.test> SIZE=15\r\nRCPT TO:<b@y.test>\r\n');
    h.reply('250 ok\r\n250 ok\r\n');
    await tick(10);
    expect(h.fresh()).toBe('BDAT 8\r\n.a\r\n.\r\n.BDAT 7 LAST\r\n.bcdefg');
    h.reply('250 8 octets\r\n250 2.6.0 done\r\n');
    const r = await p;
    expect(r.reply.code).toBe(250);
    expect(r.size).toBe(15);
  });

  it('RFC 3030 after a 4xx/5xx reply to BDAT the client sends no more chunks', async () => {
    const h = await greeted({ preferChunking: true });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const te = new TextEncoder();
    async function* body(): AsyncGenerator<Uint8Array> {
      yield te.encode('first');
      yield te.encode('second');
      await gate;
      yield te.encode('third');
      yield te.encode('fourth');
    }
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, body());
    await tick();
    h.reply('250 ok\r\n250 ok\r\n');
    await tick(10);
    expect(h.fresh()).toContain('BDAT 5\r\nfirst');
    h.reply('552 5.3.4 too big\r\n');
    await tick();
    release();
    await tick(10);
    const sent = h.fresh();
    expect(sent).not.toContain('third');
    expect(sent).not.toContain('fourth');
    h.reply('250 flushed\r\n'); // reply to RSET
    const e = await rejection(p);
    expect(e.reply?.code).toBe(552);
  });

  it('RFC 3030 BINARYMIME bodies always go by BDAT with BODY=BINARYMIME', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'], body: 'BINARYMIME' }, new Uint8Array([0, 13, 10, 46, 13, 10]));
    await tick();
    expect(h.fresh()).toBe('MAIL FROM:<a@x.test> SIZE=6 BODY=BINARYMIME\r\nRCPT TO:<b@y.test>\r\n');
    h.reply('250 ok\r\n250 ok\r\n');
    await tick(10);
    expect(h.fresh()).toBe('BDAT 6 LAST\r\n\x00\r\n.\r\n');
    h.reply('250 ok\r\n');
    await p;
  });
});

describe('RFC 6531 / RFC 3461 parameters (client)', () => {
  it('RFC 6531 non-ASCII addresses add SMTPUTF8; refused when the server lacks it', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'josé@x.test', to: ['b@y.test'] }, 'x\r\n');
    await tick();
    expect(h.fresh()).toMatch(/^MAIL FROM:<josé@x.test> SIZE=3 SMTPUTF8\r\n/);
    h.reply('250 ok\r\n250 ok\r\n354 go\r\n');
    await tick();
    h.reply('250 ok\r\n');
    await p;
    const n = await greeted({}, '250-mx\r\n250 PIPELINING\r\n');
    const e = await rejection(n.session.send({ from: 'josé@x.test', to: ['b@y.test'] }, 'x'));
    expect(e.code).toBe('ERR_SMTP_INVALID_ARGUMENT');
  });

  it('RFC 3461 DSN parameters are carried when DSN is offered', async () => {
    const h = await greeted();
    const p = h.session.send(
      { from: 'a@x.test', to: ['b@y.test'], mailParams: { RET: 'HDRS', ENVID: 'X1' }, rcptParams: { 'b@y.test': { NOTIFY: 'FAILURE', ORCPT: 'rfc822;b@y.test' } } },
      'x\r\n',
    );
    await tick();
    expect(h.fresh()).toBe('MAIL FROM:<a@x.test> RET=HDRS ENVID=X1 SIZE=3\r\nRCPT TO:<b@y.test> NOTIFY=FAILURE ORCPT=rfc822;b@y.test\r\nDATA\r\n');
    h.reply('250 ok\r\n250 ok\r\n354 go\r\n');
    await tick();
    h.reply('250 ok\r\n');
    await p;
  });
});

async function replies(h: ClientHarness, rs: string[]): Promise<void> {
  for (const r of rs) {
    h.reply(r + '\r\n');
    await tick();
  }
}

describe('§3.8 / §4.5.3.2 connection loss, 421 and timeouts', () => {
  it('§3.8 a client treats a dropped connection as 451', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'x');
    await tick();
    h.session.receiveEnd();
    const e = await rejection(p);
    expect(e.code).toBe('ERR_SMTP_CONNECTION_CLOSED');
    expect(e.reply).toMatchObject({ code: 451, enhanced: '4.4.2' });
    expect(h.session.state).toBe('Closed');
  });

  it('§3.8 a 421 fails every pending command and closes', async () => {
    const h = await greeted();
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'x');
    await tick();
    h.reply('421 4.3.2 shutting down\r\n');
    const e = await rejection(p);
    expect(e.reply?.code).toBe(421);
    expect(h.closed).toBe(1);
  });

  const phases: Array<[string, number, (h: ClientHarness) => Promise<void>]> = [
    ['§4.5.3.2.1 greeting: 5 minutes', 300_000, async () => undefined],
    ['§4.5.3.2.2 MAIL: 5 minutes', 300_000, async () => undefined],
    ['§4.5.3.2.3 RCPT: 5 minutes', 300_000, (h) => replies(h, ['250 ok'])],
    ['§4.5.3.2.4 DATA initiation: 2 minutes', 120_000, (h) => replies(h, ['250 ok', '250 ok'])],
    ['§4.5.3.2.6 DATA termination: 10 minutes', 600_000, (h) => replies(h, ['250 ok', '250 ok', '354 go'])],
  ];
  for (const [name, ms, advanceTo] of phases) {
    it(`${name} (per-command timer on the injected clock)`, async () => {
      const h = new ClientHarness({ pipelining: false });
      let p: Promise<unknown>;
      if (name.includes('greeting')) {
        p = h.session.greet();
      } else {
        const g = h.session.greet();
        h.reply('220 mx\r\n');
        await tick();
        h.reply('250 mx\r\n');
        await g;
        p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'x\r\n');
        await tick();
        // deliver replies one by one until the phase under test
        if (!name.includes('MAIL')) {
          await advanceTo(h);
          await tick(10);
        }
      }
      p.catch(() => undefined);
      h.clock.advance(ms - 1);
      await tick();
      expect(h.closed).toBe(0);
      h.clock.advance(1);
      const e = await rejection(p);
      expect(e.code).toBe('ERR_SMTP_TIMEOUT');
      expect(e.reply?.code).toBe(451);
      expect(h.closed).toBe(1);
    });
  }

  it('§4.5.3.2.5 each data block (BDAT chunk): 3 minutes', async () => {
    const h = await greeted({ preferChunking: true, pipelining: false, maxChunkSize: 2 });
    const p = h.session.send({ from: 'a@x.test', to: ['b@y.test'] }, 'abcd');
    p.catch(() => undefined);
    await tick();
    h.reply('250 ok\r\n');
    await tick();
    h.reply('250 ok\r\n');
    await tick(10);
    expect(h.fresh()).toContain('BDAT 2\r\nab');
    h.clock.advance(179_999);
    await tick();
    expect(h.closed).toBe(0);
    h.clock.advance(1);
    const e = await rejection(p);
    expect(e.code).toBe('ERR_SMTP_TIMEOUT');
  });
});

describe('transport back-pressure (client)', () => {
  it('content is written only as fast as the transport drains (write() === false → whenWritable)', async () => {
    const clock = new VirtualClock();
    const writes: number[] = [];
    let release: (() => void) | undefined;
    const c = new ClientSession({
      timers: clock,
      transport: {
        write: (d) => {
          writes.push(d.length);
          return d.length < 8192; // big writes fill the buffer
        },
        whenWritable: () => new Promise<void>((r) => (release = r)),
        close: () => undefined,
      },
    });
    const g = c.greet();
    c.receive(new TextEncoder().encode('220 mx\r\n'));
    await tick();
    c.receive(new TextEncoder().encode('250-mx\r\n250 PIPELINING\r\n'));
    await g;
    const chunk = new Uint8Array(10_000).fill(0x61);
    chunk[9998] = 13;
    chunk[9999] = 10;
    const p = c.send({ from: 'a@x.test', to: ['b@y.test'] }, [chunk, chunk, chunk]);
    await tick();
    c.receive(new TextEncoder().encode('250 ok\r\n250 ok\r\n354 go\r\n'));
    await tick();
    expect(writes.filter((n) => n === 10_000)).toHaveLength(1);
    release!();
    await tick();
    expect(writes.filter((n) => n === 10_000)).toHaveLength(2);
    release!();
    await tick();
    expect(writes.filter((n) => n === 10_000)).toHaveLength(3);
    release!();
    await tick();
    c.receive(new TextEncoder().encode('250 ok\r\n'));
    expect((await p).reply.code).toBe(250);
  });
});
