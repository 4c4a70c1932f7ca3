/**
 * `SkbConn`: one SMTP connection on a raw `@netlayers/tcp` socket — the
 * relay's transport on our own stack. It reads either whole skbs
 * (`recvSkbs`, zero-copy: the session gets views of the skbs' payload with an
 * owner that holds the skb) or bytes (`tcpRecvmsg` into fresh buffers: the copy
 * a user-mode relay pays), and writes command/reply bytes (`tcpSendmsg`) and
 * skbs (`sendSkbs`) through one ordered output queue, so a body handed over as
 * skbs goes out exactly after the command that precedes it.
 *
 * Bounds: input is read in batches of at most `readBatch` octets per wake-up;
 * the output queue reports back-pressure (`write()` → false) above
 * `highWaterMark` octets.
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';
import type { BufferOwner, SessionTransport } from '@netlayers/smtp-protocol';
import {
  inetConnect,
  parseIpv4,
  recvSkbs,
  sendSkbs,
  tcpAbort,
  tcpClose,
  tcpRecvmsg,
  tcpSendmsg,
  tcpShutdown,
  TcpError,
  TcpState,
  type TcpSock,
  type TcpStack,
} from '@netlayers/tcp';
import { SkbOwner } from './skb-owner.js';

/** Options of {@link SkbConn}. */
export interface SkbConnOptions {
  /** Read whole skbs (zero-copy) instead of copying into buffers. */
  zeroCopy: boolean;
  /** Octets read per wake-up at most (default 256 KiB). */
  readBatch?: number;
  /** Output octets queued above which `write()` returns false (default 256 KiB). */
  highWaterMark?: number;
  /** Counts octets this connection copies between its buffers and skbs (`tcpSendmsg`, `tcpRecvmsg`). */
  meter?: { socketBytesCopied: number };
}

type OutItem = { bytes: Uint8Array; off: number } | { skbs: SkBuff[] };

/** Handlers of input events. */
export interface SkbConnHandlers {
  /** Input: views (and, in zero-copy mode, the owner holding their memory). */
  data(views: Uint8Array[], owner: BufferOwner | undefined): void;
  /** The peer sent FIN. */
  end(): void;
  /** The connection is gone (after close, reset or error). */
  close(err: TcpError | undefined): void;
}

/** A connection on a `TcpSock`; implements the SMTP sessions' transport. */
export class SkbConn implements SessionTransport {
  readonly sk: TcpSock;
  private readonly zeroCopy: boolean;
  private readonly readBatch: number;
  private readonly hwm: number;
  private readonly meter: { socketBytesCopied: number } | undefined;
  private handlers: SkbConnHandlers | null = null;
  private readonly out: OutItem[] = [];
  private queued = 0;
  private paused = false;
  private readScheduled = false;
  private eof = false;
  private closing = false;
  private closed = false;
  private writeWaiters: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];
  private connectWaiter: { resolve(): void; reject(e: Error): void } | null = null;
  /** Octets received / sent (payload). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(sk: TcpSock, opts: SkbConnOptions) {
    this.sk = sk;
    this.zeroCopy = opts.zeroCopy;
    this.readBatch = opts.readBatch ?? 256 * 1024;
    this.hwm = opts.highWaterMark ?? 256 * 1024;
    this.meter = opts.meter;
    sk.userData = this;
    sk.onDataReady = () => this.scheduleRead();
    sk.onWriteSpace = () => this.flush();
    sk.onStateChange = () => this.stateChanged();
    sk.onError = (s) => {
      const code = s.err ?? s.softErr ?? 'ECONNRESET';
      s.err = undefined;
      this.fail(new TcpError(code, `connection error ${code}`, 'read'));
    };
  }

  /**
   * Opens a connection to `host:port` on `stack`.
   * @throws TcpError ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH…
   */
  static connect(stack: TcpStack, host: string, port: number, opts: SkbConnOptions): Promise<SkbConn> {
    const sk = stack.newSock();
    sk.nodelay = true;
    const c = new SkbConn(sk, opts);
    return new Promise<SkbConn>((resolve, reject) => {
      c.connectWaiter = { resolve: () => resolve(c), reject };
      try {
        inetConnect(sk, parseIpv4(host), port);
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EINPROGRESS')) {
          c.connectWaiter = null;
          tcpAbort(sk);
          reject(e);
        }
      }
    });
  }

  /** Starts delivering input to `h`. */
  start(h: SkbConnHandlers): void {
    this.handlers = h;
    this.scheduleRead();
  }

  get remoteAddress(): string {
    const a = this.sk.raddr >>> 0;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }

  get remotePort(): number {
    return this.sk.rport;
  }

  /** Output octets queued here and not yet accepted by TCP. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Whether the connection is closed or closing. */
  get isClosed(): boolean {
    return this.closed || this.closing;
  }

  // ------------------------------------------------------------ output

  /** Queues bytes (copied into skbs by `tcpSendmsg` when they leave). */
  write(data: Uint8Array): boolean {
    if (this.closed || this.closing) return false;
    if (data.length === 0) return true;
    this.out.push({ bytes: data, off: 0 });
    this.queued += data.length;
    // anything queued before means TCP is write-blocked: its write-space callback flushes
    if (this.out.length === 1) this.flush();
    return this.queued <= this.hwm;
  }

  /** Queues skbs for `sendSkbs` (takes ownership; freed if the connection dies). */
  writeSkbs(skbs: SkBuff[]): boolean {
    if (this.closed || this.closing) {
      for (const s of skbs) s.free();
      return false;
    }
    let n = 0;
    for (const s of skbs) n += s.len;
    this.out.push({ skbs: skbs.slice() });
    this.queued += n;
    if (this.out.length === 1) this.flush();
    return this.queued <= this.hwm;
  }

  whenWritable(): Promise<void> {
    if (this.queued <= this.hwm || this.closed) return Promise.resolve();
    return new Promise((r) => this.writeWaiters.push(r));
  }

  /** Resolves once everything queued was handed to TCP (or the connection died). */
  drained(): Promise<void> {
    if (this.out.length === 0 || this.closed) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  private flush(): void {
    const sk = this.sk;
    if (this.closed) return;
    const st = sk.state;
    if (st !== TcpState.ESTABLISHED && st !== TcpState.CLOSE_WAIT) return;
    while (this.out.length > 0) {
      const item = this.out[0]!;
      try {
        if ('bytes' in item) {
          const rest = item.bytes.length - item.off;
          const n = tcpSendmsg(sk, item.off === 0 ? item.bytes : item.bytes.subarray(item.off));
          this.queued -= n;
          this.bytesOut += n;
          if (this.meter !== undefined) this.meter.socketBytesCopied += n;
          item.off += n;
          if (n < rest) break;
        } else {
          // lengths before the call: TCP may split or send (and free) what it accepted
          const lens = item.skbs.map((x) => x.len);
          const n = sendSkbs(sk, item.skbs);
          for (let i = 0; i < n; i++) {
            this.queued -= lens[i]!;
            this.bytesOut += lens[i]!;
          }
          item.skbs.splice(0, n);
          if (item.skbs.length > 0) break;
        }
      } catch (e) {
        if (e instanceof TcpError && e.code === 'EAGAIN') break;
        this.fail(e instanceof TcpError ? e : new TcpError('ECONNABORTED', String(e), 'send'));
        return;
      }
      this.out.shift();
    }
    if (this.queued <= this.hwm && this.writeWaiters.length > 0) for (const w of this.writeWaiters.splice(0)) w();
    if (this.out.length === 0) {
      if (this.drainWaiters.length > 0) for (const w of this.drainWaiters.splice(0)) w();
      if (this.closing) this.finishClose();
    }
  }

  // ------------------------------------------------------------ input

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.scheduleRead();
  }

  private scheduleRead(): void {
    if (this.readScheduled) return;
    this.readScheduled = true;
    queueMicrotask(() => {
      this.readScheduled = false;
      this.read();
    });
  }

  private read(): void {
    const h = this.handlers;
    if (h === null || this.closed || this.eof) return;
    let got = 0;
    while (!this.paused && got < this.readBatch && this.handlers !== null && !this.closed) {
      if (this.zeroCopy) {
        let skbs: SkBuff[];
        try {
          skbs = recvSkbs(this.sk, this.readBatch - got);
        } catch (e) {
          if (this.readError(e)) return;
          break;
        }
        if (skbs.length === 0) return this.gotEof();
        for (let i = 0; i < skbs.length; i++) {
          const skb = skbs[i]!;
          got += skb.len;
          this.bytesIn += skb.len;
          if (this.closed) {
            skb.free();
            continue;
          }
          const owner = new SkbOwner(skb); // takes over our reference
          h.data(owner.views, owner);
          owner.release();
        }
      } else {
        const avail = Math.max(this.sk.readable(), 1);
        const buf = new Uint8Array(Math.min(avail, 65536));
        let n: number;
        try {
          n = tcpRecvmsg(this.sk, buf);
        } catch (e) {
          if (this.readError(e)) return;
          break;
        }
        if (n === 0) return this.gotEof();
        got += n;
        this.bytesIn += n;
        if (this.meter !== undefined) this.meter.socketBytesCopied += n;
        h.data([n === buf.length ? buf : buf.subarray(0, n)], undefined);
      }
    }
    if (got >= this.readBatch && !this.paused) this.scheduleRead();
  }

  /** @returns true when the connection failed */
  private readError(e: unknown): boolean {
    if (e instanceof TcpError && (e.code === 'EAGAIN' || e.code === 'ENOTCONN')) return false;
    this.fail(e instanceof TcpError ? e : new TcpError('ECONNABORTED', String(e), 'read'));
    return true;
  }

  private gotEof(): void {
    if (this.eof) return;
    this.eof = true;
    this.handlers?.end();
  }

  private stateChanged(): void {
    const st = this.sk.state;
    if (this.connectWaiter !== null && st !== TcpState.SYN_SENT && st !== TcpState.SYN_RECV) {
      const w = this.connectWaiter;
      this.connectWaiter = null;
      if (st === TcpState.ESTABLISHED || st === TcpState.CLOSE_WAIT) w.resolve();
      else {
        const code = this.sk.err ?? 'ECONNREFUSED';
        w.reject(new TcpError(code, `connect failed: ${code}`, 'connect'));
        this.markClosed(undefined);
        return;
      }
    }
    this.flush();
    this.scheduleRead();
    if (st === TcpState.CLOSE) this.markClosed(undefined);
  }

  // ------------------------------------------------------------ closing

  /** Graceful close: flush the output queue, send FIN, release the socket. */
  close(): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    if (this.out.length === 0) this.finishClose();
  }

  /** Graceful close that resolves when the output was handed to TCP. */
  end(): Promise<void> {
    const p = this.drained();
    this.close();
    return p;
  }

  private finishClose(): void {
    if (this.closed) return;
    try {
      tcpShutdown(this.sk, 1);
    } catch {
      // already shut
    }
    tcpClose(this.sk);
    this.markClosed(undefined);
  }

  /**
   * Hands the socket over (STARTTLS): resolves once everything queued was given to
   * TCP, then stops using the socket without closing it — no more reads, writes or
   * close events from this connection; the caller attaches its own stream.
   * @throws TcpError ENOTCONN if the connection closed meanwhile
   */
  async detach(): Promise<TcpSock> {
    this.paused = true;
    await this.drained();
    if (this.closed || this.closing) throw new TcpError('ENOTCONN', 'connection closed before the TLS upgrade', 'detach');
    this.closed = true;
    this.handlers = null;
    const sk = this.sk;
    sk.onDataReady = null;
    sk.onWriteSpace = null;
    sk.onStateChange = null;
    sk.onError = null;
    return sk;
  }

  /** Aborts (RST) and frees everything queued. */
  destroy(err?: TcpError): void {
    if (this.closed) return;
    tcpAbort(this.sk);
    this.markClosed(err);
  }

  private fail(err: TcpError): void {
    if (this.connectWaiter !== null) {
      const w = this.connectWaiter;
      this.connectWaiter = null;
      w.reject(err);
    }
    this.destroy(err);
  }

  private markClosed(err: TcpError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = false;
    for (const item of this.out.splice(0)) if ('skbs' in item) for (const s of item.skbs) s.free();
    this.queued = 0;
    for (const w of this.writeWaiters.splice(0)) w();
    for (const w of this.drainWaiters.splice(0)) w();
    const sk = this.sk;
    sk.onDataReady = null;
    sk.onWriteSpace = null;
    sk.onStateChange = null;
    sk.onError = null;
    const h = this.handlers;
    this.handlers = null;
    h?.close(err);
  }
}
