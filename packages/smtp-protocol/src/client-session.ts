/**
 * `ClientSession`: the sans-I/O SMTP client state machine (RFC 5321; the
 * thesis's figure 16) with PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME,
 * SMTPUTF8, CHUNKING/BINARYMIME (RFC 3030) and DSN parameters.
 *
 * ```
 *  Closed ─connect─▶ Begin ─220/EHLO─▶ Wait ─MAIL─▶ SettingRecipients ─DATA/BDAT─▶ WritingMail
 *                                        ▲                                              │ final reply
 *                                        └──────────── MailCompleted ◀──────────────────┘
 *  any state ── QUIT/221, 421, timeout, connection loss ──▶ Closed
 * ```
 *
 * The caller owns the connection: it feeds received bytes to {@link receive}
 * and EOF to {@link receiveEnd}; the session writes commands and content
 * through the {@link SessionTransport}. Every command has its own timer on
 * the injected {@link TimerService} (RFC 5321 §4.5.3.2: greeting 5 min, MAIL
 * 5, RCPT 5, DATA initiation 2, data block 3, DATA termination 10).
 *
 * With PIPELINING the client sends MAIL, every RCPT and DATA in one write and
 * then checks **every** reply in order (RFC 2920 §3.1). A negative reply
 * rejects with {@link SmtpReplyError}; a dropped connection is reported as
 * `451 4.4.2` (RFC 5321 §3.8), a timeout as `451 4.4.2` with code
 * `ERR_SMTP_TIMEOUT`.
 *
 * @module
 */
import type { TimerHandle, TimerService } from '@netlayers/clock';
import { formatCommand, type EsmtpParams, type SmtpCommand } from './command.js';
import { encodeData } from './data.js';
import { DataEncoder } from './data-encoder.js';
import { SmtpError, SmtpReplyError, SmtpReplySyntaxError } from './errors.js';
import { ReplyParser, type SmtpReply } from './reply.js';
import type { SessionTransport } from './server-session.js';
import { asciiBytes } from './bytes.js';
import { isNonAscii } from './address.js';

/** Client states (thesis §3.2.2, figure 16). */
export type ClientState = 'Closed' | 'Begin' | 'Wait' | 'SettingRecipients' | 'WritingMail' | 'MailCompleted';

/** Per-command timeouts in ms (RFC 5321 §4.5.3.2 minimums are the defaults). */
export interface ClientTimeouts {
  /** Initial 220 greeting (5 min). */
  readonly greeting?: number;
  /** EHLO/HELO, RSET, NOOP, QUIT and other short commands (5 min). */
  readonly command?: number;
  /** MAIL (5 min). */
  readonly mail?: number;
  /** RCPT (5 min). */
  readonly rcpt?: number;
  /** DATA initiation, waiting for 354 (2 min). */
  readonly dataInit?: number;
  /** Each data block / BDAT chunk (3 min). */
  readonly dataBlock?: number;
  /** Final reply after `.` (10 min). */
  readonly dataTermination?: number;
}

/** Options of {@link ClientSession}. */
export interface ClientSessionOptions {
  /** Where commands are written. */
  readonly transport: SessionTransport;
  /** Timer service. */
  readonly timers: TimerService;
  /** Name sent in EHLO/HELO (default `localhost`). */
  readonly clientName?: string;
  /** Use PIPELINING when the server offers it (default true). */
  readonly pipelining?: boolean;
  /** Use BDAT instead of DATA when the server offers CHUNKING (default false; BINARYMIME always uses BDAT). */
  readonly preferChunking?: boolean;
  /** Maximum BDAT chunk size in octets (default 1 MiB); larger body chunks are split (views). */
  readonly maxChunkSize?: number;
  /** Convert bare CR/LF in DATA bodies to CRLF (default true; RFC 5321 §2.3.8 forbids sending them). */
  readonly normalizeLineEndings?: boolean;
  /** Timeouts. */
  readonly timeouts?: ClientTimeouts;
  /** Maximum reply line length (default 4096). */
  readonly maxReplyLineLength?: number;
  /** Called on every state change (`from => to`), for debugging and tests. */
  readonly trace?: (from: ClientState, to: ClientState) => void;
}

/**
 * A pre-encoded body the caller writes itself (zero-copy relaying, e.g. the
 * segments `IncomingMessage.takeRaw()` yielded, sent with `sendSkbs`).
 *
 * - `'dot-stuffed'`: wire-ready DATA octets ending with `CRLF.CRLF` (or just
 *   `.CRLF` for an empty body); sent with DATA, `write()` runs after the 354.
 * - `'binary'`: exactly `size` octets sent as one `BDAT size LAST` chunk;
 *   `write()` runs right after that command. Needs CHUNKING: without it
 *   `send` rejects with `ERR_SMTP_INVALID_ARGUMENT` before MAIL, so the
 *   caller can fall back to dot-stuffing (the copy path).
 */
export interface RawBody {
  /** How the octets are framed. */
  readonly encoding: 'dot-stuffed' | 'binary';
  /**
   * For MAIL `SIZE=` (RFC 1870 count; may be approximate for `'dot-stuffed'`, exact wire
   * octets for `'binary'`, where it is required). Omitted (no `SIZE=`) for a dot-stuffed
   * body still arriving, e.g. streamed through a proxy.
   */
  readonly size?: number;
  /** Called once when the body must go out; writes the octets itself, resolving when written or queued. */
  write(): void | Promise<void>;
}

/** Body of a message: bytes, a string (UTF-8), chunks (sync or async), or a {@link RawBody}. */
export type MessageBody = Uint8Array | string | Iterable<Uint8Array> | AsyncIterable<Uint8Array> | RawBody;

/** True when `b` is a {@link RawBody}. */
function isRawBody(b: MessageBody): b is RawBody {
  if (typeof b !== 'object' || b instanceof Uint8Array) return false;
  const r = b as Partial<RawBody>;
  return typeof r.write === 'function' && (r.encoding === 'dot-stuffed' || r.encoding === 'binary');
}

/** Envelope given to {@link ClientSession.send}. */
export interface OutgoingEnvelope {
  /** Reverse-path (`''` for `<>`). */
  readonly from: string;
  /** Recipients. */
  readonly to: readonly string[];
  /** Extra MAIL parameters (e.g. DSN `RET`, `ENVID`), keys upper-case. */
  readonly mailParams?: EsmtpParams;
  /** Extra RCPT parameters per recipient address (e.g. DSN `NOTIFY`, `ORCPT`). */
  readonly rcptParams?: Readonly<Record<string, EsmtpParams>>;
  /** BODY type; `BINARYMIME` forces BDAT (RFC 3030 §3). */
  readonly body?: '7BIT' | '8BITMIME' | 'BINARYMIME';
}

/** Result of a completed transaction. */
export interface SendResult {
  /** The final reply (250 after the data). */
  readonly reply: SmtpReply;
  /** Accepted recipients. */
  readonly accepted: readonly string[];
  /** Rejected recipients with the server's reply. */
  readonly rejected: ReadonlyArray<{ readonly address: string; readonly reply: SmtpReply }>;
  /** Content octets sent (before dot-stuffing). */
  readonly size: number;
}

interface Pending {
  readonly label: string;
  readonly timeout: number;
  resolve(r: SmtpReply): void;
  reject(e: SmtpError): void;
  /** Runs synchronously when the reply arrives, before later replies of the same read. */
  sync?: ((r: SmtpReply) => void) | undefined;
}

/** Pieces at least this large are written directly (zero-copy); smaller ones are coalesced. */
const DIRECT_WRITE = 8192;
const CONNECTION_LOST: SmtpReply = { code: 451, enhanced: '4.4.2', lines: ['Connection lost'] };
const TIMED_OUT: SmtpReply = { code: 451, enhanced: '4.4.2', lines: ['Timeout waiting for reply'] };
const enc = new TextEncoder();

/**
 * The SMTP client state machine for one connection. See the module doc.
 *
 * @example
 * ```ts
 * const c = new ClientSession({ transport, timers: realClock });
 * sock.on('data', (b) => c.receive(b));
 * await c.greet();
 * const r = await c.send({ from: 'a@x.example', to: ['b@y.example'] }, 'Subject: hi\r\n\r\nHello\r\n');
 * await c.quit();
 * ```
 */
export class ClientSession {
  /** Extensions offered by the server (keyword upper-case → parameter string). */
  readonly extensions = new Map<string, string>();
  /** The connection was upgraded with {@link startTls}. */
  tlsActive = false;
  /** The server's greeting reply. */
  greeting: SmtpReply | undefined;
  /** SIZE limit announced by the server (0 = no limit, undefined = not announced). */
  serverSizeLimit: number | undefined;

  private _state: ClientState = 'Begin';
  private readonly o: ClientSessionOptions;
  private readonly parser: ReplyParser;
  private readonly pending: Pending[] = [];
  private timer: TimerHandle | undefined;
  private deadline: number | undefined;
  private failure: SmtpError | undefined;
  private greetWaiter: Promise<SmtpReply>;
  private busy = false;
  private corked = false;
  private dataFinal: Promise<SmtpReply> | undefined;
  private dataFinalArrived = false;
  private needDrain = false;
  private readonly batch = new Uint8Array(DIRECT_WRITE * 2);
  private batchLen = 0;

  constructor(options: ClientSessionOptions) {
    this.o = options;
    this.parser = new ReplyParser({ maxLineLength: options.maxReplyLineLength ?? 4096 });
    // RFC 5321 §3.1: the greeting is the reply to the connection.
    this.greetWaiter = this.expect('greeting', this.t('greeting'));
    this.greetWaiter.catch(() => undefined);
  }

  /** Current state (figure 16). */
  get state(): ClientState {
    return this._state;
  }

  /** The one place the state changes (traced through `options.trace`). */
  private setState(s: ClientState): void {
    const from = this._state;
    this._state = s;
    if (from !== s) this.o.trace?.(from, s);
  }

  /** Deadline of the running command timer (timer-service time), if any. */
  pollAt(): number | undefined {
    return this.deadline;
  }

  /** True when the server offered `keyword` in its EHLO reply. */
  has(keyword: string): boolean {
    return this.extensions.has(keyword.toUpperCase());
  }

  private t(k: keyof ClientTimeouts): number {
    const d: Required<ClientTimeouts> = {
      greeting: 300_000,
      command: 300_000,
      mail: 300_000,
      rcpt: 300_000,
      dataInit: 120_000,
      dataBlock: 180_000,
      dataTermination: 600_000,
    };
    return this.o.timeouts?.[k] ?? d[k];
  }

  // ------------------------------------------------------------ I/O entry points

  /** Feeds received bytes (a chunk or an iterable of chunks). */
  receive(data: Uint8Array | Iterable<Uint8Array>): void {
    if (this.failure !== undefined) return;
    const chunks = data instanceof Uint8Array ? [data] : data;
    for (const c of chunks) {
      let replies: SmtpReply[];
      try {
        replies = this.parser.push(c);
      } catch (e) {
        this.fail(e instanceof SmtpError ? e : new SmtpReplySyntaxError('ERR_SMTP_BAD_REPLY', String(e)), true);
        return;
      }
      for (const r of replies) {
        this.onReply(r);
        if (this.failure !== undefined) return;
      }
    }
  }

  /** The server closed the connection. Pending commands fail with 451 (RFC 5321 §3.8). */
  receiveEnd(): void {
    if (this.failure !== undefined) return;
    if (this._state === 'Closed' && this.pending.length === 0) return;
    this.fail(new SmtpError('ERR_SMTP_CONNECTION_CLOSED', 'connection closed by server', CONNECTION_LOST), false);
  }

  /** Fails every pending command and closes. */
  destroy(err?: SmtpError): void {
    this.fail(err ?? new SmtpError('ERR_SMTP_ABORTED', 'client session destroyed', CONNECTION_LOST), true);
  }

  private onReply(r: SmtpReply): void {
    const p = this.pending.shift();
    if (r.code === 421) {
      // RFC 5321 §3.8: 421 means the server is closing; every pending command fails with it.
      const err = new SmtpReplyError(p?.label ?? 'connection', r);
      if (p !== undefined) p.reject(err);
      this.fail(err, true);
      return;
    }
    if (p === undefined) {
      this.fail(new SmtpReplySyntaxError('ERR_SMTP_BAD_REPLY', `unexpected reply ${r.code} with no command pending`), true);
      return;
    }
    p.sync?.(r);
    this.restartTimer();
    p.resolve(r);
  }

  private fail(err: SmtpError, closeTransport: boolean): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.cancelTimer();
    const ps = this.pending.splice(0);
    for (const p of ps) p.reject(err);
    this.setState('Closed');
    if (closeTransport) this.o.transport.close();
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.deadline = undefined;
  }

  private restartTimer(): void {
    this.cancelTimer();
    const head = this.pending[0];
    if (head === undefined) return;
    const ms = head.timeout;
    this.deadline = this.o.timers.now() + ms;
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = undefined;
      this.fail(new SmtpError('ERR_SMTP_TIMEOUT', `timeout waiting for reply to ${head.label}`, TIMED_OUT), true);
    }, ms);
  }

  /** Registers the expectation of one reply (in order). */
  private expect(label: string, timeout: number, sync?: (r: SmtpReply) => void): Promise<SmtpReply> {
    if (this.failure !== undefined) {
      const f = Promise.reject(this.failure);
      f.catch(() => undefined);
      return f;
    }
    const p = new Promise<SmtpReply>((resolve, reject) => {
      this.pending.push({ label, timeout, resolve, reject, sync });
      if (this.pending.length === 1) this.restartTimer();
    });
    // Pipelined replies may fail together; a caller awaits them one by one.
    p.catch(() => undefined);
    return p;
  }

  /**
   * Queues bytes for the transport. Small pieces (commands, the constant `.`
   * and CRLF chunks of dot-stuffing) are coalesced into one write per burst —
   * RFC 2920 §3.2 recommends sending a whole group in one segment, and a
   * pipelined group written piecewise can race a server that answers the
   * first command with 421 and closes. Large pieces (message content) are
   * passed through without copying.
   */
  private write(bytes: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (bytes.length >= DIRECT_WRITE) {
      this.flushWrites();
      if (this.o.transport.write(bytes) === false) this.needDrain = true;
      return;
    }
    if (this.batchLen + bytes.length > this.batch.length) this.flushWrites();
    this.batch.set(bytes, this.batchLen);
    this.batchLen += bytes.length;
  }

  /** Sends the coalesced small writes. */
  private flushWrites(): void {
    if (this.batchLen === 0 || this.failure !== undefined) {
      this.batchLen = 0;
      return;
    }
    const out = this.batch.slice(0, this.batchLen);
    this.batchLen = 0;
    if (this.o.transport.write(out) === false) this.needDrain = true;
  }

  /**
   * Sends DATA. When the 354 arrives, the expectation of the final reply is
   * registered at once (synchronously, in `onReply`): a server may send its
   * final reply right behind the 354 (e.g. a policy 550 before reading the
   * content), in the same read, before the body is even written.
   */
  private dataCommand(): Promise<SmtpReply> {
    this.dataFinal = undefined;
    return this.command({ verb: 'DATA' }, this.t('dataInit'), (r) => {
      if (Math.floor(r.code / 100) === 3) {
        this.dataFinal = this.expect('end of data', this.t('dataTermination'));
        void this.dataFinal.then(() => (this.dataFinalArrived = true), () => (this.dataFinalArrived = true));
      }
    });
  }

  /**
   * Back-pressure: when the transport reported a full buffer, waits until it
   * drains — or until `stop` settles (a final reply arrived, the session
   * failed), so a server that stopped reading cannot hang the client.
   */
  private async writable(stop: Promise<unknown>): Promise<void> {
    if (!this.needDrain) return;
    this.flushWrites();
    this.needDrain = false;
    const w = this.o.transport.whenWritable;
    if (w === undefined) return;
    await Promise.race([w.call(this.o.transport), stop.then(noop, noop)]);
  }

  private takeDataFinal(): Promise<SmtpReply> {
    const p = this.dataFinal ?? this.expect('end of data', this.t('dataTermination'));
    this.dataFinal = undefined;
    return p;
  }

  /** Sends one command and returns the promise of its reply. */
  private command(cmd: SmtpCommand, timeout: number, sync?: (r: SmtpReply) => void): Promise<SmtpReply> {
    const line = formatCommand(cmd);
    const p = this.expect(line.slice(0, -2), timeout, sync);
    this.write(asciiBytes(line));
    if (!this.corked) this.flushWrites();
    return p;
  }

  private guard(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.busy) throw new SmtpError('ERR_SMTP_STATE', 'another operation is in progress');
  }

  // ------------------------------------------------------------ operations

  /**
   * Waits for the 220 greeting and sends EHLO (falling back to HELO when EHLO
   * is refused with 500/502, RFC 5321 §3.2). Resolves with the EHLO/HELO reply.
   * @throws SmtpReplyError when the greeting is not 220 (e.g. 554).
   */
  async greet(): Promise<SmtpReply> {
    this.guard();
    this.busy = true;
    try {
      const g = await this.greetWaiter;
      this.greeting = g;
      if (!ok2(g)) {
        // RFC 5321 §3.1: a 554 greeting — the client should QUIT.
        await this.quitQuietly();
        throw new SmtpReplyError('greeting', g);
      }
      return await this.hello();
    } finally {
      this.busy = false;
    }
  }

  private async hello(): Promise<SmtpReply> {
    const name = this.o.clientName ?? 'localhost';
    let r = await this.command({ verb: 'EHLO', domain: name }, this.t('command'));
    this.extensions.clear();
    this.serverSizeLimit = undefined;
    if (r.code >= 500 && r.code <= 504) {
      r = await this.command({ verb: 'HELO', domain: name }, this.t('command'));
      if (!ok2(r)) throw new SmtpReplyError(`HELO ${name}`, r);
    } else if (!ok2(r)) {
      throw new SmtpReplyError(`EHLO ${name}`, r);
    } else {
      for (const l of r.lines.slice(1)) {
        const sp = l.indexOf(' ');
        const kw = (sp < 0 ? l : l.slice(0, sp)).toUpperCase();
        const arg = sp < 0 ? '' : l.slice(sp + 1).trim();
        this.extensions.set(kw, arg);
      }
      if (this.extensions.has('SIZE')) {
        // RFC 1870 §4: "SIZE 0" = no limit; "SIZE" without value = no information.
        const v = this.extensions.get('SIZE')!;
        this.serverSizeLimit = /^[0-9]+$/.test(v) ? Number(v) : undefined;
      }
    }
    this.setState('Wait');
    return r;
  }

  /**
   * STARTTLS (RFC 3207): sends STARTTLS and, on 220, upgrades the transport
   * (its `startTls`, e.g. `clientStartTls()` with `attachClientSession`), then
   * discards what it knew of the server and sends EHLO again (§4.2).
   * Cleartext that arrived behind the 220 is a command-injection attempt
   * (CVE-2011-0411 class): the session fails instead of reading it as a reply.
   * @returns the EHLO reply over TLS
   * @throws SmtpError `ERR_SMTP_STATE` outside the idle state, when the transport
   *   cannot upgrade or the server does not offer STARTTLS (`tlsActive` already set too)
   * @throws SmtpReplyError when the server refuses (e.g. 454 4.7.0)
   */
  async startTls(): Promise<SmtpReply> {
    this.guard();
    if (this._state !== 'Wait') throw new SmtpError('ERR_SMTP_STATE', `cannot STARTTLS in state ${this._state}; call greet() first`);
    const upgrade = this.o.transport.startTls;
    if (upgrade === undefined) throw new SmtpError('ERR_SMTP_STATE', 'the transport cannot upgrade to TLS');
    if (this.tlsActive) throw new SmtpError('ERR_SMTP_STATE', 'TLS is already active');
    if (!this.has('STARTTLS')) throw new SmtpError('ERR_SMTP_STATE', 'the server does not offer STARTTLS');
    this.busy = true;
    try {
      const r = await this.command({ verb: 'STARTTLS' }, this.t('command'));
      if (r.code !== 220) throw new SmtpReplyError('STARTTLS', r);
      if (this.failure !== undefined) throw this.failure; // e.g. a whole injected reply behind the 220
      if (this.parser.pending) {
        const e = new SmtpError('ERR_SMTP_TLS', 'cleartext received after the STARTTLS 220 (injection attempt)');
        this.fail(e, true);
        throw e;
      }
      try {
        await upgrade.call(this.o.transport);
      } catch (e) {
        const err = new SmtpError('ERR_SMTP_TLS', `TLS handshake failed: ${(e as Error).message}`);
        this.fail(err, true);
        throw err;
      }
      this.tlsActive = true;
      return await this.hello();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Sends one message: MAIL, RCPT for every recipient, then DATA (or BDAT).
   * Pipelined when the server offers PIPELINING; every reply is checked.
   *
   * @returns the final reply with accepted/rejected recipients.
   * @throws SmtpReplyError when MAIL, every RCPT, DATA or the final reply is negative.
   * @throws SmtpError `ERR_SMTP_CONNECTION_CLOSED` / `ERR_SMTP_TIMEOUT` (reply 451).
   */
  async send(envelope: OutgoingEnvelope, body: MessageBody): Promise<SendResult> {
    this.guard();
    if (this._state !== 'Wait' && this._state !== 'MailCompleted') {
      throw new SmtpError('ERR_SMTP_STATE', `cannot send in state ${this._state}; call greet() first`);
    }
    if (envelope.to.length === 0) throw new SmtpError('ERR_SMTP_INVALID_ARGUMENT', 'no recipients');
    this.busy = true;
    let open = false; // a server-side transaction may be open
    try {
      const pipelining = (this.o.pipelining ?? true) && this.has('PIPELINING');
      const bodyType = envelope.body ?? '7BIT';
      const raw = isRawBody(body) ? body : undefined;
      if (raw !== undefined) {
        if (raw.size !== undefined && (!Number.isSafeInteger(raw.size) || raw.size < 0)) throw new SmtpError('ERR_SMTP_INVALID_ARGUMENT', `RawBody size ${raw.size} is not an octet count`);
        if (raw.encoding === 'binary' && raw.size === undefined) throw new SmtpError('ERR_SMTP_INVALID_ARGUMENT', 'a binary RawBody needs its exact size (BDAT)');
        if (raw.encoding === 'binary' && !this.has('CHUNKING')) throw new SmtpError('ERR_SMTP_INVALID_ARGUMENT', 'binary RawBody needs CHUNKING, which the server does not offer');
        if (raw.encoding === 'dot-stuffed' && bodyType === 'BINARYMIME') throw new SmtpError('ERR_SMTP_INVALID_ARGUMENT', 'BINARYMIME cannot be sent as a dot-stuffed body');
      }
      const chunking = raw !== undefined ? raw.encoding === 'binary' : this.has('CHUNKING') && (bodyType === 'BINARYMIME' || (this.o.preferChunking ?? false));
      if (bodyType === 'BINARYMIME' && !(this.has('CHUNKING') && this.has('BINARYMIME'))) {
        throw new SmtpError('ERR_SMTP_INVALID_ARGUMENT', 'server does not offer BINARYMIME/CHUNKING');
      }
      const bodyBytes = raw !== undefined ? new Uint8Array(0) : typeof body === 'string' ? enc.encode(body) : (body as Exclude<MessageBody, string | RawBody>);
      const knownSize = raw !== undefined ? raw.size : bodyBytes instanceof Uint8Array ? bodyBytes.length : undefined;
      if (knownSize !== undefined && this.serverSizeLimit !== undefined && this.serverSizeLimit > 0 && knownSize > this.serverSizeLimit) {
        // RFC 1870 §5: the client must not send a message larger than the announced limit.
        throw new SmtpError('ERR_SMTP_SIZE', `message of ${knownSize} octets exceeds the server's SIZE ${this.serverSizeLimit}`, {
          code: 552,
          enhanced: '5.3.4',
          lines: ['Message size exceeds fixed maximum message size'],
        });
      }

      const params: Record<string, string | true> = Object.create(null) as Record<string, string | true>;
      if (envelope.mailParams !== undefined) Object.assign(params, envelope.mailParams);
      if (knownSize !== undefined && this.has('SIZE')) params['SIZE'] = String(knownSize);
      if (bodyType !== '7BIT') params['BODY'] = bodyType;
      const utf8 = isNonAscii(envelope.from) || envelope.to.some(isNonAscii);
      if (utf8) {
        if (!this.has('SMTPUTF8')) throw new SmtpError('ERR_SMTP_INVALID_ARGUMENT', 'non-ASCII address but the server does not offer SMTPUTF8');
        params['SMTPUTF8'] = true;
      }
      if (!this.has('DSN')) for (const k of ['RET', 'ENVID']) delete params[k];

      // RFC 2920: the group MAIL, RCPT…, DATA goes out in one write.
      this.corked = pipelining;
      const mailP = this.command({ verb: 'MAIL', address: envelope.from, params }, this.t('mail'));
      open = true;
      this.setState('SettingRecipients');
      const rcptPs: Array<Promise<SmtpReply>> = [];
      let mailReply: SmtpReply | undefined;
      if (!pipelining) {
        mailReply = await mailP;
        if (!ok2(mailReply)) throw new SmtpReplyError(`MAIL FROM:<${envelope.from}>`, mailReply);
      }
      const accepted: string[] = [];
      const rejected: Array<{ address: string; reply: SmtpReply }> = [];
      for (const to of envelope.to) {
        let rp = envelope.rcptParams?.[to] ?? {};
        if (!this.has('DSN')) rp = {};
        const p = this.command({ verb: 'RCPT', address: to, params: rp }, this.t('rcpt'));
        if (pipelining) rcptPs.push(p);
        else {
          const r = await p;
          if (ok2(r)) accepted.push(to);
          else rejected.push({ address: to, reply: r });
        }
      }
      let dataP: Promise<SmtpReply> | undefined;
      if (!chunking && pipelining) dataP = this.dataCommand();
      this.corked = false;
      this.flushWrites();
      if (pipelining) {
        // RFC 2920 §3.1: check every status of the group, in order.
        mailReply = await mailP;
        for (let i = 0; i < rcptPs.length; i++) {
          const r = await rcptPs[i]!;
          const to = envelope.to[i]!;
          if (ok2(mailReply) && ok2(r)) accepted.push(to);
          else rejected.push({ address: to, reply: r });
        }
      }
      if (!ok2(mailReply!)) {
        open = false;
        if (dataP !== undefined) await this.abortData(dataP);
        throw new SmtpReplyError(`MAIL FROM:<${envelope.from}>`, mailReply!);
      }
      if (accepted.length === 0) {
        if (dataP !== undefined) await this.abortData(dataP);
        throw new SmtpReplyError(`RCPT TO:<${rejected[0]!.address}>`, rejected[0]!.reply);
      }
      this.setState('WritingMail');
      let final: SmtpReply;
      let size: number;
      if (chunking) {
        ({ final, size } = raw !== undefined ? await this.sendRaw(raw, true) : await this.sendBdat(bodyBytes, pipelining));
      } else {
        const r354 = await (dataP ?? this.dataCommand());
        // RFC 5321 §4.2.1: act on the first digit — 3yz means "send the data".
        if (Math.floor(r354.code / 100) !== 3) throw new SmtpReplyError('DATA', r354);
        ({ final, size } = raw !== undefined ? await this.sendRaw(raw, false) : await this.sendData(bodyBytes));
      }
      open = false;
      this.setState('MailCompleted');
      if (!ok2(final)) throw new SmtpReplyError('end of data', final);
      return { reply: final, accepted, rejected, size };
    } catch (e) {
      this.corked = false;
      this.flushWrites();
      if (this.failure === undefined && open) {
        // Leave no half-open transaction behind (RFC 5321 §4.1.1.5).
        try {
          await this.command({ verb: 'RSET' }, this.t('command'));
        } catch {
          /* the connection failed; the original error is reported */
        }
      }
      if (this.failure === undefined) this.setState('Wait');
      throw e;
    } finally {
      this.busy = false;
    }
  }

  /** DATA was pipelined but the transaction failed: if 354 came anyway, end it empty. */
  private async abortData(dataP: Promise<SmtpReply>): Promise<void> {
    const r = await dataP;
    if (Math.floor(r.code / 100) === 3) {
      const p = this.takeDataFinal();
      this.write(asciiBytes('.\r\n'));
      this.flushWrites();
      await p;
    }
  }

  private async sendData(body: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<{ final: SmtpReply; size: number }> {
    let size = 0;
    this.dataFinalArrived = false;
    const finalP = this.takeDataFinal();
    const early = async (): Promise<{ final: SmtpReply; size: number }> => {
      // The server answered before the end of the content and no longer
      // reads it: the rest cannot be sent in sync, so the connection ends.
      const final = await finalP;
      this.fail(new SmtpReplyError('end of data', final), true);
      return { final, size };
    };
    try {
      return await this.streamData(body, finalP, early, (n) => (size += n), () => size);
    } catch (e) {
      // The message source failed with part of the content sent: the server must never see
      // the terminating dot (it would accept a truncated message) nor an RSET inside the data
      // (it would be content): the connection ends, and the server discards the transaction.
      finalP.catch(() => undefined); // rejected by the failure below; nobody awaits it now
      if (this.failure === undefined) this.fail(new SmtpError('ERR_SMTP_ABORTED', `message source failed during DATA: ${(e as Error)?.message ?? String(e)}`, CONNECTION_LOST), true);
      throw e;
    }
  }

  /** The DATA content loop of {@link sendData}; `count` adds source octets. */
  private async streamData(
    body: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    finalP: Promise<SmtpReply>,
    early: () => Promise<{ final: SmtpReply; size: number }>,
    count: (n: number) => void,
    size: () => number,
  ): Promise<{ final: SmtpReply; size: number }> {
    if (body instanceof Uint8Array || Symbol.iterator in body) {
      const src = body as Uint8Array | Iterable<Uint8Array>;
      for (const c of encodeData(countingIter(src, count), { normalize: this.o.normalizeLineEndings ?? true })) {
        this.write(c);
        if (this.needDrain) {
          await this.writable(finalP);
          if (this.dataFinalArrived) return early();
          if (this.failure !== undefined) throw this.failure;
        }
      }
      this.flushWrites();
    } else {
      // async source: stuff chunk by chunk, carrying line state across chunks
      const stuffer = new DataEncoder(this.o.normalizeLineEndings ?? true);
      const out: Uint8Array[] = [];
      for await (const chunk of body) {
        if (this.dataFinalArrived) return early();
        count(chunk.length);
        stuffer.push(chunk, out);
        for (const c of out) this.write(c);
        out.length = 0;
        this.flushWrites();
        await this.writable(finalP);
        if (this.dataFinalArrived) return early();
        if (this.failure !== undefined) throw this.failure;
      }
      stuffer.end(out);
      for (const c of out) this.write(c);
      this.flushWrites();
    }
    const final = await finalP;
    return { final, size: size() };
  }

  /**
   * Sends a {@link RawBody}: after the 354 (DATA) or after `BDAT size LAST`,
   * the caller's `write()` puts the octets on the connection. A final reply
   * that arrives before the body was written (DATA) ends the connection, as
   * the server would read the body as commands; a failing `write()` too.
   */
  private async sendRaw(body: RawBody, bdat: boolean): Promise<{ final: SmtpReply; size: number }> {
    this.dataFinalArrived = false;
    let finalP: Promise<SmtpReply>;
    if (bdat) {
      const label = `BDAT ${body.size} LAST`;
      finalP = this.expect(label, this.t('dataTermination'));
      void finalP.then(() => (this.dataFinalArrived = true), () => (this.dataFinalArrived = true));
      this.write(asciiBytes(label + '\r\n'));
    } else finalP = this.takeDataFinal();
    this.flushWrites();
    await this.writable(finalP);
    if (this.failure !== undefined) throw this.failure;
    if (!bdat && this.dataFinalArrived) {
      const final = await finalP;
      this.fail(new SmtpReplyError('end of data', final), true);
      return { final, size: 0 };
    }
    try {
      await body.write();
    } catch (e) {
      this.fail(new SmtpError('ERR_SMTP_ABORTED', `raw body write failed: ${String(e)}`, CONNECTION_LOST), true);
      throw e;
    }
    const final = await finalP;
    return { final, size: body.size ?? 0 };
  }

  private async sendBdat(
    body: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    pipelining: boolean,
  ): Promise<{ final: SmtpReply; size: number }> {
    const max = this.o.maxChunkSize ?? 1 << 20;
    let size = 0;
    const inflight: Array<Promise<SmtpReply>> = [];
    let failed: SmtpReplyError | undefined;
    let prev: Uint8Array | undefined;
    const watch = (p: Promise<SmtpReply>, label: string): void => {
      void p.then(
        (r) => {
          if (!ok2(r) && failed === undefined) failed = new SmtpReplyError(label, r);
        },
        () => undefined,
      );
    };
    const sendChunk = async (c: Uint8Array, last: boolean): Promise<SmtpReply | undefined> => {
      const label = last ? `BDAT ${c.length} LAST` : `BDAT ${c.length}`;
      const p = this.expect(label, last ? this.t('dataTermination') : this.t('dataBlock'));
      this.write(asciiBytes(label + '\r\n'));
      if (c.length > 0) this.write(c);
      this.flushWrites();
      await this.writable(p);
      if (this.failure !== undefined) throw this.failure;
      size += c.length;
      if (last) return p;
      if (pipelining) {
        inflight.push(p);
        watch(p, label);
        return undefined;
      }
      const r = await p;
      if (!ok2(r)) throw new SmtpReplyError(label, r);
      return undefined;
    };
    const feed = async (c: Uint8Array): Promise<void> => {
      for (let o = 0; o < c.length; o += max) {
        const piece = o === 0 && c.length <= max ? c : c.subarray(o, Math.min(c.length, o + max));
        // RFC 3030 §4.2: after a failed BDAT, no more chunks are sent.
        if (failed !== undefined) throw failed;
        if (prev !== undefined) await sendChunk(prev, false);
        prev = piece;
      }
    };
    if (body instanceof Uint8Array) await feed(body);
    else if (Symbol.iterator in body) for (const c of body as Iterable<Uint8Array>) await feed(c);
    else for await (const c of body as AsyncIterable<Uint8Array>) await feed(c);
    if (failed !== undefined) throw failed;
    const final = (await sendChunk(prev ?? new Uint8Array(0), true))!;
    for (const p of inflight) {
      const r = await p;
      if (!ok2(r)) throw new SmtpReplyError('BDAT', r);
    }
    return { final, size };
  }

  /** Sends RSET (RFC 5321 §4.1.1.5). */
  async rset(): Promise<SmtpReply> {
    this.guard();
    const r = await this.command({ verb: 'RSET' }, this.t('command'));
    if (ok2(r)) this.setState('Wait');
    return r;
  }

  /** Sends NOOP. */
  async noop(): Promise<SmtpReply> {
    this.guard();
    return this.command({ verb: 'NOOP' }, this.t('command'));
  }

  /** Sends any command and returns its reply (no state change). */
  async raw(cmd: SmtpCommand): Promise<SmtpReply> {
    this.guard();
    return this.command(cmd, this.t('command'));
  }

  /**
   * Sends QUIT, waits for 221 and closes the transport (RFC 5321 §4.1.1.10:
   * the client closes only after the 221).
   */
  async quit(): Promise<SmtpReply> {
    this.guard();
    const r = await this.command({ verb: 'QUIT' }, this.t('command'));
    this.cancelTimer();
    this.setState('Closed');
    this.failure = new SmtpError('ERR_SMTP_STATE', 'session closed by QUIT');
    this.o.transport.close();
    return r;
  }

  private async quitQuietly(): Promise<void> {
    try {
      await this.command({ verb: 'QUIT' }, this.t('command'));
    } catch {
      /* ignore */
    }
    this.cancelTimer();
    this.setState('Closed');
    if (this.failure === undefined) this.failure = new SmtpError('ERR_SMTP_STATE', 'session closed');
    this.o.transport.close();
  }
}

function noop(): void {}

/** RFC 5321 §4.2.1: clients act on the first digit; 2yz is success. */
function ok2(r: SmtpReply): boolean {
  return r.code >= 200 && r.code < 300;
}

function* countingIter(src: Uint8Array | Iterable<Uint8Array>, count: (n: number) => void): Generator<Uint8Array> {
  if (src instanceof Uint8Array) {
    count(src.length);
    yield src;
    return;
  }
  for (const c of src) {
    count(c.length);
    yield c;
  }
}

