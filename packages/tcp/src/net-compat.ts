/**
 * A `node:net`-compatible layer over a {@link TcpStack}: {@link TcpSocket} is a
 * `stream.Duplex` with net.Socket's surface (`connect`, `data`/`end`/`close`/
 * `error`/`connect`/`ready`/`timeout` events, backpressure through `write()`'s
 * return value, `setNoDelay`, `setKeepAlive`, `setTimeout`, `address()`,
 * `remoteAddress`/`remotePort`/`localAddress`/`localPort`, `bytesRead`/
 * `bytesWritten`, `destroySoon`, `ref`/`unref`), and {@link TcpServer} mirrors
 * net.Server. So existing Node code runs on our stack — including Node's `http`
 * client (`createConnection`) and `http.Server` (`server.emit('connection', s)`).
 *
 * Protocol callbacks never call user code synchronously: socket events are
 * deferred to a microtask, which is the "reader's context" in which the
 * prequeue is processed and data is copied out (`tcp_recvmsg`).
 *
 * @module
 */

import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import type { TimerHandle } from './clock.js';
import { TcpError } from './errors.js';
import { tcpPrequeueProcess } from './input.js';
import type { TcpSock } from './sock.js';
import { inetAccept, inetBind, inetConnect, inetListen, tcpAbort, tcpClose, tcpRecvmsg, tcpSendmsg, tcpShutdown } from './socket.js';
import type { TcpStack } from './stack.js';
import { TcpState } from './state.js';

/** Parses a dotted-quad IPv4 address (also `localhost`); throws EINVAL otherwise. */
export function parseIpv4(host: string): number {
  if (host === 'localhost') return 0x7f000001;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (m === null) throw new TcpError('EINVAL', `not an IPv4 address: ${host}`, 'connect');
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const n = Number(m[i]);
    if (n > 255) throw new TcpError('EINVAL', `not an IPv4 address: ${host}`, 'connect');
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Formats an IPv4 address as dotted quad. */
export function formatIpv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** A Node-style system error (`code`, `errno` name, `syscall`). */
export function errnoException(code: string, syscall: string, extra?: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${syscall} ${code}${extra !== undefined ? ` ${extra}` : ''}`);
  e.code = code;
  e.syscall = syscall;
  return e;
}

/** Options of {@link TcpSocket.connect} (subset of `net.TcpSocketConnectOpts`). */
export interface TcpConnectOptions {
  port: number;
  host?: string;
  localAddress?: string;
  localPort?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  timeout?: number;
}

/** Options of a {@link TcpSocket}. */
export interface TcpSocketOptions {
  allowHalfOpen?: boolean;
  /** Largest chunk copied out per read (default 64 KiB). */
  readChunk?: number;
  highWaterMark?: number;
}

/** A `net.Socket` look-alike on our TCP. */
export class TcpSocket extends Duplex {
  readonly stack: TcpStack;
  /** The TCP control block (null until connect). */
  sk: TcpSock | null = null;
  connecting = false;
  bytesRead = 0;
  private written = 0;
  private pendingChunk: Uint8Array | null = null;
  private pendingOff = 0;
  private pendingCb: ((err?: Error | null) => void) | null = null;
  private readScheduled = false;
  private writeScheduled = false;
  private wantRead = false;
  private eofPushed = false;
  private readonly readChunk: number;
  private idleMs = 0;
  private idleTimer: TimerHandle | null = null;
  private finalCb: ((err?: Error | null) => void) | null = null;

  constructor(stack: TcpStack, opts: TcpSocketOptions = {}, sk?: TcpSock) {
    super({ allowHalfOpen: opts.allowHalfOpen ?? false, ...(opts.highWaterMark !== undefined ? { highWaterMark: opts.highWaterMark } : {}) });
    this.stack = stack;
    this.readChunk = opts.readChunk ?? 65536;
    if (sk !== undefined) this.attach(sk);
  }

  private attach(sk: TcpSock): void {
    this.sk = sk;
    sk.userData = this;
    sk.onDataReady = () => this.scheduleRead();
    sk.onWriteSpace = () => this.scheduleWrite();
    sk.onStateChange = () => {
      this.scheduleRead();
      this.scheduleWrite();
    };
    sk.onError = (s) => {
      const code = s.err ?? s.softErr ?? 'ECONNRESET';
      s.err = undefined;
      queueMicrotask(() => {
        if (!this.destroyed) this.destroy(errnoException(code, this.connecting ? 'connect' : 'read'));
      });
    };
  }

  /** `net.Socket#connect(port[, host][, cb])` / `connect(options[, cb])`. */
  connect(portOrOpts: number | TcpConnectOptions, hostOrCb?: string | (() => void), cb?: () => void): this {
    const o: TcpConnectOptions = typeof portOrOpts === 'number' ? { port: portOrOpts, ...(typeof hostOrCb === 'string' ? { host: hostOrCb } : {}) } : portOrOpts;
    const done = typeof hostOrCb === 'function' ? hostOrCb : cb;
    if (done !== undefined) this.once('connect', done);
    const sk = this.stack.newSock();
    this.attach(sk);
    if (o.noDelay === true) sk.nodelay = true;
    if (o.keepAlive === true) {
      sk.keepalive = true;
      if (o.keepAliveInitialDelay !== undefined && o.keepAliveInitialDelay > 0) sk.keepIdleMs = o.keepAliveInitialDelay;
    }
    if (o.timeout !== undefined) this.setTimeout(o.timeout);
    this.connecting = true;
    try {
      if (o.localAddress !== undefined || o.localPort !== undefined) inetBind(sk, o.localAddress !== undefined ? parseIpv4(o.localAddress) : 0, o.localPort ?? 0);
      inetConnect(sk, parseIpv4(o.host ?? 'localhost'), o.port);
    } catch (e) {
      const code = e instanceof TcpError ? e.code : 'EINVAL';
      queueMicrotask(() => this.destroy(errnoException(code, 'connect', `${o.host ?? 'localhost'}:${o.port}`)));
    }
    return this;
  }

  private scheduleRead(): void {
    if (this.readScheduled) return;
    this.readScheduled = true;
    queueMicrotask(this.runRead);
  }

  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    queueMicrotask(this.runWrite);
  }

  private readonly runWrite = (): void => {
    this.writeScheduled = false;
    const sk = this.sk;
    if (sk === null) return;
    if (this.connecting && sk.state !== TcpState.SYN_SENT && sk.state !== TcpState.SYN_RECV) {
      this.connecting = false;
      if (sk.state === TcpState.ESTABLISHED || sk.state === TcpState.CLOSE_WAIT) {
        this.touch();
        this.emit('connect');
        this.emit('ready');
      }
    }
    this.flushWrites();
    if (this.finalCb !== null && this.pendingChunk === null && !this.connecting) {
      const cb = this.finalCb;
      this.finalCb = null;
      this.doFinal(cb);
    }
  };

  private readonly runRead = (): void => {
    this.readScheduled = false;
    const sk = this.sk;
    if (sk === null || this.destroyed) return;
    if (this.connecting) this.runWrite();
    if (!this.wantRead || this.eofPushed) {
      sk.readerWaiting = false;
      return;
    }
    for (;;) {
      let avail = sk.readable();
      if (avail === 0 && sk.prequeue.qlen > 0) {
        // readable() counts only processed data: run the prequeue (in this, the
        // reader's, context) so the read is sized by what actually arrived
        sk.stack.lockSock(sk);
        tcpPrequeueProcess(sk);
        sk.stack.releaseSock(sk);
        avail = sk.readable();
      }
      // nothing readable: the call below only reports EAGAIN or EOF
      const n = avail === 0 ? 1 : Math.min(avail, this.readChunk);
      const buf = Buffer.allocUnsafe(n);
      let got: number;
      try {
        got = tcpRecvmsg(sk, buf);
      } catch (e) {
        if (e instanceof TcpError && e.code === 'EAGAIN') {
          sk.readerWaiting = true; // install as the waiting reader: data goes to the prequeue
          return;
        }
        if (e instanceof TcpError && e.code === 'ENOTCONN') {
          sk.readerWaiting = true;
          return;
        }
        const code = e instanceof TcpError ? e.code : 'EIO';
        this.destroy(errnoException(code, 'read'));
        return;
      }
      if (got === 0) {
        sk.readerWaiting = false;
        this.eofPushed = true;
        this.push(null);
        return;
      }
      this.bytesRead += got;
      this.touch();
      const more = this.push(got === n ? buf : buf.subarray(0, got));
      if (!more) {
        this.wantRead = false;
        sk.readerWaiting = false;
        return;
      }
    }
  };

  override _read(): void {
    this.wantRead = true;
    this.scheduleRead();
  }

  private flushWrites(): void {
    const sk = this.sk;
    while (this.pendingChunk !== null && sk !== null) {
      const chunk = this.pendingChunk;
      let n: number;
      try {
        n = tcpSendmsg(sk, this.pendingOff === 0 ? chunk : chunk.subarray(this.pendingOff));
      } catch (e) {
        if (e instanceof TcpError && e.code === 'EAGAIN') return;
        const cb = this.pendingCb!;
        this.pendingChunk = null;
        this.pendingCb = null;
        cb(errnoException(e instanceof TcpError ? e.code : 'EIO', 'write'));
        return;
      }
      this.pendingOff += n;
      this.written += n;
      this.touch();
      if (this.pendingOff >= chunk.length) {
        const cb = this.pendingCb!;
        this.pendingChunk = null;
        this.pendingCb = null;
        this.pendingOff = 0;
        cb();
      } else return;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.pendingChunk = chunk;
    this.pendingOff = 0;
    this.pendingCb = cb;
    if (this.connecting || this.sk === null) return; // flushed on connect
    this.flushWrites();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.connecting || this.sk === null) {
      this.finalCb = cb;
      return;
    }
    this.doFinal(cb);
  }

  private doFinal(cb: (err?: Error | null) => void): void {
    const sk = this.sk;
    try {
      if (sk !== null && sk.state !== TcpState.CLOSE) tcpShutdown(sk, 1);
      cb();
    } catch (e) {
      cb(e instanceof TcpError && e.code === 'ENOTCONN' ? null : (e as Error));
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.clearIdle();
    const sk = this.sk;
    if (sk !== null && !sk.dead) {
      if (err !== null && sk.state !== TcpState.CLOSE) tcpAbort(sk);
      else tcpClose(sk);
    }
    if (this.pendingCb !== null) {
      const pcb = this.pendingCb;
      this.pendingCb = null;
      this.pendingChunk = null;
      pcb(err ?? errnoException('EPIPE', 'write'));
    }
    cb(err);
  }

  /** `socket.setNoDelay([noDelay])` → TCP_NODELAY. */
  setNoDelay(noDelay = true): this {
    if (this.sk !== null) {
      this.sk.nodelay = noDelay;
      if (noDelay) this.scheduleWrite();
    }
    return this;
  }

  /** `socket.setKeepAlive([enable][, initialDelay])` → SO_KEEPALIVE / TCP_KEEPIDLE. */
  setKeepAlive(enable = false, initialDelay = 0): this {
    const sk = this.sk;
    if (sk !== null) {
      sk.keepalive = enable;
      if (initialDelay > 0) sk.keepIdleMs = initialDelay;
      if (enable && sk.state === TcpState.ESTABLISHED) this.stack.wheel.mod(sk.kaTimer, sk.keepIdleMs);
    }
    return this;
  }

  /** `socket.setTimeout(ms[, cb])`: emits 'timeout' after `ms` of inactivity (0 disables). */
  setTimeout(ms: number, cb?: () => void): this {
    if (cb !== undefined) this.once('timeout', cb);
    this.idleMs = ms;
    this.touch();
    return this;
  }

  private clearIdle(): void {
    if (this.idleTimer !== null) {
      this.idleTimer.cancel();
      this.idleTimer = null;
    }
  }

  private touch(): void {
    this.clearIdle();
    if (this.idleMs > 0 && !this.destroyed) this.idleTimer = this.stack.clock.setTimeout(() => this.emit('timeout'), this.idleMs);
  }

  /** `{ address, family, port }` of the local end. */
  address(): { address: string; family: string; port: number } | Record<string, never> {
    const sk = this.sk;
    if (sk === null) return {};
    return { address: formatIpv4(sk.laddr), family: 'IPv4', port: sk.lport };
  }

  get remoteAddress(): string | undefined {
    return this.sk !== null && this.sk.rport !== 0 ? formatIpv4(this.sk.raddr) : undefined;
  }
  get remotePort(): number | undefined {
    return this.sk !== null && this.sk.rport !== 0 ? this.sk.rport : undefined;
  }
  get remoteFamily(): string | undefined {
    return this.sk !== null ? 'IPv4' : undefined;
  }
  get localAddress(): string | undefined {
    return this.sk !== null ? formatIpv4(this.sk.laddr) : undefined;
  }
  get localPort(): number | undefined {
    return this.sk !== null ? this.sk.lport : undefined;
  }
  get bytesWritten(): number {
    return this.written;
  }
  get pending(): boolean {
    return this.sk === null || this.connecting;
  }
  get readyState(): string {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }
  /** Closes after pending writes (`socket.destroySoon`). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }
  /** Sends RST and destroys (`socket.resetAndDestroy`). */
  resetAndDestroy(): this {
    if (this.sk !== null && !this.sk.dead) tcpAbort(this.sk);
    return this.destroy();
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** Options of {@link TcpServer}. */
export interface TcpServerOptions {
  allowHalfOpen?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

/** Options of {@link TcpServer.listen}. */
export interface TcpListenOptions {
  port?: number;
  host?: string;
  backlog?: number;
}

/** A `net.Server` look-alike on our TCP. */
export class TcpServer extends EventEmitter {
  readonly stack: TcpStack;
  private lsk: TcpSock | null = null;
  private readonly opts: TcpServerOptions;
  private conns = new Set<TcpSocket>();
  private acceptScheduled = false;
  maxConnections = Infinity;
  listening = false;

  constructor(stack: TcpStack, opts: TcpServerOptions = {}, onConnection?: (s: TcpSocket) => void) {
    super();
    this.stack = stack;
    this.opts = opts;
    if (onConnection !== undefined) this.on('connection', onConnection);
  }

  /** `server.listen(port[, host][, backlog][, cb])` / `listen(options[, cb])`. */
  listen(portOrOpts?: number | TcpListenOptions, ...rest: (string | number | (() => void) | undefined)[]): this {
    let o: TcpListenOptions = {};
    if (typeof portOrOpts === 'number') o.port = portOrOpts;
    else if (portOrOpts !== undefined) o = { ...portOrOpts };
    let cb: (() => void) | undefined;
    for (const r of rest) {
      if (typeof r === 'string') o.host = r;
      else if (typeof r === 'number') o.backlog = r;
      else if (typeof r === 'function') cb = r;
    }
    if (cb !== undefined) this.once('listening', cb);
    const sk = this.stack.newSock();
    sk.nodelay = this.opts.noDelay === true;
    sk.keepalive = this.opts.keepAlive === true;
    if (this.opts.keepAliveInitialDelay !== undefined && this.opts.keepAliveInitialDelay > 0) sk.keepIdleMs = this.opts.keepAliveInitialDelay;
    try {
      inetBind(sk, o.host !== undefined ? parseIpv4(o.host) : 0, o.port ?? 0);
      inetListen(sk, o.backlog ?? 511);
    } catch (e) {
      const code = e instanceof TcpError ? e.code : 'EINVAL';
      queueMicrotask(() => this.emit('error', errnoException(code, 'listen')));
      return this;
    }
    this.lsk = sk;
    sk.onAcceptReady = () => this.scheduleAccept();
    this.listening = true;
    queueMicrotask(() => this.emit('listening'));
    return this;
  }

  private scheduleAccept(): void {
    if (this.acceptScheduled) return;
    this.acceptScheduled = true;
    queueMicrotask(() => {
      this.acceptScheduled = false;
      const l = this.lsk;
      if (l === null) return;
      for (;;) {
        let child: TcpSock;
        try {
          child = inetAccept(l);
        } catch {
          return;
        }
        if (this.conns.size >= this.maxConnections) {
          tcpAbort(child);
          continue;
        }
        const s = new TcpSocket(this.stack, { allowHalfOpen: this.opts.allowHalfOpen ?? false }, child);
        this.conns.add(s);
        s.once('close', () => {
          this.conns.delete(s);
          this.maybeClosed();
        });
        this.emit('connection', s);
        s.sk?.onDataReady?.(child);
      }
    });
  }

  private closeCbs: (() => void)[] = [];
  private maybeClosed(): void {
    if (this.listening || this.conns.size > 0) return;
    const cbs = this.closeCbs.splice(0);
    if (cbs.length > 0 || this.listenerCount('close') > 0) {
      queueMicrotask(() => {
        this.emit('close');
        for (const c of cbs) c();
      });
    }
  }

  /** Stops accepting; 'close' once every connection has closed. */
  close(cb?: (err?: Error) => void): this {
    if (this.lsk !== null) {
      tcpClose(this.lsk);
      this.lsk = null;
    }
    const wasListening = this.listening;
    this.listening = false;
    if (cb !== undefined) {
      if (!wasListening) queueMicrotask(() => cb(errnoException('ERR_SERVER_NOT_RUNNING', 'close')));
      else this.closeCbs.push(() => cb());
    }
    if (wasListening) {
      this.closeCbs.push(() => undefined);
      this.maybeClosed();
    }
    return this;
  }

  /** `{ address, family, port }` of the listener. */
  address(): { address: string; family: string; port: number } | null {
    const l = this.lsk;
    return l === null ? null : { address: formatIpv4(l.laddr), family: 'IPv4', port: l.lport };
  }

  getConnections(cb: (err: Error | null, n: number) => void): this {
    queueMicrotask(() => cb(null, this.conns.size));
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** The `node:net`-shaped functions bound to one stack. */
export interface NetApi {
  createServer(opts?: TcpServerOptions | ((s: TcpSocket) => void), onConnection?: (s: TcpSocket) => void): TcpServer;
  connect(portOrOpts: number | TcpConnectOptions, hostOrCb?: string | (() => void), cb?: () => void): TcpSocket;
  createConnection(portOrOpts: number | TcpConnectOptions, hostOrCb?: string | (() => void), cb?: () => void): TcpSocket;
}

/** `net.createServer` on `stack`. */
export function createServer(stack: TcpStack, opts?: TcpServerOptions | ((s: TcpSocket) => void), onConnection?: (s: TcpSocket) => void): TcpServer {
  if (typeof opts === 'function') return new TcpServer(stack, {}, opts);
  return new TcpServer(stack, opts ?? {}, onConnection);
}

/** `net.connect` / `net.createConnection` on `stack`. */
export function connect(stack: TcpStack, portOrOpts: number | TcpConnectOptions, hostOrCb?: string | (() => void), cb?: () => void): TcpSocket {
  const opts = typeof portOrOpts === 'object' ? portOrOpts : undefined;
  const s = new TcpSocket(stack, opts !== undefined ? { allowHalfOpen: (opts as { allowHalfOpen?: boolean }).allowHalfOpen ?? false } : {});
  return s.connect(portOrOpts, hostOrCb, cb);
}

/** A `node:net`-like object bound to `stack`: `createServer`, `connect`, `createConnection`. */
export function createNet(stack: TcpStack): NetApi {
  return {
    createServer: (o, l) => createServer(stack, o, l),
    connect: (p, h, c) => connect(stack, p, h, c),
    createConnection: (p, h, c) => connect(stack, p, h, c),
  };
}
