/**
 * `ServerSession`: the sans-I/O SMTP server state machine (RFC 5321 §3, §4;
 * the thesis's figure 15) with PIPELINING, SIZE, 8BITMIME, SMTPUTF8,
 * ENHANCEDSTATUSCODES, CHUNKING/BINARYMIME, DSN and a STARTTLS hook point.
 *
 * ```
 *            start()              HELO/EHLO                MAIL
 *   Closed ─────────▶ Begin ─────────────▶ Wait ─────────────▶ EnvelopeCreated
 *                       ▲    ◀── RSET/HELO/EHLO (dashed) ──┐        │ RCPT (accepted)
 *                       │                                   │        ▼
 *                       │       MailCompleted ◀── end ── WritingMail ◀── DATA/BDAT ── SettingRecipients
 *                       │            │ MAIL ──▶ EnvelopeCreated
 *   any state ── QUIT/221, 421 (shutdown, timeout) ──▶ Closed
 * ```
 *
 * The caller owns the connection: it feeds received bytes to {@link receive}
 * and the end of input to {@link receiveEnd}; the session writes replies
 * through the {@link SessionTransport} it was given and asks it to close only
 * after `221` (QUIT) or `421` (shutdown / timeout) — never otherwise (§3.8).
 * Timers (§4.5.3.2.7: ≥ 5 minutes waiting for a command) run on the injected
 * {@link TimerService}, so tests use virtual time.
 *
 * Rules enforced (each cites its RFC in the code): exactly one reply per
 * command, replies in command order; 500 for unknown/overlong/bare-newline
 * lines, 501 for bad arguments, 502 for unimplemented verbs, 503 for bad
 * sequence, 555 for unknown MAIL/RCPT parameters, 452 for too many
 * recipients, 552 for SIZE (declared and counted while streaming), 554 for
 * DATA without valid recipients, 553 5.6.7 for non-ASCII addresses without
 * SMTPUTF8. PIPELINING (RFC 2920): replies are buffered while complete
 * commands remain in the input and flushed when the input is drained (or the
 * session waits on a hook), input is never dropped or reordered.
 *
 * @module
 */
import type { TimerHandle, TimerService } from '@netlayers/clock';
import { commandLineLimit, parseLineResult, type EsmtpParams, type SmtpCommand } from './command.js';
import { isNonAscii, type PathLimits } from './address.js';
import { DataScanner, dotStuff } from './data.js';
import { enhancedFor } from './enhanced.js';
import { SmtpDataError, SmtpError } from './errors.js';
import { IncomingMessage, type Envelope, type Recipient } from './message.js';
import { formatReply } from './reply.js';
import { asciiBytes, concatBytes, hasByte } from './bytes.js';
import { LineSplitter } from './line.js';
import type { BufferOwner } from './owner.js';

/** Server states (thesis §3.2.2, figure 15). */
export type ServerState =
  | 'Closed'
  | 'Begin'
  | 'Wait'
  | 'EnvelopeCreated'
  | 'SettingRecipients'
  | 'WritingMail'
  | 'MailCompleted';

/** Where a session writes and how it closes: implemented by adapters. */
export interface SessionTransport {
  /**
   * Sends bytes to the peer. The array may be shared (cached replies): do not
   * modify it. May return `false` when the transport's buffer is full (like
   * `stream.write`); the client then waits for {@link whenWritable} before
   * writing more message content, and a server session consumes no more
   * input until then (the peer is not reading its replies).
   */
  write(data: Uint8Array): boolean | void;
  /**
   * Resolves when a transport whose `write` returned `false` can take more
   * (also when it closed). A server session stops consuming input from a
   * `false` until then (output back-pressure); without it a `false` is ignored.
   */
  whenWritable?(): Promise<void>;
  /**
   * Octets written but not yet sent (e.g. `socket.writableLength`); optional.
   * Counted in {@link ServerSession.pendingOutput} against `maxReplyBuffer`.
   */
  pendingBytes?(): number;
  /** Closes the connection after pending writes (called after 221 or 421, or by the client after QUIT). */
  close(): void;
  /** Stops delivering input (back-pressure); optional. */
  pause?(): void;
  /** Resumes delivering input; optional. */
  resume?(): void;
  /**
   * Upgrades the connection to TLS (STARTTLS, RFC 3207). Called after the 220
   * reply was written; input received afterwards must be the decrypted stream.
   * When absent, STARTTLS is not offered.
   */
  startTls?(): Promise<void> | void;
}

/** A reply chosen by a hook. 2yz accepts; 4yz/5yz rejects. */
export interface SmtpResponse {
  /** Reply code (e.g. 550). */
  readonly code: number;
  /** Enhanced status code (e.g. `5.1.1`); a default is derived from `code` when omitted. */
  readonly enhanced?: string;
  /** Reply text, one string per line. */
  readonly message?: string | readonly string[];
}

/** What a hook returns: nothing (accept with the default reply) or a response. */
export type HookResult = void | undefined | SmtpResponse;
/** A hook may answer synchronously or asynchronously. */
export type HookReturn = HookResult | Promise<HookResult>;

/** Builds a rejection for hooks: `return reject(550, '5.1.1', 'No such user')`. */
export function reject(code: number, enhanced?: string, message?: string | readonly string[]): SmtpResponse {
  const r: { code: number; enhanced?: string; message?: string | readonly string[] } = { code };
  if (enhanced !== undefined) r.enhanced = enhanced;
  if (message !== undefined) r.message = message;
  return r;
}

/** Application hooks of a server session. Each may return a {@link SmtpResponse} or a promise of one. */
export interface ServerHooks {
  /** New connection: reject with e.g. 554 (the session then answers 503 to everything but QUIT, RFC 5321 §3.1). */
  onConnect?(session: ServerSession): HookReturn;
  /** HELO/EHLO with the client's identity; a rejection leaves the state unchanged (§4.1.4). */
  onEhlo?(domain: string, session: ServerSession): HookReturn;
  /** MAIL FROM (address `''` is the null reverse-path). */
  onMailFrom?(address: string, params: EsmtpParams, session: ServerSession): HookReturn;
  /** RCPT TO. */
  onRcptTo?(address: string, params: EsmtpParams, session: ServerSession): HookReturn;
  /**
   * The message body. Called when the body starts (after 354, or at the first
   * BDAT); consume `message` (an async iterable of zero-copy chunks) and
   * resolve to accept (250) or a rejection. The final reply is sent only after
   * the end of data **and** this hook settled — so an application that stores
   * the message before resolving never loses an accepted message (§6.1).
   */
  onData?(message: IncomingMessage, session: ServerSession): HookReturn;
  /** The session closed (QUIT, 421, peer closed, destroy). */
  onClose?(session: ServerSession, reason: SmtpError | undefined): void;
}

/** Extensions a server offers in its EHLO reply. */
export interface ServerExtensions {
  /** RFC 2920 (default true). */
  readonly pipelining?: boolean;
  /** RFC 6152 (default true). */
  readonly eightBitMime?: boolean;
  /** RFC 6531 (default true; requires 8BITMIME). */
  readonly smtputf8?: boolean;
  /** RFC 2034 / RFC 3463 (default true). */
  readonly enhancedStatusCodes?: boolean;
  /** RFC 3030 CHUNKING (default true). */
  readonly chunking?: boolean;
  /** RFC 3030 BINARYMIME (default true; requires CHUNKING). */
  readonly binaryMime?: boolean;
  /** RFC 3461 DSN parameters carried through (default true). */
  readonly dsn?: boolean;
}

/** Timeouts of the server in milliseconds (RFC 5321 §4.5.3.2.7: ≥ 5 minutes). */
export interface ServerTimeouts {
  /** Waiting for the next command (default 300 000). */
  readonly command?: number;
  /**
   * Base time for one DATA body or one BDAT chunk, from its start (default
   * 600 000); each octet received adds `1000 / minDataRate` ms to it.
   */
  readonly data?: number;
  /** Whole-session lifetime from `start()`, whatever the peer does (default 3 600 000; 0 = none). */
  readonly session?: number;
}

/** Options of {@link ServerSession}. */
export interface ServerSessionOptions {
  /**
   * The transport to write to. When omitted the session runs in pull mode
   * (h11 style): replies queue up for {@link ServerSession.takeOutput} and a
   * close request shows in {@link ServerSession.closeRequested}.
   */
  readonly transport?: SessionTransport;
  /** Pull mode: called whenever output was queued (e.g. after an async hook). */
  readonly onOutput?: () => void;
  /** Timer service (`realClock` or a `VirtualClock`). */
  readonly timers: TimerService;
  /** Server's host name, used in the greeting and replies. Default `localhost`. */
  readonly hostname?: string;
  /** Greeting text after the host name (default `ESMTP netlayers`). */
  readonly banner?: string;
  /** Maximum message size in octets (RFC 1870); 0 = no limit (default 0). */
  readonly size?: number;
  /** Maximum recipients per transaction (≥ 100 per RFC 5321 §4.5.3.1.8; default 100). */
  readonly maxRecipients?: number;
  /** Text line limit inside DATA incl. CRLF (default 1000; `Infinity` disables). */
  readonly maxTextLineLength?: number;
  /** Bare CR/LF in DATA: `'reject'` (default, anti-smuggling) or `'allow'`. */
  readonly bareNewline?: 'reject' | 'allow';
  /** Path limits (RFC 5321 §4.5.3.1). */
  readonly pathLimits?: PathLimits;
  /** Extensions offered (all default to true). */
  readonly extensions?: ServerExtensions;
  /** Timeouts. */
  readonly timeouts?: ServerTimeouts;
  /** Hooks. */
  readonly hooks?: ServerHooks;
  /**
   * Trace header to prepend to each message body (RFC 5321 §4.4 `Received:`),
   * as a function of the session and envelope; return `undefined` for none.
   * See {@link formatReceivedHeader}.
   */
  readonly receivedHeader?: (session: ServerSession, envelope: Envelope) => string | undefined;
  /** Remote peer information, for hooks and trace headers. */
  readonly remote?: { readonly address?: string; readonly port?: number };
  /** Unread body bytes after which input is paused (default 1 MiB). */
  readonly highWaterMark?: number;
  /**
   * Reply octets the peer has not taken yet (session buffers plus the
   * transport's `pendingBytes()`) above which the session answers 421 4.7.0
   * and closes (default 256 KiB). Input is not consumed while the transport
   * reports a full buffer, so a peer that does not read reaches this only
   * through a transport that ignores back-pressure.
   */
  readonly maxReplyBuffer?: number;
  /**
   * Minimum body rate in octets/s during DATA and BDAT (default 500, like
   * Postfix's `smtpd_min_data_rate`): every octet received extends the data
   * deadline by `1000 / minDataRate` ms; 0 disables the extension.
   */
  readonly minDataRate?: number;
  /**
   * NUL octets in a DATA body: `'reject'` (default: the transaction fails
   * with 554 5.6.0 after the end of data — RFC 2045 §2.7–2.8 allow no NUL in
   * 7bit or 8bit data, the only bodies DATA may carry, RFC 3030 §3) or
   * `'allow'` (passed through). BDAT chunks are counted octets and pass
   * verbatim (NUL included), as BINARYMIME requires.
   */
  readonly nulInBody?: 'reject' | 'allow';
  /** Called on every state change (`from => to`), for debugging and tests. */
  readonly trace?: (from: ServerState, to: ServerState) => void;
}

type Mode = 'command' | 'data' | 'bdat' | 'discard';

interface Txn {
  from: string;
  fromParams: EsmtpParams;
  to: Recipient[];
  rcptAttempts: number;
  body: '7BIT' | '8BITMIME' | 'BINARYMIME';
  smtputf8: boolean;
  declaredSize: number | undefined;
  ret: 'FULL' | 'HDRS' | undefined;
  envid: string | undefined;
  bdat: boolean;
}

const XTEXT_RE = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+$/;

/**
 * Formats an RFC 5321 §4.4 `Received:` trace line (with CRLF).
 * @example formatReceivedHeader({ from: 'client.example', by: 'mx.example', with: 'ESMTP', date: new Date() })
 */
export function formatReceivedHeader(info: {
  readonly from: string;
  readonly fromAddress?: string | undefined;
  readonly by: string;
  readonly with: string;
  readonly id?: string | undefined;
  readonly for?: string | undefined;
  readonly date: Date;
}): string {
  const addr = info.fromAddress !== undefined ? ` ([${info.fromAddress}])` : '';
  const id = info.id !== undefined ? `\r\n\tid ${info.id}` : '';
  const fr = info.for !== undefined ? `\r\n\tfor <${info.for}>` : '';
  return `Received: from ${info.from}${addr}\r\n\tby ${info.by} with ${info.with}${id}${fr};\r\n\t${rfc5322Date(info.date)}\r\n`;
}

function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * The SMTP server state machine for one connection. See the module doc.
 *
 * @example
 * ```ts
 * const s = new ServerSession({ transport: { write: (b) => sock.write(b), close: () => sock.end() }, timers: realClock });
 * s.start();
 * sock.on('data', (b) => s.receive(b)); sock.on('end', () => s.receiveEnd());
 * ```
 */
export class ServerSession {
  /** Current state (figure 15). */
  get state(): ServerState {
    return this._state;
  }
  /** Client identity from HELO/EHLO, if any. */
  clientName: string | undefined;
  /** True when the client greeted with EHLO (ESMTP). */
  esmtp = false;
  /** True after a successful STARTTLS. */
  secure = false;
  /** Remote peer info given at construction. */
  readonly remote: { readonly address?: string; readonly port?: number };
  /** Messages accepted with a 2yz final reply on this connection. */
  messagesAccepted = 0;
  /** Number of replies sent (one per command, plus the greeting). */
  repliesSent = 0;
  /** Free slot for application data. */
  data: unknown;

  private _state: ServerState = 'Closed';
  private readonly o: ServerSessionOptions;
  private readonly t: SessionTransport;
  private outbox: Uint8Array[] = [];
  /** Pull mode: the session asked for the connection to be closed (after 221 or 421). */
  closeRequested = false;
  private readonly hostname: string;
  private readonly maxSize: number;
  private readonly maxRecipients: number;
  private readonly ext: Required<ServerExtensions>;
  private readonly hooks: ServerHooks;
  private readonly tCommand: number;
  private readonly tData: number;
  private readonly tSession: number;
  private readonly msPerByte: number;
  private readonly maxReplyBuffer: number;
  private readonly rejectNul: boolean;
  private readonly hwm: number;
  private readonly lines: LineSplitter;
  private readonly lineLimitMax: number;
  private readonly input: Uint8Array[] = [];
  /** Owner of each `input` entry; `inHeld[i]` when the session holds it (one hold per entry). */
  private readonly inOwners: Array<BufferOwner | undefined> = [];
  private readonly inHeld: boolean[] = [];
  private inHead = 0;
  private inOff = 0;
  private out: string[] = [];
  private outChars = 0;
  private outboxBytes = 0;
  /** The transport reported a full buffer: no input is consumed until it drains. */
  private outBlocked = false;
  private lifeTimer: TimerHandle | undefined;
  private nulFound = false;
  private mode: Mode = 'command';
  private blocked = 0;
  private processing = false;
  private connectRejected = false;
  private txn: Txn | undefined;
  private scanner: DataScanner | undefined;
  private message: IncomingMessage | undefined;
  private dataHook: Promise<HookResult> | HookResult;
  private bdatRemaining = 0;
  private bdatLast = false;
  private bdatFailed: SmtpResponse | undefined;
  private timer: TimerHandle | undefined;
  private deadline: number | undefined;
  private timerDue = 0;
  private paused = false;
  private dropInput = false;
  private closing = false;
  private readonly scratch: Uint8Array[] = [];

  constructor(options: ServerSessionOptions) {
    this.o = options;
    this.t = options.transport ?? {
      write: (d) => {
        this.outbox.push(d);
        this.outboxBytes += d.length;
        // Pull mode back-pressure: stop consuming input until takeOutput().
        if (this.outboxBytes > PULL_OUTPUT_HWM) this.blockOutput(undefined);
        options.onOutput?.();
      },
      close: () => {
        this.closeRequested = true;
        options.onOutput?.();
      },
    };
    this.hostname = options.hostname ?? 'localhost';
    this.maxSize = options.size ?? 0;
    this.maxRecipients = options.maxRecipients ?? 100;
    const e = options.extensions ?? {};
    const chunking = e.chunking ?? true;
    const eight = e.eightBitMime ?? true;
    this.ext = {
      pipelining: e.pipelining ?? true,
      eightBitMime: eight,
      // RFC 6531 §3.1 item 8: SMTPUTF8 requires 8BITMIME.
      smtputf8: (e.smtputf8 ?? true) && eight,
      enhancedStatusCodes: e.enhancedStatusCodes ?? true,
      chunking,
      // RFC 3030 §3: BINARYMIME requires CHUNKING.
      binaryMime: (e.binaryMime ?? true) && chunking,
      dsn: e.dsn ?? true,
    };
    this.hooks = options.hooks ?? {};
    this.tCommand = options.timeouts?.command ?? 300_000;
    this.tData = options.timeouts?.data ?? 600_000;
    this.tSession = options.timeouts?.session ?? 3_600_000;
    const rate = options.minDataRate ?? 500;
    this.msPerByte = rate > 0 ? 1000 / rate : 0;
    this.maxReplyBuffer = options.maxReplyBuffer ?? 256 * 1024;
    this.rejectNul = (options.nulInBody ?? 'reject') === 'reject';
    this.hwm = options.highWaterMark ?? 1 << 20;
    this.remote = options.remote ?? {};
    const lim = { size: true, smtputf8: this.ext.smtputf8, dsn: this.ext.dsn, eightBitMime: this.ext.eightBitMime };
    this.lineLimitMax = Math.max(commandLineLimit('MAIL', lim), commandLineLimit('RCPT', lim));
    this.lines = new LineSplitter(this.lineLimitMax);
  }

  /** The server host name. */
  get serverName(): string {
    return this.hostname;
  }

  /** The current transaction's envelope, if a MAIL was accepted. */
  get envelope(): Envelope | undefined {
    return this.txn === undefined ? undefined : this.snapshot(this.txn);
  }

  /**
   * Pull mode (no `transport` given): returns and clears the bytes to send,
   * in order. Call it after `start()`, `receive()`, timer expiries and
   * whenever `onOutput` fires.
   */
  takeOutput(): Uint8Array[] {
    const o = this.outbox;
    this.outbox = [];
    this.outboxBytes = 0;
    if (this.outBlocked && this.t.whenWritable === undefined) this.unblockOutput();
    return o;
  }

  /**
   * Reply octets not yet taken by the peer: replies not yet written, pull-mode
   * output not yet taken, plus the transport's `pendingBytes()`. Bounded by
   * `maxReplyBuffer`; a transport that cannot pause may use it to stop reading.
   */
  get pendingOutput(): number {
    return this.outChars + this.outboxBytes + (this.t.pendingBytes?.() ?? 0);
  }

  /** True while the session consumes no input because its output is not drained. */
  get outputBlocked(): boolean {
    return this.outBlocked;
  }

  /** Deadline (timer-service time) of the running timeout, if any (`pollAt`). */
  pollAt(): number | undefined {
    return this.deadline;
  }

  /** Bytes received but not yet processed. */
  get bufferedInput(): number {
    let n = 0;
    for (let i = this.inHead; i < this.input.length; i++) n += this.input[i]!.length;
    return n - this.inOff;
  }

  /** Extension keywords offered in the EHLO reply (in order). */
  extensionLines(): string[] {
    const l: string[] = [];
    if (this.ext.pipelining) l.push('PIPELINING');
    l.push(this.maxSize > 0 ? `SIZE ${this.maxSize}` : 'SIZE');
    if (this.ext.eightBitMime) l.push('8BITMIME');
    if (this.ext.smtputf8) l.push('SMTPUTF8');
    if (this.ext.enhancedStatusCodes) l.push('ENHANCEDSTATUSCODES');
    if (this.ext.chunking) l.push('CHUNKING');
    if (this.ext.binaryMime) l.push('BINARYMIME');
    if (this.ext.dsn) l.push('DSN');
    if (this.t.startTls !== undefined && !this.secure) l.push('STARTTLS');
    l.push('HELP');
    return l;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Starts the session: runs `onConnect` and sends the 220 (or 554) greeting (RFC 5321 §3.1). */
  start(): void {
    if (this._state !== 'Closed' || this.closing) throw new SmtpError('ERR_SMTP_STATE', 'session already started');
    this.setState('Begin');
    const r = this.callHook(() => this.hooks.onConnect?.(this));
    this.after(r, (res) => {
      if (res !== undefined && res.code >= 400) {
        // §3.1: 554 instead of 220; then wait for QUIT and answer 503 otherwise.
        this.connectRejected = true;
        this.replyRaw(res.code, res.enhanced, lineList(res.message, 'No SMTP service here'), true);
      } else {
        const text = res?.message !== undefined ? lineList(res.message, '') : [`${this.hostname} ${this.o.banner ?? 'ESMTP netlayers'}`];
        this.replyRaw(220, undefined, text, false);
      }
      this.flush();
      this.armTimer();
    });
    if (this.tSession > 0 && Number.isFinite(this.tSession) && this._state !== 'Closed') {
      this.lifeTimer = this.o.timers.setTimeout(
        () => this.fail421('4.4.2', 'Error: session time limit exceeded', new SmtpError('ERR_SMTP_TIMEOUT', 'session lifetime exceeded')),
        this.tSession,
      );
    }
  }

  /**
   * Feeds received bytes (one chunk or any iterable of chunks — e.g. skb
   * payload views). The bytes are not copied.
   *
   * Ownership: with `owner`, after `receive()` returns the session keeps a
   * view of these buffers only if it called `owner.hold()` for it (one hold
   * per kept input chunk and per queued body piece), and calls
   * `owner.release()` exactly once per hold when it no longer needs the view
   * (input consumed, content read or taken with `takeRaw()` — then the hold
   * passes to the taker —, transaction failed, hook settled, session closed
   * or destroyed); the caller may drop its own reference right away. Without
   * `owner` the session keeps plain views: the caller must not modify or
   * reuse the memory until the message containing it completed and its
   * `onData` hook settled, or the session closed. See `owner.ts`.
   * Ignored once the session closed.
   * @param data - the received chunk(s)
   * @param owner - keeps the memory of every chunk of `data` valid (reference counted)
   * @throws SmtpError `ERR_SMTP_STATE` when called before {@link start}.
   */
  receive(data: Uint8Array | Iterable<Uint8Array>, owner?: BufferOwner): void {
    if (this._state === 'Closed') {
      // Late input after the session ended is ignored; input before start() is a misuse.
      if (!this.closing) throw new SmtpError('ERR_SMTP_STATE', 'receive() before start()');
      return;
    }
    if (data instanceof Uint8Array) {
      if (data.length > 0) this.pushInput(data, owner);
    } else for (const c of data) if (c.length > 0) this.pushInput(c, owner);
    // Received bytes never move the deadline (RFC 5321 §4.5.3.2 timers run
    // from the start of each command / data block): see armTimer().
    if (this.blocked > 0 || this.outBlocked) this.maybePause();
    else this.process();
    if (owner !== undefined && !this.isClosed()) this.holdRetained();
  }

  private pushInput(c: Uint8Array, owner: BufferOwner | undefined): void {
    this.input.push(c);
    this.inOwners.push(owner);
    this.inHeld.push(false);
  }

  /**
   * End of `receive(…, owner)`: takes one hold per input entry still kept,
   * and detaches a partial command line from the input buffers (a copy of
   * at most one command line).
   */
  private holdRetained(): void {
    for (let i = this.inHead; i < this.input.length; i++) {
      const o = this.inOwners[i];
      if (o !== undefined && !this.inHeld[i]) {
        o.hold();
        this.inHeld[i] = true;
      }
    }
    this.lines.detach();
  }

  /** Drops input entry `i` (releasing its hold). */
  private dropEntry(i: number): void {
    this.input[i] = EMPTY;
    if (this.inHeld[i]) this.inOwners[i]!.release();
    this.inOwners[i] = undefined;
    this.inHeld[i] = false;
  }

  /** Drops all unprocessed input. */
  private clearInput(): void {
    for (let i = this.inHead; i < this.input.length; i++) this.dropEntry(i);
    this.input.length = 0;
    this.inOwners.length = 0;
    this.inHeld.length = 0;
    this.inHead = 0;
    this.inOff = 0;
  }

  /** The peer closed its side (EOF). Aborts any transaction; the session closes. */
  receiveEnd(): void {
    if (this._state === 'Closed') return;
    this.process();
    this.terminate(new SmtpError('ERR_SMTP_CONNECTION_CLOSED', 'connection closed by client'), false);
  }

  /**
   * Shuts the session down: replies `421 4.3.2` (RFC 5321 §3.8) and closes.
   * Any transaction in progress is aborted.
   */
  shutdown(text = 'Service shutting down'): void {
    this.fail421('4.3.2', text, new SmtpError('ERR_SMTP_ABORTED', 'server shutdown'));
  }

  /**
   * Graceful shutdown (RFC 5321 §3.8): a session between transactions gets the
   * 421 now; one inside a transaction finishes it (its final reply is sent —
   * mail accepted is acknowledged) and gets the 421 in answer to its next
   * command other than QUIT.
   */
  drain(text = 'Service shutting down'): void {
    this.drainText = text;
    if (this.betweenTransactions()) this.shutdown(text);
  }

  private drainText: string | undefined;

  private betweenTransactions(): boolean {
    return this._state === 'Begin' || this._state === 'Wait' || this._state === 'MailCompleted';
  }

  /** Replies 421 (dropping replies not yet written) and closes (RFC 5321 §3.8). */
  private fail421(enhanced: string, text: string, reason: SmtpError): void {
    if (this._state === 'Closed' || this.closing) return;
    this.closing = true;
    this.out = [];
    this.outChars = 0;
    this.replyRaw(421, enhanced, [`${this.hostname} ${text}`], true);
    this.flush();
    this.terminate(reason, true);
  }

  /** A resource bound was exceeded: 421 4.7.0 and close. */
  private overflow(what: string): void {
    this.fail421('4.7.0', `Error: ${what}`, new SmtpError('ERR_SMTP_LIMIT', what));
  }

  /** Drops the session without any reply (e.g. transport error). */
  destroy(reason?: SmtpError): void {
    this.terminate(reason ?? new SmtpError('ERR_SMTP_ABORTED', 'session destroyed'), false);
  }

  // ---------------------------------------------------------------- internals

  private isClosed(): boolean {
    return this._state === 'Closed';
  }

  /** The one place the state changes (traced through `options.trace`). */
  private setState(s: ServerState): void {
    const from = this._state;
    this._state = s;
    if (from !== s) this.o.trace?.(from, s);
  }

  private terminate(reason: SmtpError | undefined, closeTransport: boolean): void {
    if (this._state === 'Closed' && this.closing) return;
    this.closing = true;
    this.cancelTimer();
    this.lifeTimer?.cancel();
    this.lifeTimer = undefined;
    this.outBlocked = false;
    this.abortMessage(reason ?? new SmtpError('ERR_SMTP_ABORTED', 'session closed'));
    this.clearInput();
    this.lines.reset();
    this.setState('Closed');
    if (closeTransport) this.t.close();
    this.hooks.onClose?.(this, reason);
  }

  private abortMessage(err: SmtpError): void {
    if (this.message !== undefined) {
      this.message.fail(err);
      this.message.onDrain = undefined;
      this.message = undefined;
    }
    this.scanner = undefined;
    this.dataHook = undefined;
  }

  /**
   * Starts the timeout of the current phase: the command timeout when a
   * command completed (or the greeting / a hook's reply went out), the data
   * timeout at the 354 and at each BDAT. Received bytes do not call this: a
   * partial command line never extends its deadline, and body octets only
   * add `1000 / minDataRate` ms each ({@link credit}). Lazy: the timer service
   * is touched only when no timer is pending or the new deadline is earlier;
   * a timer that fires before the (moved) deadline re-arms itself for the
   * remainder, so a busy connection costs one timer per timeout period.
   */
  private armTimer(): void {
    if (this._state === 'Closed' || this.blocked > 0) {
      this.cancelTimer();
      return;
    }
    const ms = this.mode === 'command' ? this.tCommand : this.tData;
    const now = this.o.timers.now();
    this.deadline = now + ms;
    if (this.timer !== undefined && this.timer.active && this.timerDue <= this.deadline) return;
    this.timer?.cancel();
    this.timerDue = this.deadline;
    this.timer = this.o.timers.setTimeout(() => this.onTimer(), ms);
  }

  /** Extends the data deadline by the credit of `n` body octets (minimum data rate). */
  private credit(n: number): void {
    if (this.deadline !== undefined) this.deadline += n * this.msPerByte;
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.deadline = undefined;
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this._state === 'Closed' || this.deadline === undefined) return;
    const left = this.deadline - this.o.timers.now();
    if (left > 0) {
      this.timerDue = this.deadline;
      this.timer = this.o.timers.setTimeout(() => this.onTimer(), left);
      return;
    }
    this.onTimeout();
  }

  private onTimeout(): void {
    this.timer = undefined;
    // RFC 5321 §4.5.3.2: on timeout the server closes with 421.
    this.fail421('4.4.2', 'Error: timeout exceeded', new SmtpError('ERR_SMTP_TIMEOUT', 'client timed out'));
  }

  /** Appends a reply to the output buffer (flushed per RFC 2920 rules). */
  private replyRaw(code: number, enhanced: string | undefined, text: readonly string[], useEnhanced: boolean): void {
    // RFC 3463 classes are 2, 4, 5: 3yz replies (354) carry no enhanced code.
    const enh = useEnhanced && this.ext.enhancedStatusCodes && (code < 300 || code >= 400) ? enhancedFor(code, enhanced) : undefined;
    const r = formatReply(enh === undefined ? { code, lines: text } : { code, enhanced: enh, lines: text });
    this.out.push(r);
    this.outChars += r.length;
    this.repliesSent++;
  }

  private reply(code: number, enhanced: string | undefined, text: string | readonly string[]): void {
    this.replyRaw(code, enhanced, typeof text === 'string' ? [text] : text, true);
  }

  private replyResponse(res: SmtpResponse, fallbackText: string): void {
    this.reply(res.code, res.enhanced, lineList(res.message, fallbackText));
  }

  private flush(): void {
    if (this.out.length === 0) return;
    const s = this.out.length === 1 ? this.out[0]! : this.out.join('');
    this.out = [];
    this.outChars = 0;
    const ok = this.t.write(encodeReplyText(s));
    if (this.closing) return;
    // Output back-pressure: consume no more input until the transport drains.
    if (ok === false && !this.outBlocked && this.t.whenWritable !== undefined) this.blockOutput(this.t.whenWritable());
    if (this.pendingOutput > this.maxReplyBuffer) this.overflow('too much unread output');
  }

  /** Stops consuming input until `drained` resolves (pull mode: until takeOutput()). */
  private blockOutput(drained: Promise<void> | undefined): void {
    if (this.outBlocked || this.closing) return;
    this.outBlocked = true;
    this.maybePause();
    if (drained !== undefined) void drained.then(() => this.unblockOutput());
  }

  private unblockOutput(): void {
    if (!this.outBlocked) return;
    this.outBlocked = false;
    if (this._state === 'Closed') return;
    this.unpause();
    if (this.blocked === 0) this.process();
  }

  private callHook(f: () => HookReturn): HookReturn | { thrown: unknown } {
    try {
      return f();
    } catch (e) {
      return { thrown: e };
    }
  }

  /**
   * Runs `k` with the hook's result, synchronously if it is not a promise,
   * otherwise after it settles (blocking input processing meanwhile).
   */
  private after(r: HookReturn | { thrown: unknown }, k: (res: SmtpResponse | undefined) => void): void {
    if (r instanceof Promise) {
      this.block();
      r.then(
        (v) => this.resumeWith(() => k(normalize(v))),
        (e: unknown) => this.resumeWith(() => k(errorResponse(e))),
      );
      return;
    }
    if (r !== null && typeof r === 'object' && 'thrown' in r) k(errorResponse(r.thrown));
    else k(normalize(r as HookResult));
  }

  private block(): void {
    this.blocked++;
    this.cancelTimer();
    this.flush();
    this.maybePause();
  }

  /**
   * Asks the transport to stop reading once a blocked session holds more than
   * `highWaterMark` unprocessed octets. Short waits on hooks do not pause:
   * pausing a socket costs system calls per message.
   */
  private maybePause(): void {
    if (this.outBlocked) {
      // Not reading replies: pause at once; a transport that cannot pause
      // may buffer up to highWaterMark input octets, then the session ends.
      if (!this.paused) {
        this.paused = true;
        this.t.pause?.();
      }
      if (this.bufferedInput > this.hwm) this.overflow('too much input while replies are unread');
      return;
    }
    if (!this.paused && this.blocked > 0 && this.bufferedInput > this.hwm) {
      this.paused = true;
      this.t.pause?.();
    }
  }

  private resumeWith(k: () => void): void {
    if (this._state === 'Closed') return;
    this.blocked--;
    k();
    if (this.isClosed()) return;
    if (this.blocked === 0) {
      this.armTimer();
      this.process();
    }
  }

  private unpause(): void {
    if (this.paused && this.blocked === 0 && !this.outBlocked) {
      this.paused = false;
      this.t.resume?.();
    }
  }

  /** Main input loop: runs until input is exhausted or a hook blocks. */
  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.blocked === 0 && !this.outBlocked && this._state !== 'Closed' && this.inHead < this.input.length) {
        if (this.message !== undefined && !this.message.abandoned && this.message.bufferedBytes > this.hwm) {
          // back-pressure: wait for the consumer (onDrain resumes).
          this.waitForDrain();
          break;
        }
        const chunk = this.input[this.inHead]!;
        const off = this.inOff;
        const consumed = this.step(chunk, off);
        if (this.dropInput) {
          // STARTTLS: everything received before the handshake is discarded.
          this.dropInput = false;
          this.clearInput();
          continue;
        }
        const next = off + consumed;
        if (next >= chunk.length) {
          this.dropEntry(this.inHead);
          this.inHead++;
          this.inOff = 0;
          if (this.inHead === this.input.length) {
            this.input.length = 0;
            this.inOwners.length = 0;
            this.inHeld.length = 0;
            this.inHead = 0;
          }
        } else this.inOff = next;
        // Bounded reply batching: a pipelined burst is written in pieces of
        // at most REPLY_BATCH octets, each a chance to see back-pressure.
        if (this.outChars > REPLY_BATCH) this.flush();
      }
    } finally {
      this.processing = false;
    }
    if (this._state === 'Closed') return;
    // RFC 2920 §3.1 (7): flush pending replies when the input buffer empties.
    if (this.inHead >= this.input.length || this.blocked > 0) this.flush();
    if (this.blocked === 0) this.unpause();
  }

  private waitForDrain(): void {
    const m = this.message!;
    this.block();
    m.onDrain = () => {
      m.onDrain = undefined;
      this.resumeWith(() => undefined);
    };
  }

  /** Processes bytes of `chunk` from `off`; returns how many were consumed. */
  private step(chunk: Uint8Array, off: number): number {
    switch (this.mode) {
      case 'command': {
        const r = this.lines.feed(chunk, off);
        if (r.line !== undefined) {
          const parsed = parseLineResult(r.line, r.overflow, r.bare, this.o.pathLimits === undefined ? {} : { pathLimits: this.o.pathLimits });
          if (parsed.ok) this.onCommand(parsed.command, parsed.length);
          else this.reply(parsed.error.replyCode, parsed.error.enhanced, parsed.error.message);
          // §4.5.3.2.7: the next command's timeout runs from here.
          if (this.mode === 'command') this.armTimer();
        }
        return r.next - off;
      }
      case 'data': {
        const sc = this.scanner!;
        const view = off === 0 ? chunk : chunk.subarray(off);
        const out = this.scratch;
        out.length = 0;
        const r = sc.scan(view, out);
        const m = this.message;
        if (this.rejectNul && !this.nulFound && r.consumed > 0 && hasByte(view, 0, r.consumed)) this.nulFound = true;
        if (m !== undefined) {
          // One piece per step: the wire octets consumed and their unstuffed views.
          // Nothing more is queued once a policy failed (the message fails at the end).
          if (!sc.failed && !this.nulFound && r.consumed > 0) {
            const raw = r.consumed === view.length ? view : view.subarray(0, r.consumed);
            m.push(raw, out.length === 1 ? out[0]! : out.slice(), this.inOwners[this.inHead]);
          }
          m.size = sc.size;
        }
        out.length = 0;
        this.credit(r.consumed);
        if (r.done) {
          this.endData();
          this.armTimer();
        }
        return r.consumed;
      }
      case 'bdat':
      case 'discard': {
        const avail = chunk.length - off;
        const take = Math.min(avail, this.bdatRemaining);
        if (take > 0 && this.mode === 'bdat' && this.message !== undefined) {
          const v = off === 0 && take === chunk.length ? chunk : chunk.subarray(off, off + take);
          this.message.push(v, v, this.inOwners[this.inHead]);
          this.message.size += take;
        }
        this.bdatRemaining -= take;
        this.credit(take);
        if (this.bdatRemaining === 0) this.endBdatChunk();
        return take;
      }
    }
  }

  // ------------------------------------------------------------- commands

  private onCommand(cmd: SmtpCommand, length: number): void {
    // RFC 5321 §4.5.3.1.4 (+ RFC 1870 §3, RFC 3461 §5, RFC 6531): per-verb line limit.
    if (length > commandLineLimit(cmd.verb, { size: true, smtputf8: this.ext.smtputf8, dsn: this.ext.dsn, eightBitMime: this.ext.eightBitMime })) {
      this.reply(500, '5.5.6', 'Line too long');
      return;
    }
    if (this.drainText !== undefined && cmd.verb !== 'QUIT' && this.betweenTransactions()) {
      this.shutdown(this.drainText); // draining: the transaction in progress has ended
      return;
    }
    if (this.connectRejected && cmd.verb !== 'QUIT') {
      // RFC 5321 §3.1: after a 554 greeting, 503 to everything but QUIT.
      this.reply(503, '5.5.1', 'No SMTP service here; say QUIT');
      return;
    }
    switch (cmd.verb) {
      case 'HELO':
      case 'EHLO':
        return this.onHelo(cmd.verb, cmd.domain);
      case 'MAIL':
        return this.onMail(cmd.address, cmd.params);
      case 'RCPT':
        return this.onRcpt(cmd.address, cmd.params);
      case 'DATA':
        return this.onDataCmd();
      case 'BDAT':
        return this.onBdat(cmd.size, cmd.last);
      case 'RSET':
        // RFC 5321 §4.1.1.5: abort the transaction, keep the HELO state.
        this.resetTransaction('RSET');
        this.reply(250, '2.0.0', 'Flushed');
        return;
      case 'NOOP':
        this.reply(250, '2.0.0', 'OK');
        return;
      case 'HELP':
        this.reply(214, '2.0.0', 'See https://www.rfc-editor.org/rfc/rfc5321');
        return;
      case 'VRFY':
        // RFC 5321 §3.5.3: 252 when the server will not verify but will accept.
        this.reply(252, '2.1.5', 'Cannot VRFY user, but will accept message and attempt delivery');
        return;
      case 'EXPN':
        this.reply(502, '5.5.1', 'EXPN not implemented');
        return;
      case 'QUIT':
        this.reply(221, '2.0.0', `${this.hostname} Service closing transmission channel`);
        this.flush();
        this.terminate(undefined, true);
        return;
      case 'STARTTLS':
        return this.onStartTls();
    }
  }

  private onHelo(verb: 'HELO' | 'EHLO', domain: string): void {
    // Also allowed between BDAT chunks: like RSET it aborts the transaction.
    const r = this.callHook(() => this.hooks.onEhlo?.(domain, this));
    this.after(r, (res) => {
      if (res !== undefined && res.code >= 400) {
        // RFC 5321 §4.1.4: a rejected EHLO leaves the state unchanged.
        this.replyResponse(res, 'Rejected');
        return;
      }
      // RFC 5321 §4.1.4: EHLO/HELO resets like RSET; thesis: → Wait, buffers cleared.
      this.resetTransaction('HELO');
      this.clientName = domain;
      this.esmtp = verb === 'EHLO';
      this.setState('Wait');
      const greet = res?.message !== undefined ? lineList(res.message, '')[0]! : `${this.hostname} Hello ${domain}`;
      if (verb === 'EHLO') this.replyRaw(250, undefined, [greet, ...this.extensionLines()], false);
      else this.replyRaw(250, undefined, [greet], false);
    });
  }

  private inTransaction(): boolean {
    return this._state === 'EnvelopeCreated' || this._state === 'SettingRecipients' || this._state === 'WritingMail';
  }

  private onMail(address: string, params: EsmtpParams): void {
    if (this._state === 'Begin') {
      this.reply(503, '5.5.1', 'Error: send HELO/EHLO first');
      return;
    }
    if (this.inTransaction() || this.mode !== 'command') {
      // RFC 5321 §4.1.4: MAIL inside an open transaction → 503.
      this.reply(503, '5.5.1', 'Error: nested MAIL command');
      return;
    }
    const txn: Txn = {
      from: address,
      fromParams: params,
      to: [],
      rcptAttempts: 0,
      body: '7BIT',
      smtputf8: false,
      declaredSize: undefined,
      ret: undefined,
      envid: undefined,
      bdat: false,
    };
    for (const key of Object.keys(params)) {
      const v = params[key]!;
      const bad = this.mailParam(txn, key, v);
      if (bad !== undefined) {
        // RFC 5321 §4.1.4: a bad MAIL argument leaves the state unchanged.
        this.replyResponse(bad, 'Invalid parameter');
        return;
      }
    }
    if (isNonAscii(address) && !txn.smtputf8) {
      // RFC 6531 §3.5: non-ASCII address without SMTPUTF8 → 553 5.6.7.
      this.reply(553, '5.6.7', 'Non-ASCII address requires SMTPUTF8');
      return;
    }
    const r = this.callHook(() => this.hooks.onMailFrom?.(address, params, this));
    this.after(r, (res) => {
      if (res !== undefined && res.code >= 400) {
        this.replyResponse(res, 'Sender rejected');
        return;
      }
      this.txn = txn;
      this.setState('EnvelopeCreated');
      this.reply(res?.code ?? 250, res?.enhanced ?? '2.1.0', lineList(res?.message, 'Sender OK'));
    });
  }

  /** Validates one MAIL parameter; returns the error response or undefined. */
  private mailParam(txn: Txn, key: string, v: string | true): SmtpResponse | undefined {
    if (!this.esmtp) return reject(555, '5.5.4', `${key} parameter not allowed after HELO`);
    switch (key) {
      case 'SIZE': {
        // RFC 1870 §6: size-value ::= 1*20DIGIT
        if (v === true || !/^[0-9]{1,20}$/.test(v)) return reject(501, '5.5.4', 'Bad SIZE syntax');
        const n = Number(v);
        // RFC 1870 §6.2: declared size above the fixed limit → 552.
        if (this.maxSize > 0 && n > this.maxSize) return reject(552, '5.3.4', 'Message size exceeds fixed maximum message size');
        txn.declaredSize = n;
        return undefined;
      }
      case 'BODY': {
        if (v === true) return reject(501, '5.5.4', 'Bad BODY syntax');
        const b = v.toUpperCase();
        if (b === '7BIT') txn.body = '7BIT';
        else if (b === '8BITMIME' && this.ext.eightBitMime) txn.body = '8BITMIME';
        else if (b === 'BINARYMIME' && this.ext.binaryMime) txn.body = 'BINARYMIME';
        else return reject(555, '5.5.4', `Unsupported BODY type ${v}`);
        return undefined;
      }
      case 'SMTPUTF8':
        if (!this.ext.smtputf8) return reject(555, '5.5.4', 'SMTPUTF8 not supported');
        // RFC 6531 §3.4: SMTPUTF8 takes no value.
        if (v !== true) return reject(501, '5.5.4', 'SMTPUTF8 takes no value');
        txn.smtputf8 = true;
        return undefined;
      case 'RET':
        if (!this.ext.dsn) break;
        if (v === true) return reject(501, '5.5.4', 'Bad RET syntax');
        if (v.toUpperCase() === 'FULL') txn.ret = 'FULL';
        else if (v.toUpperCase() === 'HDRS') txn.ret = 'HDRS';
        else return reject(501, '5.5.4', 'Bad RET value');
        return undefined;
      case 'ENVID':
        if (!this.ext.dsn) break;
        // RFC 3461 §4.4: xtext, at most 100 characters.
        if (v === true || v.length > 100 || !XTEXT_RE.test(v)) return reject(501, '5.5.4', 'Bad ENVID syntax');
        txn.envid = v;
        return undefined;
    }
    // RFC 5321 §4.1.1.11: unrecognised parameter → 555.
    return reject(555, '5.5.4', `Unsupported parameter ${key}`);
  }

  private onRcpt(address: string, params: EsmtpParams): void {
    const txn = this.txn;
    if (txn === undefined || (this._state !== 'EnvelopeCreated' && this._state !== 'SettingRecipients')) {
      this.reply(503, '5.5.1', 'Error: need MAIL command');
      return;
    }
    for (const key of Object.keys(params)) {
      const v = params[key]!;
      let bad: SmtpResponse | undefined;
      if (!this.esmtp) bad = reject(555, '5.5.4', `${key} parameter not allowed after HELO`);
      else if (key === 'NOTIFY' && this.ext.dsn) {
        // RFC 3461 §4.1: NEVER, or a comma list of SUCCESS, FAILURE, DELAY.
        const ok = v !== true && (/^NEVER$/i.test(v) || v.split(',').every((x) => /^(SUCCESS|FAILURE|DELAY)$/i.test(x)));
        if (!ok) bad = reject(501, '5.5.4', 'Bad NOTIFY syntax');
      } else if (key === 'ORCPT' && this.ext.dsn) {
        // RFC 3461 §4.2: addr-type ";" xtext
        if (v === true || !/^[A-Za-z0-9-]+;/.test(v) || !XTEXT_RE.test(v.slice(v.indexOf(';') + 1))) bad = reject(501, '5.5.4', 'Bad ORCPT syntax');
      } else bad = reject(555, '5.5.4', `Unsupported parameter ${key}`);
      if (bad !== undefined) {
        txn.rcptAttempts++;
        this.replyResponse(bad, 'Invalid parameter');
        return;
      }
    }
    if (isNonAscii(address) && !txn.smtputf8) {
      txn.rcptAttempts++;
      this.reply(553, '5.6.7', 'Non-ASCII address requires SMTPUTF8');
      return;
    }
    if (txn.to.length >= this.maxRecipients) {
      // RFC 5321 §4.5.3.1.10: too many recipients → 452.
      txn.rcptAttempts++;
      this.reply(452, '4.5.3', 'Too many recipients');
      return;
    }
    const r = this.callHook(() => this.hooks.onRcptTo?.(address, params, this));
    this.after(r, (res) => {
      if (this.txn !== txn) return; // transaction vanished meanwhile (cannot happen while blocked)
      txn.rcptAttempts++;
      if (res !== undefined && res.code >= 400) {
        this.replyResponse(res, 'Recipient rejected');
        return;
      }
      txn.to.push({ address, params });
      this.setState('SettingRecipients');
      this.reply(res?.code ?? 250, res?.enhanced ?? '2.1.5', lineList(res?.message, 'Recipient OK'));
    });
  }

  /** Checks whether a body transfer (DATA or first BDAT) may start; replies on error. */
  private bodyPrecheck(verb: 'DATA' | 'BDAT'): boolean {
    const txn = this.txn;
    if (txn === undefined || this._state === 'Begin' || this._state === 'Wait' || this._state === 'MailCompleted') {
      this.reply(503, '5.5.1', 'Error: need MAIL command');
      return false;
    }
    if (txn.to.length === 0) {
      // RFC 5321 §3.3: no valid recipients → 554 (or 503 if none was even tried).
      if (txn.rcptAttempts > 0) this.reply(554, '5.5.1', 'Error: no valid recipients');
      else this.reply(503, '5.5.1', 'Error: need RCPT command');
      return false;
    }
    if (verb === 'DATA') {
      // RFC 3030 §2: DATA after BDAT in the same transaction → 503; BINARYMIME needs BDAT (§3).
      if (txn.bdat) {
        this.reply(503, '5.5.1', 'Error: DATA not allowed after BDAT');
        return false;
      }
      if (txn.body === 'BINARYMIME') {
        this.reply(503, '5.5.1', 'Error: BINARYMIME requires BDAT');
        return false;
      }
    }
    return true;
  }

  private startMessage(transfer: 'DATA' | 'BDAT'): void {
    const txn = this.txn!;
    const env = this.snapshot(txn);
    const msg = new IncomingMessage(env, transfer);
    this.message = msg;
    const hdr = this.o.receivedHeader?.(this, env);
    if (hdr !== undefined) {
      const h = asciiBytes(hdr);
      // wire form of the header: dot-stuffed for DATA (no-op for a formatReceivedHeader line)
      msg.push(transfer === 'DATA' ? concatBytes([...dotStuff(h)]) : h, h, undefined);
    }
    const hook = this.hooks.onData;
    if (hook === undefined) {
      // No consumer: content is dropped as it arrives.
      msg.abandoned = true;
      this.dataHook = undefined;
      return;
    }
    const r = this.callHook(() => hook(msg, this));
    if (r !== null && typeof r === 'object' && 'thrown' in r) {
      this.dataHook = errorResponse(r.thrown);
      msg.abandoned = true;
    } else if (r instanceof Promise) {
      // Do not block: the body must keep flowing into the hook.
      const p = r.then(normalize, (e: unknown) => errorResponse(e));
      this.dataHook = p;
      void p.then(() => {
        const pending = this.message === msg && !msg.complete;
        msg.settle(); // releases what the session still holds for this message
        if (pending) msg.onDrain?.();
      });
    } else {
      this.dataHook = normalize(r);
      msg.abandoned = true;
    }
  }

  private onDataCmd(): void {
    if (this.mode !== 'command' || (this._state === 'WritingMail' && this.txn?.bdat)) {
      this.reply(503, '5.5.1', 'Error: DATA not allowed after BDAT');
      return;
    }
    if (!this.bodyPrecheck('DATA')) return;
    this.reply(354, undefined, 'End data with <CR><LF>.<CR><LF>');
    this.flush();
    this.setState('WritingMail');
    this.scanner = new DataScanner({
      maxSize: this.maxSize > 0 ? this.maxSize : Infinity,
      maxLineLength: this.o.maxTextLineLength ?? 1000,
      bareNewline: this.o.bareNewline ?? 'reject',
    });
    this.mode = 'data';
    this.lines.reset();
    this.startMessage('DATA');
    this.armTimer();
  }

  private endData(): void {
    const sc = this.scanner!;
    this.scanner = undefined;
    this.mode = 'command';
    const err = sc.error ?? (this.nulFound ? nulError() : undefined);
    this.nulFound = false;
    this.finishMessage(err, sc.size);
  }

  /** Completes a message (DATA end or BDAT LAST): waits for the hook, then replies once. */
  private finishMessage(err: SmtpDataError | undefined, size: number): void {
    const msg = this.message;
    const hookP = this.dataHook;
    this.message = undefined;
    this.dataHook = undefined;
    if (msg !== undefined) {
      if (err !== undefined) msg.fail(err);
      else msg.end();
    }
    const done = (res: SmtpResponse | undefined): void => {
      this.txn = undefined;
      this.setState('MailCompleted');
      if (err !== undefined) {
        this.reply(...dataErrorReply(err));
        return;
      }
      if (res !== undefined && res.code >= 400) {
        this.replyResponse(res, 'Message rejected');
        return;
      }
      this.messagesAccepted++;
      this.reply(res?.code ?? 250, res?.enhanced ?? '2.6.0', lineList(res?.message, `OK: message accepted (${size} octets)`));
    };
    if (hookP instanceof Promise) this.after(hookP, done);
    else done(normalize(hookP));
  }

  private onBdat(size: number, last: boolean): void {
    this.bdatRemaining = size;
    this.bdatLast = last;
    if (!this.ext.chunking || !this.esmtp) {
      this.reply(502, '5.5.1', 'BDAT not available');
      return this.discardChunk();
    }
    const txn = this.txn;
    if (this._state !== 'WritingMail' || txn === undefined || !txn.bdat) {
      // first chunk of a transaction
      if (this._state === 'WritingMail' && txn !== undefined && !txn.bdat) {
        this.reply(503, '5.5.1', 'Bad sequence of commands');
        return this.discardChunk();
      }
      if (!this.bodyPrecheck('BDAT')) {
        // RFC 3030 §4.2: discard chunks of a failed/absent transaction.
        return this.discardChunk();
      }
      this.txn!.bdat = true;
      this.setState('WritingMail');
      this.bdatSize = 0;
      this.startMessage('BDAT');
    }
    this.bdatSize += size;
    if (this.maxSize > 0 && this.bdatSize > this.maxSize) {
      // RFC 1870 + RFC 3030: size enforced on actual octets → 552; transaction fails.
      this.bdatFailed = reject(552, '5.3.4', 'Message size exceeds fixed maximum message size');
      this.abortMessage(new SmtpDataError('ERR_SMTP_SIZE', 'Message size exceeds fixed maximum message size'));
      return this.discardChunk();
    }
    this.mode = 'bdat';
    this.lines.reset();
    if (size === 0) this.endBdatChunk();
    else this.armTimer();
  }
  private bdatSize = 0;

  private discardChunk(): void {
    this.mode = 'discard';
    this.lines.reset();
    if (this.bdatRemaining === 0) this.endBdatChunk();
  }

  private endBdatChunk(): void {
    const wasDiscard = this.mode === 'discard';
    this.mode = 'command';
    this.armTimer();
    if (wasDiscard) {
      const f = this.bdatFailed;
      if (f !== undefined) {
        // The failing BDAT gets the failure reply; the transaction is over.
        this.bdatFailed = undefined;
        this.replyResponse(f, 'Transaction failed');
        this.txn = undefined;
        this.setState(this.clientName !== undefined ? 'Wait' : 'Begin');
      }
      return;
    }
    if (!this.bdatLast) {
      this.reply(250, '2.0.0', `${this.bdatSize} octets received`);
      return;
    }
    this.finishMessage(undefined, this.bdatSize);
  }

  private onStartTls(): void {
    const up = this.t.startTls;
    if (up === undefined || !this.esmtp) {
      this.reply(502, '5.5.1', 'STARTTLS not available');
      return;
    }
    if (this.secure) {
      this.reply(503, '5.5.1', 'Already in TLS');
      return;
    }
    if (this.inTransaction()) {
      this.reply(503, '5.5.1', 'Bad sequence of commands');
      return;
    }
    this.reply(220, '2.0.0', 'Ready to start TLS');
    this.flush();
    // RFC 3207 §5 / CVE-2011-0411: discard anything pipelined after STARTTLS.
    this.dropInput = true;
    this.lines.reset();
    const r = this.callHook(() => up.call(this.t) as HookReturn);
    this.after(r, (res) => {
      if (res !== undefined && res.code >= 400) {
        this.destroy(new SmtpError('ERR_SMTP_ABORTED', 'TLS upgrade failed'));
        this.t.close();
        return;
      }
      // RFC 3207 §4.2: forget everything learned before TLS.
      this.secure = true;
      this.resetTransaction('HELO');
      this.clientName = undefined;
      this.esmtp = false;
      this.setState('Begin');
    });
  }

  private resetTransaction(why: 'RSET' | 'HELO'): void {
    if (this.message !== undefined) this.abortMessage(new SmtpError('ERR_SMTP_ABORTED', `transaction aborted by ${why}`));
    this.txn = undefined;
    this.scanner = undefined;
    this.bdatFailed = undefined;
    this.bdatSize = 0;
    this.nulFound = false;
    if (this._state !== 'Begin' && this._state !== 'Closed') this.setState('Wait');
  }

  private snapshot(t: Txn): Envelope {
    return {
      from: t.from,
      fromParams: t.fromParams,
      to: t.to.slice(),
      body: t.body,
      smtputf8: t.smtputf8,
      declaredSize: t.declaredSize,
      ret: t.ret,
      envid: t.envid,
    };
  }
}

const EMPTY = new Uint8Array(0);
/** Reply octets batched before a write inside one pipelined burst. */
const REPLY_BATCH = 16 * 1024;
/** Pull mode: output octets not taken above which input is no longer consumed. */
const PULL_OUTPUT_HWM = 64 * 1024;

/**
 * Reply texts repeat (`250 2.1.5 Recipient OK\r\n` …): their encodings are
 * cached (bounded) so the hot path does not run a TextEncoder per reply.
 * Cached arrays are shared: transports must not modify written bytes.
 */
const replyCache = new Map<string, Uint8Array>();
function encodeReplyText(s: string): Uint8Array {
  const hit = replyCache.get(s);
  if (hit !== undefined) return hit;
  const b = asciiBytes(s);
  if (replyCache.size >= 256) replyCache.clear();
  if (s.length <= 512) replyCache.set(s, b);
  return b;
}

function lineList(m: string | readonly string[] | undefined, fallback: string): string[] {
  if (m === undefined) return [fallback];
  if (typeof m === 'string') return m.split(/\r?\n/);
  return m.length === 0 ? [fallback] : m.slice();
}

function normalize(v: HookResult | unknown): SmtpResponse | undefined {
  if (v === undefined || v === null || v === true) return undefined;
  if (typeof v === 'object' && typeof (v as { code?: unknown }).code === 'number') {
    const r = v as SmtpResponse;
    if (Number.isInteger(r.code) && r.code >= 200 && r.code <= 599) return r;
  }
  return undefined;
}

function errorResponse(e: unknown): SmtpResponse {
  if (e !== null && typeof e === 'object') {
    const rc = (e as { responseCode?: unknown }).responseCode;
    if (typeof rc === 'number' && Number.isInteger(rc) && rc >= 400 && rc <= 599) {
      const enh = (e as { enhanced?: unknown }).enhanced;
      const msg = (e as { message?: unknown }).message;
      const out: { code: number; enhanced?: string; message?: string } = { code: rc };
      if (typeof enh === 'string') out.enhanced = enh;
      if (typeof msg === 'string' && msg !== '') out.message = msg;
      return out;
    }
  }
  // RFC 5321 §4.2.3: 451 local error in processing.
  return { code: 451, enhanced: '4.3.0', message: 'Local error in processing' };
}

function nulError(): SmtpDataError {
  return new SmtpDataError('ERR_SMTP_NUL', 'NUL octet in 7bit/8bit message content');
}

function dataErrorReply(err: SmtpDataError): [number, string, string] {
  switch (err.code) {
    case 'ERR_SMTP_SIZE':
      return [552, '5.3.4', 'Message size exceeds fixed maximum message size'];
    case 'ERR_SMTP_TEXT_LINE_TOO_LONG':
      return [500, '5.5.6', 'Line too long'];
    case 'ERR_SMTP_NUL':
      return [554, '5.6.0', 'Message contains NUL octets (RFC 2045 §2.7)'];
    default:
      return [554, '5.6.0', 'Message contains bare CR or LF (RFC 5321 §2.3.8)'];
  }
}
