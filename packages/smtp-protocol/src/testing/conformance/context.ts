/**
 * What a conformance scenario works with: bounded connections, SMTP steps
 * that turn "no reply" or "connection closed" into a failure detail, the
 * server's advertised capabilities, and the optional message inspector.
 * @internal
 */
import { ProbeConnection, show, showReply } from './probe.js';
import type { ProbeReply } from './probe.js';
import type { ConformanceStatus, InspectedMessage, SmtpConformanceOptions, SmtpInspect } from './types.js';

/** Thrown by a scenario step to end the scenario with a status. */
export class ScenarioStop extends Error {
  constructor(
    readonly status: ConformanceStatus,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'ScenarioStop';
  }
}

/** Fail the scenario. */
export function fail(detail: string): never {
  throw new ScenarioStop('fail', detail);
}
/** End the scenario as not applicable. */
export function notApplicable(detail: string): never {
  throw new ScenarioStop('n/a', detail);
}
/** End the scenario as skipped (inconclusive or needs `inspect`). */
export function skip(detail: string): never {
  throw new ScenarioStop('skip', detail);
}

/** Outcome returned by a scenario that ran to its end. */
export interface Outcome {
  readonly status: ConformanceStatus;
  readonly detail: string;
}
/** A passing outcome. */
export const pass = (detail: string): Outcome => ({ status: 'pass', detail });

/** EHLO keywords and their parameters, keyword upper-cased. */
export type Capabilities = ReadonlyMap<string, readonly string[]>;

/** Parse the lines of a 250 EHLO reply into capabilities (RFC 5321 §4.1.1.1). */
export function parseCapabilities(ehlo: ProbeReply): Capabilities {
  const caps = new Map<string, string[]>();
  for (const text of ehlo.texts.slice(1)) {
    const words = text.trim().split(/\s+/).filter((w) => w.length > 0);
    const kw = words[0];
    if (kw !== undefined) caps.set(kw.toUpperCase(), words.slice(1));
  }
  return caps;
}

/** An open session: greeting read, EHLO (or HELO) done. */
export interface Session {
  readonly conn: ProbeConnection;
  readonly greeting: ProbeReply;
  readonly ehlo: ProbeReply;
  readonly caps: Capabilities;
}

/** Resolved options with defaults. */
export interface Resolved {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly replyTimeoutMs: number;
  readonly quietMs: number;
  readonly heloName: string;
  readonly mailFrom: string;
  readonly recipient: (i: number) => string;
  readonly inspect: SmtpInspect | undefined;
  readonly inspectTimeoutMs: number;
  readonly maxRecipientsProbe: number;
  readonly maxSizeProbe: number;
}

/** Fill in defaults. */
export function resolveOptions(o: SmtpConformanceOptions): Resolved {
  const timeoutMs = o.timeoutMs ?? 10_000;
  return {
    host: o.host,
    port: o.port,
    timeoutMs,
    replyTimeoutMs: Math.min(o.replyTimeoutMs ?? 3_000, timeoutMs),
    quietMs: o.quietMs ?? 150,
    heloName: o.heloName ?? 'conformance.invalid',
    mailFrom: o.mailFrom ?? 'sender@example.com',
    recipient: o.recipient ?? ((i: number) => `rcpt${i}@example.com`),
    inspect: o.inspect,
    inspectTimeoutMs: o.inspectTimeoutMs ?? 2_000,
    maxRecipientsProbe: o.maxRecipientsProbe ?? 1_100,
    maxSizeProbe: o.maxSizeProbe ?? 4 * 1024 * 1024,
  };
}

let tokenCounter = 0;

/** Per-scenario context: tracks its connections so they are always closed. */
export class ScenarioContext {
  private readonly conns = new Set<ProbeConnection>();
  private aborted = false;

  constructor(
    readonly opts: Resolved,
    /** Capabilities from the suite's initial EHLO (for applicability checks). */
    readonly caps: Capabilities,
    /** Every reply seen by every scenario so far (for aggregate format checks). */
    readonly allReplies: ProbeReply[],
  ) {}

  /** A unique token to find a message again through `inspect`. */
  token(): string {
    tokenCounter += 1;
    return `nlc${Date.now().toString(36)}x${tokenCounter.toString(36)}`;
  }

  /** Open a raw connection (closed when the scenario ends). */
  async connect(): Promise<ProbeConnection> {
    if (this.aborted) fail('scenario aborted');
    let c: ProbeConnection;
    try {
      c = await ProbeConnection.connect(this.opts.host, this.opts.port, this.opts.replyTimeoutMs);
    } catch (e) {
      fail(`cannot connect to ${this.opts.host}:${this.opts.port}: ${(e as Error).message}`);
    }
    this.conns.add(c);
    if (this.aborted) c.destroy();
    return c;
  }

  /** Read the greeting (must be 220). */
  async greeting(c: ProbeConnection): Promise<ProbeReply> {
    const g = await this.reply(c, '(connect)');
    if (g.code !== 220) fail(`greeting is not 220: ${showReply(g)}`);
    return g;
  }

  /** Connect, read the 220 greeting, and EHLO (or HELO with `helo: true`). */
  async session(helo = false): Promise<Session> {
    const conn = await this.connect();
    const greeting = await this.greeting(conn);
    const verb = helo ? 'HELO' : 'EHLO';
    const ehlo = await this.cmd(conn, `${verb} ${this.opts.heloName}`);
    if (ehlo.code !== 250) fail(`${verb} refused: ${showReply(ehlo)}`);
    return { conn, greeting, ehlo, caps: parseCapabilities(ehlo) };
  }

  /** A session with an open transaction: MAIL and `rcpts` RCPTs accepted. */
  async transaction(rcpts = 1, mailParams = ''): Promise<Session> {
    const s = await this.session();
    await this.expect(s.conn, `MAIL FROM:<${this.opts.mailFrom}>${mailParams}`, [250]);
    for (let i = 0; i < rcpts; i++) await this.expect(s.conn, `RCPT TO:<${this.opts.recipient(i)}>`, [250, 251]);
    return s;
  }

  /** Take the next reply for what was just sent, or fail. */
  async reply(c: ProbeConnection, what: string): Promise<ProbeReply> {
    const r = await c.read(this.opts.replyTimeoutMs);
    if (r.kind === 'reply') {
      this.allReplies.push(r.reply);
      return r.reply;
    }
    if (r.kind === 'closed') fail(`connection closed, no reply to ${show(what)} [${c.tail()}]`);
    fail(`no reply to ${show(what)} within ${this.opts.replyTimeoutMs} ms [${c.tail()}]`);
  }

  /** Send one command line (CRLF appended) and return its reply. */
  async cmd(c: ProbeConnection, line: string): Promise<ProbeReply> {
    c.write(`${line}\r\n`);
    return this.reply(c, line);
  }

  /** Send a command and fail unless the reply code is one of `codes`. */
  async expect(c: ProbeConnection, line: string, codes: readonly number[]): Promise<ProbeReply> {
    const r = await this.cmd(c, line);
    if (!codes.includes(r.code)) fail(`${show(line)} -> ${showReply(r)} (expected ${codes.join('/')})`);
    return r;
  }

  /** Fail if any reply arrives within the quiet window. */
  async expectSilence(c: ProbeConnection, after: string): Promise<void> {
    const extra = await c.quiet(this.opts.quietMs);
    for (const r of extra) this.allReplies.push(r);
    if (extra.length > 0) fail(`unexpected reply after ${show(after)}: ${extra.map((r) => showReply(r)).join(' ; ')}`);
  }

  /** Poll `inspect` for the message carrying `token`. Skips the scenario without `inspect`. */
  async inspected(token: string): Promise<InspectedMessage> {
    const inspect = this.opts.inspect;
    if (inspect === undefined) skip('needs the `inspect` option to see what the server received');
    const deadline = Date.now() + this.opts.inspectTimeoutMs;
    for (;;) {
      const m = await inspect(token);
      if (m !== undefined) return checkInspected(m, token);
      if (Date.now() >= deadline || this.aborted) fail(`inspect did not find the message with token ${token} within ${this.opts.inspectTimeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Close every connection of the scenario. */
  close(): void {
    this.aborted = true;
    for (const c of this.conns) c.destroy();
    this.conns.clear();
  }
}

/**
 * Validate what `inspect` returned (it is user code: a string `content`, for
 * instance, must fail the scenario with a clear detail, not throw later).
 */
function checkInspected(m: unknown, token: string): InspectedMessage {
  const what = `inspect(${token}) returned`;
  if (typeof m !== 'object' || m === null) fail(`${what} ${typeof m}, expected { content: Uint8Array } or undefined`);
  const { content, mailFrom, rcptTo } = m as Record<string, unknown>;
  if (!(content instanceof Uint8Array)) {
    fail(`${what} content of type ${typeof content}, expected a Uint8Array (e.g. Buffer.from(text, 'latin1'))`);
  }
  if (mailFrom !== undefined && typeof mailFrom !== 'string') fail(`${what} mailFrom of type ${typeof mailFrom}, expected a string`);
  if (rcptTo !== undefined && !(Array.isArray(rcptTo) && rcptTo.every((r) => typeof r === 'string'))) {
    fail(`${what} rcptTo that is not an array of strings`);
  }
  return m as InspectedMessage;
}

/**
 * Message content carrying a token header, for {@link ScenarioContext.inspected}:
 * headers end with an empty line, then `body` (already CRLF-terminated lines).
 */
export function tokenMessage(token: string, body: string): string {
  return `Message-ID: <${token}@conformance.invalid>\r\nX-Conformance-Token: ${token}\r\nSubject: conformance ${token}\r\n\r\n${body}`;
}

/**
 * The body lines of an inspected message: everything after the blank line
 * that follows the token header, split on CRLF or LF, trailing empty lines
 * dropped (text-file inspectors append one).
 */
export function inspectedBodyLines(m: InspectedMessage, token: string): string[] | undefined {
  const text = Buffer.from(m.content.buffer, m.content.byteOffset, m.content.byteLength).toString('latin1');
  const at = text.indexOf(`X-Conformance-Token: ${token}`);
  if (at < 0) return undefined;
  const rest = text.slice(at);
  const blank = /\r?\n\r?\n/.exec(rest);
  if (blank === null) return [];
  const lines = rest.slice(blank.index + blank[0].length).split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
