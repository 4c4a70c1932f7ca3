import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CommandParser, commandLineLimit, formatCommand, parseCommand, serializeCommand, type SmtpCommand } from './command.js';
import { SmtpCommandError } from './errors.js';
import { isAddressLiteral, isDomain, parsePath } from './address.js';
import { b } from './test-harness.js';

function fails(line: string): SmtpCommandError {
  try {
    parseCommand(line);
  } catch (e) {
    if (e instanceof SmtpCommandError) return e;
    throw e;
  }
  throw new Error(`expected ${line} to fail`);
}

describe('§2.4 case-insensitivity', () => {
  it('§2.4 verbs and argument keywords are case-insensitive; the local-part keeps its case', () => {
    for (const l of ['MAIL FROM:<Joe.Bloggs@Example.COM>', 'mail from:<Joe.Bloggs@Example.COM>', 'MaIl FrOm:<Joe.Bloggs@Example.COM>']) {
      const c = parseCommand(l);
      expect(c).toEqual({ verb: 'MAIL', address: 'Joe.Bloggs@Example.COM', params: {} });
    }
    expect(parseCommand('rcpt to:<AbC@x.example>')).toEqual({ verb: 'RCPT', address: 'AbC@x.example', params: {} });
    expect(parseCommand('ehlo client.example')).toEqual({ verb: 'EHLO', domain: 'client.example' });
    expect(parseCommand('QuIt')).toEqual({ verb: 'QUIT' });
    expect(parseCommand('bdat 10 last')).toEqual({ verb: 'BDAT', size: 10, last: true });
  });

  it('§2.4 ESMTP parameter keywords are case-insensitive (upper-cased), values kept', () => {
    const c = parseCommand('MAIL FROM:<a@b.example> size=100 body=8bitmime smtputf8 Ret=hdrs envid=Q+2Bx');
    expect(c).toEqual({
      verb: 'MAIL',
      address: 'a@b.example',
      params: { SIZE: '100', BODY: '8bitmime', SMTPUTF8: true, RET: 'hdrs', ENVID: 'Q+2Bx' },
    });
  });
});

describe('§4.1.2 paths and parameters', () => {
  it('null reverse-path <> and <Postmaster>', () => {
    expect(parseCommand('MAIL FROM:<>')).toEqual({ verb: 'MAIL', address: '', params: {} });
    expect(parseCommand('RCPT TO:<Postmaster>')).toEqual({ verb: 'RCPT', address: 'Postmaster', params: {} });
    expect(fails('RCPT TO:<>').replyCode).toBe(501);
  });

  it('quoted local-parts, address literals and source routes', () => {
    expect(parseCommand('RCPT TO:<"john doe"@x.example>')).toMatchObject({ address: '"john doe"@x.example' });
    expect(parseCommand('RCPT TO:<"a\\"b>c"@x.example>')).toMatchObject({ address: '"a\\"b>c"@x.example' });
    expect(parseCommand('RCPT TO:<u@[192.0.2.1]>')).toMatchObject({ address: 'u@[192.0.2.1]' });
    expect(parseCommand('RCPT TO:<u@[IPv6:2001:db8::1]>')).toMatchObject({ address: 'u@[IPv6:2001:db8::1]' });
    expect(parseCommand('RCPT TO:<@relay.example,@r2.example:u@x.example>')).toMatchObject({ address: 'u@x.example' });
    expect(isAddressLiteral('[IPv6:::ffff:192.0.2.1]')).toBe(true);
    expect(isAddressLiteral('[300.1.1.1]')).toBe(false);
    expect(isDomain('-bad.example')).toBe(false);
    expect(isDomain('a..b')).toBe(false);
  });

  it('bad paths get 501 with a mailbox enhanced code', () => {
    for (const l of ['MAIL FROM:a@b.example', 'MAIL FROM:<a@b.example', 'RCPT TO:<a..b@x.example>', 'RCPT TO:<a@>', 'RCPT TO:<@x.example>', 'RCPT TO:<a b@x.example>']) {
      const e = fails(l);
      expect(e.replyCode, l).toBe(501);
    }
    expect(fails('RCPT TO:<a@-x>').enhanced).toBe('5.1.3');
    expect(fails('MAIL FROM:<a@-x>').enhanced).toBe('5.1.7');
  });

  it('ESMTP param syntax: keyword (ALPHA/DIGIT)*(ALPHA/DIGIT/"-"), value without "=" SP CTL; duplicates rejected', () => {
    expect(fails('MAIL FROM:<a@b.example> -X=1').replyCode).toBe(501);
    expect(fails('MAIL FROM:<a@b.example> X=').replyCode).toBe(501);
    expect(fails('MAIL FROM:<a@b.example> X=a=b').replyCode).toBe(501);
    expect(fails('MAIL FROM:<a@b.example> SIZE=1 size=2').replyCode).toBe(501);
    expect(parseCommand('MAIL FROM:<a@b.example> X-Y-1=z')).toMatchObject({ params: { 'X-Y-1': 'z' } });
  });

  it('RFC 6531 SMTPUTF8 addresses (UTF-8 local-part and U-label domain) parse', () => {
    const c = parseCommand(b('MAIL FROM:<用户@例子.广告> SMTPUTF8'));
    expect(c).toEqual({ verb: 'MAIL', address: '用户@例子.广告', params: { SMTPUTF8: true } });
    expect(parseCommand(b('RCPT TO:<josé@exämple.test>'))).toMatchObject({ address: 'josé@exämple.test' });
  });

  it('invalid UTF-8 in a command line → 500', () => {
    expect(() => parseCommand(new Uint8Array([0x4d, 0x41, 0x49, 0x4c, 0x20, 0xff]))).toThrow(SmtpCommandError);
  });
});

describe('§4.5.3.1 size limits on paths and lines', () => {
  it('§4.5.3.1.1 local-part of 64 octets accepted, 65 rejected', () => {
    expect(parseCommand(`RCPT TO:<${'a'.repeat(64)}@x.example>`)).toMatchObject({ verb: 'RCPT' });
    const e = fails(`RCPT TO:<${'a'.repeat(65)}@x.example>`);
    expect(e.replyCode).toBe(501);
  });

  it('§4.5.3.1.2 domain of 255 octets accepted (path limit permitting)', () => {
    const label = 'a'.repeat(63);
    const domain = [label, label, label, 'b'.repeat(63)].join('.'); // 255
    expect(domain.length).toBe(255);
    const r = parsePath(`<x@${domain}>`, 0, 'forward', { path: 300 });
    expect(r.ok).toBe(true);
    expect(parsePath(`<x@${domain}a>`, 0, 'forward', { path: 300 }).ok).toBe(false);
  });

  it('§4.5.3.1.3 path of 256 octets accepted, 257 → "501 Path too long"', () => {
    const mk = (n: number): string => {
      const dom = `${'d'.repeat(63)}.${'e'.repeat(63)}.${'f'.repeat(63)}.${'g'.repeat(n - 2 - 10 - 192)}`;
      return `<abcdefghi@${dom}>`;
    };
    expect(mk(256).length).toBe(256);
    expect(parsePath(mk(256), 0, 'forward').ok).toBe(true);
    const r = parsePath(mk(257), 0, 'forward');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('Path too long');
  });

  it('§4.5.3.1.4 command line limit is 512 incl. CRLF; RFC 1870 SIZE +26, RFC 6531 SMTPUTF8 +10, RFC 3461 DSN', () => {
    expect(commandLineLimit('NOOP', {})).toBe(512);
    expect(commandLineLimit('MAIL', { size: true })).toBe(538);
    expect(commandLineLimit('MAIL', { size: true, smtputf8: true })).toBe(548);
    expect(commandLineLimit('RCPT', { dsn: true })).toBe(1012);
  });

  it('CommandParser reports an overlong line as 500 5.5.6 without buffering it', () => {
    const p = new CommandParser(512);
    const long = 'NOOP ' + 'x'.repeat(600);
    const out = [...p.push(b(long.slice(0, 300))), ...p.push(b(long.slice(300) + '\r\nNOOP\r\n'))];
    expect(out).toHaveLength(2);
    expect(out[0]!.ok).toBe(false);
    if (!out[0]!.ok) expect([out[0]!.error.replyCode, out[0]!.error.enhanced, out[0]!.error.message]).toEqual([500, '5.5.6', 'Line too long']);
    expect(out[1]).toMatchObject({ ok: true, command: { verb: 'NOOP' } });
  });
});

describe('§4.3.2 argument rules', () => {
  it('§4.3.2 DATA, RSET or QUIT with arguments get 501', () => {
    for (const v of ['DATA x', 'RSET now', 'QUIT please']) expect(fails(v).replyCode, v).toBe(501);
  });

  it('unknown verbs → 500, known unimplemented → 502', () => {
    expect(fails('FOO bar').replyCode).toBe(500);
    expect(fails('TURN').replyCode).toBe(502);
    expect(fails('').replyCode).toBe(500);
  });

  it('§2.3.8 CommandParser: a bare LF does not end a command line; the CRLF line holding it gets 500', () => {
    const p = new CommandParser();
    expect(p.push(b('NOOP\n'))).toEqual([]);
    const out = p.push(b('NOOP\r\n'));
    expect(out).toHaveLength(1);
    expect(out[0]!.ok).toBe(false);
    if (!out[0]!.ok) expect(out[0]!.error.replyCode).toBe(500);
  });

  it('RFC 3030 BDAT syntax: BDAT <chunk-size> [LAST]', () => {
    expect(parseCommand('BDAT 0 LAST')).toEqual({ verb: 'BDAT', size: 0, last: true });
    expect(parseCommand('BDAT 1000')).toEqual({ verb: 'BDAT', size: 1000, last: false });
    for (const l of ['BDAT', 'BDAT -1', 'BDAT 10 FIRST', 'BDAT x']) expect(fails(l).replyCode, l).toBe(501);
  });
});

const atom = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]{1,10}$/);
const label = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?$/);
const mailbox = fc
  .tuple(fc.array(atom, { minLength: 1, maxLength: 3 }), fc.array(label, { minLength: 1, maxLength: 3 }))
  .map(([l, d]) => `${l.join('.')}@${d.join('.')}`);
const keyword = fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,8}$/);
const value = fc.stringMatching(/^[\x21-\x3c\x3e-\x7e]{1,12}$/);
const params = fc.dictionary(keyword, fc.oneof(fc.constant(true as const), value), { maxKeys: 4 }).map((d) => {
  const o: Record<string, string | true> = Object.create(null) as Record<string, string | true>;
  for (const [k, v] of Object.entries(d)) o[k] = v;
  return o;
});
const commandArb: fc.Arbitrary<SmtpCommand> = fc.oneof(
  fc.record({ verb: fc.constantFrom('HELO' as const, 'EHLO' as const), domain: label }),
  fc.record({ verb: fc.constant('MAIL' as const), address: fc.oneof(mailbox, fc.constant('')), params }),
  fc.record({ verb: fc.constant('RCPT' as const), address: mailbox, params }),
  fc.record({ verb: fc.constantFrom('DATA' as const, 'RSET' as const, 'QUIT' as const, 'STARTTLS' as const) }),
  fc.record({ verb: fc.constantFrom('VRFY' as const, 'EXPN' as const), argument: atom }),
  fc.record({ verb: fc.constant('BDAT' as const), size: fc.nat(), last: fc.boolean() }),
);

describe('fast-check: command roundtrip', () => {
  it('parseCommand(formatCommand(c)) == c, and CommandParser over any chunking yields the same commands', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), (cmds, cuts) => {
        for (const c of cmds) {
          const line = formatCommand(c);
          expect(line.endsWith('\r\n')).toBe(true);
          expect(parseCommand(line.slice(0, -2))).toEqual(c);
        }
        const wire = new Uint8Array(cmds.flatMap((c) => [...serializeCommand(c)]));
        const pts = [...new Set(cuts.map((x) => x % (wire.length + 1)))].sort((x, y) => x - y);
        const p = new CommandParser(4096);
        const got: SmtpCommand[] = [];
        let prev = 0;
        for (const c of [...pts, wire.length]) {
          for (const r of p.push(wire.subarray(prev, c))) {
            expect(r.ok).toBe(true);
            if (r.ok) got.push(r.command);
          }
          prev = c;
        }
        expect(got).toEqual(cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('parseCommand never throws anything but SmtpCommandError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseCommand(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(SmtpCommandError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
