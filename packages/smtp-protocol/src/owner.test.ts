import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ServerHarness, ClientHarness, EHLO_REPLY, b, s, tick } from './test-harness.js';
import { encodeData } from './data.js';
import { concatBytes } from './bytes.js';
import type { BufferOwner, RawSegment } from './owner.js';
import type { IncomingMessage } from './message.js';
import { SmtpError } from './errors.js';
import type { ServerHooks, ServerSessionOptions } from './server-session.js';

/** A reference-counted owner; starts with the caller's one reference. */
class CountingOwner implements BufferOwner {
  refs = 1;
  holds = 0;
  hold(): void {
    if (this.refs <= 0) throw new Error('hold after the last release');
    this.refs++;
    this.holds++;
  }
  release(): void {
    if (this.refs <= 0) throw new Error('released more often than held');
    this.refs--;
  }
}

/** Splits `all` at `cuts` into views of the same ArrayBuffer. */
function split(all: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let p = 0;
  for (const c of [...pts, all.length]) {
    if (c > p) out.push(all.subarray(p, c));
    p = Math.max(p, c);
  }
  return out;
}

interface Taken {
  segs: RawSegment[];
  error: unknown;
  done: boolean;
}

/** An onData hook that takes the body raw, keeps the segments until `releaseAll`. */
function rawTaker(): { hooks: ServerHooks; taken: Taken[] } {
  const taken: Taken[] = [];
  return {
    taken,
    hooks: {
      async onData(m: IncomingMessage) {
        const t: Taken = { segs: [], error: undefined, done: false };
        taken.push(t);
        try {
          for await (const seg of m.takeRaw()) t.segs.push(seg);
        } catch (e) {
          t.error = e;
        }
        t.done = true;
      },
    },
  };
}

function feed(h: ServerHarness, chunks: Uint8Array[]): CountingOwner[] {
  const owners: CountingOwner[] = [];
  for (const c of chunks) {
    const o = new CountingOwner();
    owners.push(o);
    h.session.receive(c, o);
    o.release(); // the caller drops its reference right away
  }
  return owners;
}

const lineArb = fc.array(fc.constantFrom('a', 'b', '.', ' ', 'x'), { maxLength: 12 }).map((cs) => cs.join(''));
const bodyArb = fc.array(lineArb, { maxLength: 12 }).map((ls) => ls.map((l) => l + '\r\n').join(''));
const cutsArb = fc.array(fc.nat(), { maxLength: 12 });
const PRE = 'EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n';

describe('buffer ownership (takeRaw, receive with owner)', () => {
  it('DATA: takeRaw yields the wire octets through CRLF.CRLF as views; every hold is released', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb, cutsArb, async (body, cuts) => {
        const wire = concatBytes([...encodeData([b(body)])]);
        const all = b(PRE + s(wire) + 'NOOP\r\n');
        const { hooks, taken } = rawTaker();
        const h = new ServerHarness({ hooks });
        const owners = feed(h, split(all, cuts));
        await tick();
        expect(taken).toHaveLength(1);
        const t = taken[0]!;
        expect(t.done).toBe(true);
        expect(t.error).toBeUndefined();
        for (const seg of t.segs) expect(seg.bytes.buffer).toBe(all.buffer); // no copy
        expect(s(concatBytes(t.segs.map((x) => x.bytes)))).toBe(s(wire));
        const codes = h.all().map((r) => r.code);
        expect(codes.slice(-2)).toEqual([250, 250]); // message accepted, then the pipelined NOOP
        for (const seg of t.segs) seg.owner?.release();
        for (const o of owners) expect(o.refs).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('BDAT: takeRaw yields each chunk; transfer is BDAT; holds balance', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }), cutsArb, async (parts, cuts) => {
        const cmds: Uint8Array[] = [b('EHLO c.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n')];
        parts.forEach((p, i) => cmds.push(b(`BDAT ${p.length}${i === parts.length - 1 ? ' LAST' : ''}\r\n`), p));
        cmds.push(b('NOOP\r\n'));
        const all = concatBytes(cmds).slice();
        const { hooks, taken } = rawTaker();
        let transfer = '';
        const h = new ServerHarness({ hooks: { onData: (m, se) => ((transfer = m.transfer), hooks.onData!(m, se)) } });
        const owners = feed(h, split(all, cuts));
        await tick();
        const t = taken[0]!;
        expect(transfer).toBe('BDAT');
        expect(t.error).toBeUndefined();
        expect([...concatBytes(t.segs.map((x) => x.bytes))]).toEqual([...concatBytes(parts)]);
        for (const seg of t.segs) expect(seg.bytes.buffer).toBe(all.buffer);
        expect(h.all().map((r) => r.code).slice(-1)).toEqual([250]);
        for (const seg of t.segs) seg.owner?.release();
        for (const o of owners) expect(o.refs).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  const failures: Array<[string, Partial<ServerSessionOptions>, string, (h: ServerHarness) => void, number | undefined]> = [
    ['oversize (552)', { size: 20 }, PRE + 'x'.repeat(30) + '\r\n.\r\nNOOP\r\n', () => undefined, 552],
    ['bare LF (554)', {}, PRE + 'a\nb\r\n.\r\nNOOP\r\n', () => undefined, 554],
    ['connection closed mid-DATA', {}, PRE + 'hello\r\nmore', (h) => h.session.receiveEnd(), undefined],
    ['destroy mid-DATA', {}, PRE + 'hello\r\nmore', (h) => h.session.destroy(), undefined],
    ['RSET between BDAT chunks', {}, 'EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBDAT 5\r\nhelloRSET\r\n', () => undefined, 250],
  ];
  for (const [name, opts, text, after, lastCode] of failures) {
    it(`failure: ${name} — the iterator throws a typed error, every hold is released`, async () => {
      await fc.assert(
        fc.asyncProperty(cutsArb, async (cuts) => {
          const all = b(text);
          const { hooks, taken } = rawTaker();
          const h = new ServerHarness({ ...opts, hooks });
          const owners = feed(h, split(all, cuts));
          await tick();
          after(h);
          await tick();
          const t = taken[0]!;
          expect(t.done).toBe(true);
          expect(t.error).toBeInstanceOf(SmtpError);
          if (lastCode !== undefined) expect(h.all().map((r) => r.code)).toContain(lastCode);
          for (const seg of t.segs) seg.owner?.release();
          for (const o of owners) expect(o.refs).toBe(0);
        }),
        { numRuns: 40 },
      );
    });
  }

  it('content iteration with owners: views valid while read, holds balance; both modes → ERR_SMTP_STATE', async () => {
    const got: string[] = [];
    let err: unknown;
    const h = new ServerHarness({
      hooks: {
        async onData(m) {
          for await (const c of m) got.push(s(c));
          try {
            m.takeRaw();
          } catch (e) {
            err = e;
          }
        },
      },
    });
    const all = b(PRE + '..dot\r\nline\r\n.\r\n');
    const owners = feed(h, split(all, [3, 20, 61, 64, 70]));
    await tick();
    expect(got.join('')).toBe('.dot\r\nline\r\n');
    expect((err as SmtpError).code).toBe('ERR_SMTP_STATE');
    for (const o of owners) expect(o.refs).toBe(0);
  });

  it('input kept while a hook is pending is held, then released', async () => {
    let resolve!: () => void;
    const h = new ServerHarness({ hooks: { onMailFrom: () => new Promise<void>((r) => (resolve = r)) } });
    const o = new CountingOwner();
    h.session.receive(b('EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nNOOP\r\nNO'), o);
    o.release();
    expect(o.refs).toBe(1); // the session holds the unprocessed rest
    resolve();
    await tick();
    expect(o.refs).toBe(0); // processed; the partial "NO" was copied out
    h.session.receive(b('OP\r\n'));
    expect(h.all().map((r) => r.code)).toEqual([220, 250, 250, 250, 250, 250]);
  });
});

/** A client past its greeting and EHLO (answered with `ehlo`). */
async function greeted(ehlo: string): Promise<ClientHarness> {
  const c = new ClientHarness();
  const g = c.session.greet();
  c.reply('220 mx.test\r\n');
  await tick();
  c.reply(ehlo);
  await g;
  c.fresh();
  return c;
}

describe('ClientSession RawBody', () => {
  it('dot-stuffed: written after the 354, SIZE from size', async () => {
    const c = await greeted(EHLO_REPLY);
    const wire = concatBytes([...encodeData([b('..x\r\n')])]);
    let writes = 0;
    const p = c.session.send({ from: 'a@x.test', to: ['b@y.test'] }, { encoding: 'dot-stuffed', size: 4, write: () => void (writes++, c.writes.push(wire)) });
    await tick();
    expect(c.fresh()).toBe('MAIL FROM:<a@x.test> SIZE=4\r\nRCPT TO:<b@y.test>\r\nDATA\r\n');
    expect(writes).toBe(0);
    c.reply('250 ok\r\n250 ok\r\n354 go\r\n');
    await tick();
    expect(writes).toBe(1);
    expect(c.fresh()).toBe('...x\r\n.\r\n');
    c.reply('250 2.0.0 queued\r\n');
    const r = await p;
    expect(r.reply.code).toBe(250);
    expect(r.size).toBe(4);
  });

  it('binary: BDAT size LAST then write(); without CHUNKING a typed error before MAIL', async () => {
    const c = await greeted(EHLO_REPLY);
    const p = c.session.send({ from: 'a@x.test', to: ['b@y.test'] }, { encoding: 'binary', size: 3, write: () => void c.writes.push(b('a\nb')) });
    await tick();
    c.reply('250 ok\r\n250 ok\r\n');
    await tick();
    expect(c.fresh()).toBe('MAIL FROM:<a@x.test> SIZE=3\r\nRCPT TO:<b@y.test>\r\nBDAT 3 LAST\r\na\nb');
    c.reply('250 2.0.0 queued\r\n');
    expect((await p).reply.code).toBe(250);

    const d = await greeted('250-mx.test\r\n250 PIPELINING\r\n');
    const e = await d.session.send({ from: 'a@x.test', to: ['b@y.test'] }, { encoding: 'binary', size: 1, write: () => undefined }).catch((x: unknown) => x);
    expect((e as SmtpError).code).toBe('ERR_SMTP_INVALID_ARGUMENT');
    expect(d.fresh()).toBe('');
  });
});
