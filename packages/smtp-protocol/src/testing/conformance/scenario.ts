/**
 * The shape of a conformance scenario and small shared steps.
 * @internal
 */
import type { Capabilities, Outcome, ScenarioContext, Session } from './context.js';
import { fail } from './context.js';
import { show, showReply } from './probe.js';
import type { ProbeReply } from './probe.js';

/** One checklist item as a runnable scenario. */
export interface Scenario {
  readonly id: string;
  readonly section: string;
  readonly title: string;
  /** Returns the reason the item does not apply to this server, if it does not. */
  readonly applies?: (caps: Capabilities, ctx: ScenarioContext) => string | undefined;
  /** Play the scenario; throw via `fail`/`skip`/`notApplicable`, or return an outcome. */
  readonly run: (ctx: ScenarioContext) => Promise<Outcome>;
}

/** The advertised SIZE limit: `undefined` not advertised, `null` no value, 0 no limit. */
export function sizeLimit(caps: Capabilities): number | null | undefined {
  const p = caps.get('SIZE');
  if (p === undefined) return undefined;
  const v = p[0];
  if (v === undefined) return null;
  return /^\d{1,20}$/.test(v) ? Number(v) : null;
}

/** Applicability helper: the server must advertise `ext`. */
export function needs(ext: string): (caps: Capabilities) => string | undefined {
  return (caps) => (caps.has(ext) ? undefined : `server does not advertise ${ext}`);
}

/** Send DATA (expect 354), write `wire` as is, and return the reply to the end of data. */
export async function dataExchange(ctx: ScenarioContext, s: Session, wire: string | Uint8Array): Promise<ProbeReply> {
  await ctx.expect(s.conn, 'DATA', [354]);
  s.conn.write(wire);
  return ctx.reply(s.conn, '(end of data)');
}

/** Fail unless `r` has one of `codes`, naming what was sent. */
export function want(r: ProbeReply, codes: readonly number[], sent: string): ProbeReply {
  if (!codes.includes(r.code)) fail(`${show(sent)} -> ${showReply(r)} (expected ${codes.join('/')})`);
  return r;
}

/** After an exchange, prove the session is still in sync and open: NOOP -> 250. */
export async function stillAlive(ctx: ScenarioContext, s: Session | { conn: Session['conn'] }, after: string): Promise<void> {
  const r = await s.conn.read(0);
  if (r.kind === 'reply') fail(`extra reply after ${show(after)}: ${showReply(r.reply)}`);
  if (s.conn.closed) fail(`server closed the connection after ${show(after)}`);
  const n = await ctx.cmd(s.conn, 'NOOP');
  if (n.code !== 250) fail(`after ${show(after)}, NOOP -> ${showReply(n)} (session out of sync?)`);
}

/** Domain part of a mailbox. */
export function domainOf(mailbox: string): string {
  const at = mailbox.lastIndexOf('@');
  return at < 0 ? 'example.com' : mailbox.slice(at + 1);
}

/** Build a domain name of exactly `n` octets from 63-octet labels. */
export function domainOfLength(n: number): string {
  const labels: string[] = [];
  let rem = n;
  let ch = 0;
  while (rem > 0) {
    const letter = String.fromCharCode(0x61 + (ch++ % 26));
    if (rem <= 63) {
      labels.push(letter.repeat(rem));
      break;
    }
    const len = Math.min(63, rem - 2);
    labels.push(letter.repeat(len));
    rem -= len + 1;
  }
  return labels.join('.');
}
