// The Node ecosystem's SMTP pieces against ours, both ways:
// - nodemailer's SMTP client -> our createServer;
// - our client (sendMail / sendMailDetailed) -> nodemailer's smtp-server.
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpError, SmtpReplyError, reject, sendMail, sendMailDetailed } from '../../src/index.js';
import { HOST, startNodemailerServer, startOurServer } from './helpers.js';
import type { NodemailerServer, OurServer } from './helpers.js';

const TIMEOUTS = { greeting: 5000, command: 5000, mail: 5000, rcpt: 5000, dataInit: 5000, dataBlock: 5000, dataTermination: 5000 };

describe('nodemailer client -> createServer', () => {
  let ours: OurServer;
  const transports: Transporter[] = [];
  const transport = () => {
    const t = nodemailer.createTransport({
      host: HOST,
      port: ours.port,
      secure: false,
      ignoreTLS: true,
      connectionTimeout: 5000,
      greetingTimeout: 5000,
      socketTimeout: 5000,
    });
    transports.push(t);
    return t;
  };

  beforeAll(async () => {
    ours = await startOurServer({
      size: 200_000,
      onRcptTo: (a) => (a.startsWith('nobody@') ? reject(550, '5.1.1', 'No such user') : undefined),
    });
  });
  afterAll(async () => {
    for (const t of transports) t.close();
    await ours.close();
  });

  it('delivers text with dot lines to several recipients; a rejected one is reported', async () => {
    const tag = `nm-${Date.now()}`;
    const info = (await transport().sendMail({
      from: 'alice@x.example',
      to: ['bob@y.example', 'nobody@y.example', 'carol@y.example'],
      subject: tag,
      text: `hello\n.leading\n.\n..two\nend ${tag}\n`,
    })) as { accepted: string[]; rejected: string[]; response: string };
    expect(info.response).toMatch(/^250 /);
    expect(info.accepted).toEqual(['bob@y.example', 'carol@y.example']);
    expect(info.rejected).toEqual(['nobody@y.example']);
    const got = ours.messages.find((m) => m.content.includes(tag));
    expect(got?.from).toBe('alice@x.example');
    expect(got?.to).toEqual(['bob@y.example', 'carol@y.example']);
    expect(got?.content.toString('latin1')).toContain(`hello\r\n.leading\r\n.\r\n..two\r\nend ${tag}\r\n`);
  });

  it('a 1 MiB attachment over SIZE 200000 is refused with 552', async () => {
    const err = await transport()
      .sendMail({
        from: 'alice@x.example',
        to: 'bob@y.example',
        subject: 'big',
        text: 'see attachment',
        attachments: [{ filename: 'big.bin', content: Buffer.alloc(1 << 20, 7) }],
      })
      .then(
        () => undefined,
        (e: unknown) => e as { responseCode?: number; response?: string },
      );
    expect(err?.responseCode).toBe(552);
  });

  it('SMTPUTF8: a non-ASCII recipient arrives as UTF-8', async () => {
    const tag = `utf8-${Date.now()}`;
    const info = (await transport().sendMail({
      from: 'alice@x.example',
      to: 'δοκιμή@παράδειγμα.example',
      subject: tag,
      text: 'utf8 ✓',
    })) as { accepted: string[] };
    expect(info.accepted).toHaveLength(1);
    const got = ours.messages.find((m) => m.content.includes(tag));
    expect(got?.to).toEqual(['δοκιμή@παράδειγμα.example']);
  });

  it('several messages over one pooled connection', async () => {
    const pool = nodemailer.createTransport({ host: HOST, port: ours.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, socketTimeout: 5000 });
    transports.push(pool);
    const before = ours.counts.connect;
    const tag = `pool-${Date.now()}`;
    for (let i = 0; i < 5; i++) {
      await pool.sendMail({ from: 'alice@x.example', to: 'bob@y.example', subject: `${tag}-${i}`, text: `n ${i}` });
    }
    expect(ours.messages.filter((m) => m.content.includes(tag))).toHaveLength(5);
    expect(ours.counts.connect - before).toBe(1);
  });
});

describe("our client -> nodemailer's smtp-server", () => {
  let nm: NodemailerServer;
  beforeAll(async () => {
    nm = await startNodemailerServer({
      size: 100_000,
      onRcptTo(address, _session, cb) {
        if (address.address.startsWith('nobody@')) {
          const e = new Error('No such user') as Error & { responseCode: number };
          e.responseCode = 550;
          cb(e);
          return;
        }
        cb();
      },
      onMailFrom(address, _session, cb) {
        if (address.address === 'spam@x.example') {
          const e = new Error('Go away') as Error & { responseCode: number };
          e.responseCode = 553;
          cb(e);
          return;
        }
        cb();
      },
    });
  });
  afterAll(async () => {
    await nm.close();
  });

  it('delivers byte-exact content (dot lines stuffed by us, unstuffed by smtp-server)', async () => {
    const tag = `ours-${Date.now()}`;
    const body = `Subject: ${tag}\r\n\r\nhello\r\n.leading\r\n..two\r\n.\r\nend\r\n`;
    const r = await sendMailDetailed({
      host: HOST,
      port: nm.port,
      envelope: { from: 'alice@x.example', to: ['bob@y.example', 'nobody@y.example', 'carol@y.example'] },
      body,
      timeouts: TIMEOUTS,
    });
    expect(r.reply.code).toBe(250);
    expect(r.accepted).toEqual(['bob@y.example', 'carol@y.example']);
    expect(r.rejected.map((x) => [x.address, x.reply.code])).toEqual([['nobody@y.example', 550]]);
    const got = nm.messages.find((m) => m.content.includes(tag));
    expect(got?.content.toString('latin1')).toBe(body);
    expect(got?.to).toEqual(['bob@y.example', 'carol@y.example']);
  });

  it('a refused sender surfaces as SmtpReplyError 553 on MAIL', async () => {
    const err = await sendMail({ host: HOST, port: nm.port, envelope: { from: 'spam@x.example', to: ['bob@y.example'] }, body: 'x\r\n', timeouts: TIMEOUTS }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SmtpReplyError);
    expect((err as SmtpReplyError).reply?.code).toBe(553);
    expect((err as SmtpReplyError).command).toMatch(/^MAIL FROM/);
  });

  it('SMTPUTF8 envelope reaches smtp-server intact', async () => {
    const tag = `u-${Date.now()}`;
    const r = await sendMail({
      host: HOST,
      port: nm.port,
      envelope: { from: 'δοκιμή@x.example', to: ['用户@例子.example'] },
      body: `Subject: ${tag}\r\n\r\nutf8\r\n`,
      timeouts: TIMEOUTS,
    });
    expect(r.code).toBe(250);
    const got = nm.messages.find((m) => m.content.includes(tag));
    expect(got?.from).toBe('δοκιμή@x.example');
    expect(got?.to).toEqual(['用户@例子.example']);
  });

  it('a body over the advertised SIZE is refused by our client before sending (552)', async () => {
    const before = nm.messages.length;
    const err = await sendMail({
      host: HOST,
      port: nm.port,
      envelope: { from: 'alice@x.example', to: ['bob@y.example'] },
      body: 'x'.repeat(150_000),
      timeouts: TIMEOUTS,
    }).then(
      () => undefined,
      (e: unknown) => e as SmtpError,
    );
    expect(err).toBeInstanceOf(SmtpError);
    expect(err?.code).toBe('ERR_SMTP_SIZE');
    expect(err?.reply?.code).toBe(552);
    expect(nm.messages.length).toBe(before);
  });
});
