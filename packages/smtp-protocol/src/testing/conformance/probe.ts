/**
 * A raw `node:net` SMTP probe for the conformance suite: it writes exact
 * octets and parses replies itself, strictly, recording every format
 * violation (RFC 5321 §4.2: `Reply-code [SP text] CRLF`, multi-line
 * `code-text`, same code on every line, ≤ 512 octets per line, CRLF only).
 *
 * It deliberately shares no code with the package's own client, so it can
 * judge any server — ours included — independently. Every wait is bounded:
 * reads resolve to `timeout` or `closed` instead of hanging.
 *
 * This is the I/O adapter of the conformance suite (the only place that
 * touches sockets and timers).
 */
import { Socket } from 'node:net';

/** A parsed reply, with the problems found in its format. */
export interface ProbeReply {
  /** The reply code (NaN when the first line did not start with three digits). */
  readonly code: number;
  /** Each line without its line terminator (latin-1 decoded). */
  readonly lines: readonly string[];
  /** The text of each line after `code` and separator. */
  readonly texts: readonly string[];
  /** RFC 5321 §4.2 format violations in this reply (empty when well formed). */
  readonly issues: readonly string[];
}

/** What a bounded read produced. */
export type ProbeRead =
  | { readonly kind: 'reply'; readonly reply: ProbeReply }
  | { readonly kind: 'closed' }
  | { readonly kind: 'timeout' };

/** Hard cap on buffered, unterminated reply bytes (a broken server cannot exhaust memory). */
const MAX_PENDING_OCTETS = 1 << 20;
/** RFC 5321 §4.5.3.1.5. */
const MAX_REPLY_LINE = 512;
/** Transcript entries kept for failure details. */
const MAX_TRANSCRIPT = 40;

/** Shorten and escape bytes for a human-readable detail line. */
export function show(s: string, max = 80): string {
  const esc = s.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\0/g, '\\0');
  return esc.length > max ? `${esc.slice(0, max)}…(${s.length} octets)` : esc;
}

/** Summarize a reply as `"250 text|250 text"` for details. */
export function showReply(r: ProbeReply, max = 100): string {
  return show(r.lines.join(' | '), max);
}

/**
 * One raw SMTP connection. Replies are parsed as they arrive and queued;
 * {@link read} takes the next one, waiting at most the given time.
 */
export class ProbeConnection {
  /** All replies seen on this connection, in order (for aggregate checks). */
  readonly seen: ProbeReply[] = [];
  /** Short transcript (`C: …` / `S: …`) for failure details. */
  readonly transcript: string[] = [];
  private readonly queue: ProbeReply[] = [];
  private pending: Buffer = Buffer.alloc(0);
  private lines: string[] = [];
  private lineIssues: string[] = [];
  private isClosed = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => this.onClose());
    socket.on('close', () => this.onClose());
    socket.on('end', () => {
      // The peer finished sending; keep our half open only until we close.
      this.onClose();
    });
  }

  /** Open a connection, failing after `timeoutMs`. */
  static connect(host: string, port: number, timeoutMs: number): Promise<ProbeConnection> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      });
      socket.connect(port, host, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new ProbeConnection(socket));
      });
    });
  }

  /** True once the peer closed (or the socket failed). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Number of parsed replies not yet taken by {@link read}. */
  get queued(): number {
    return this.queue.length;
  }

  /** Write raw octets (a string is written as latin-1 unless it has chars > 0xff, then UTF-8). */
  write(data: string | Uint8Array): void {
    const buf = typeof data === 'string' ? (/[^\x00-\xff]/.test(data) ? Buffer.from(data, 'utf8') : Buffer.from(data, 'latin1')) : data;
    this.note(`C: ${show(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1'))}`);
    if (this.isClosed || this.socket.destroyed) return;
    try {
      this.socket.write(buf);
    } catch {
      this.onClose();
    }
  }

  /** Take the next reply, waiting at most `timeoutMs`. */
  async read(timeoutMs: number): Promise<ProbeRead> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = this.queue.shift();
      if (r !== undefined) return { kind: 'reply', reply: r };
      if (this.isClosed) return { kind: 'closed' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  /**
   * Wait `ms` and return every reply that arrived (or was still queued) —
   * used to prove that nothing more was sent.
   */
  async quiet(ms: number): Promise<ProbeReply[]> {
    const out: ProbeReply[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      const r = await this.read(Math.max(0, left));
      if (r.kind !== 'reply') break;
      out.push(r.reply);
      if (left <= 0) break;
    }
    return out;
  }

  /** Wait until the peer closes; true if it did within `ms`. */
  async waitClosed(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.isClosed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.read(left);
      // Replies that arrive while waiting stay visible in `seen`.
    }
    return true;
  }

  /** Close our side and release the socket. Idempotent. */
  destroy(): void {
    this.socket.destroy();
    this.onClose();
  }

  /** The last transcript lines, for a failure detail. */
  tail(n = 6): string {
    return this.transcript.slice(-n).join(' / ');
  }

  private note(s: string): void {
    this.transcript.push(s);
    if (this.transcript.length > MAX_TRANSCRIPT) this.transcript.shift();
  }

  private onClose(): void {
    if (!this.isClosed) {
      this.isClosed = true;
      if (!this.socket.destroyed) this.socket.destroy();
    }
    this.wake?.();
  }

  private onData(d: Buffer): void {
    this.pending = this.pending.length === 0 ? d : Buffer.concat([this.pending, d]);
    for (;;) {
      const lf = this.pending.indexOf(0x0a);
      if (lf < 0) break;
      const hasCr = lf > 0 && this.pending[lf - 1] === 0x0d;
      const line = this.pending.subarray(0, hasCr ? lf - 1 : lf).toString('latin1');
      this.pending = this.pending.subarray(lf + 1);
      this.onLine(line, hasCr, lf + 1);
    }
    if (this.pending.length > MAX_PENDING_OCTETS) {
      const line = this.pending.toString('latin1', 0, 200);
      this.pending = Buffer.alloc(0);
      this.lineIssues.push(`unterminated reply line longer than ${MAX_PENDING_OCTETS} octets`);
      this.onLine(line, false, MAX_PENDING_OCTETS);
    }
    this.wake?.();
  }

  private onLine(line: string, crlf: boolean, octets: number): void {
    this.note(`S: ${show(line)}`);
    if (!crlf) this.lineIssues.push(`line "${show(line, 40)}" ends with a bare LF, not CRLF (§2.3.8)`);
    if (octets > MAX_REPLY_LINE) this.lineIssues.push(`line of ${octets} octets exceeds 512 (§4.5.3.1.5)`);
    const m = /^(\d{3})(.?)/.exec(line);
    let last = true;
    if (m === null) {
      this.lineIssues.push(`line "${show(line, 40)}" does not start with a 3-digit code`);
    } else {
      const code = m[1] ?? '';
      if (!/^[2-5][0-5][0-9]$/.test(code)) this.lineIssues.push(`code ${code} outside %x32-35 %x30-35 %x30-39 (§4.2)`);
      const sep = m[2] ?? '';
      if (sep === '-') last = false;
      else if (sep !== ' ' && sep !== '') this.lineIssues.push(`line "${show(line, 40)}": code followed by "${show(sep)}", not SP or "-"`);
      const first = this.lines[0];
      if (first !== undefined && first.slice(0, 3) !== code) {
        this.lineIssues.push(`multi-line reply changes code from ${first.slice(0, 3)} to ${code} (§4.2.1)`);
      }
    }
    this.lines.push(line);
    if (!last) {
      if (this.lines.length > 1000) {
        this.lineIssues.push('multi-line reply longer than 1000 lines');
      } else {
        return;
      }
    }
    const lines = this.lines;
    const head = lines[0] ?? '';
    const reply: ProbeReply = {
      code: /^\d{3}/.test(head) ? Number(head.slice(0, 3)) : Number.NaN,
      lines,
      texts: lines.map((l) => l.slice(4)),
      issues: this.lineIssues,
    };
    this.lines = [];
    this.lineIssues = [];
    this.queue.push(reply);
    this.seen.push(reply);
  }
}
