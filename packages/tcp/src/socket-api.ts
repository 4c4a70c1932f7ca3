/**
 * The BSD socket API over a {@link TcpStack}: integer descriptors and the calls
 * `socket`, `bind`, `listen(backlog)`, `accept`, `connect`, `send`/`write`,
 * `recv`/`read`, `shutdown(how)`, `close`, `setsockopt`/`getsockopt`, `poll`
 * and the zero-copy `recvSkbs`/`sendSkbs`. Sockets are non-blocking by default
 * (EAGAIN / EINPROGRESS); `O_NONBLOCK` off makes `connect`/`accept`/`recv`/
 * `send` available as promise-returning `…Async` calls that wait for readiness,
 * the JavaScript form of blocking. Errors are {@link TcpError}s with POSIX
 * errno names.
 *
 * | call | Linux |
 * |---|---|
 * | socket | `inet_create` → `tcp_v4_init_sock` |
 * | bind | `inet_bind` |
 * | listen | `inet_listen` → `inet_csk_listen_start` |
 * | accept | `inet_accept` → `inet_csk_accept` |
 * | connect | `inet_stream_connect` → `tcp_v4_connect` |
 * | send / write | `tcp_sendmsg` |
 * | recv / read | `tcp_recvmsg` |
 * | recvSkbs / sendSkbs | thesis `tcp_recvskbuff` / `tcp_sendskbuff` |
 * | shutdown | `inet_shutdown` → `tcp_shutdown` |
 * | close | `inet_release` → `tcp_close` |
 *
 * @module
 */

import type { SkBuff } from '@netlayers/skbuff';
import { TcpError } from './errors.js';
import { tcpPushPendingFrames } from './output.js';
import { tcpSetCongestionControl } from './cong/registry.js';
import type { TcpSock } from './sock.js';
import { inetAccept, inetBind, inetConnect, inetListen, takeError, tcpClose, tcpRecvmsg, tcpSendmsg, tcpShutdown } from './socket.js';
import type { TcpStack } from './stack.js';
import { TcpState } from './state.js';
import { tcpGetInfo, type TcpInfo } from './tcp-info.js';
import { recvSkbs, sendSkbs } from './zero-copy.js';

/** Socket option names (levels SOL_SOCKET and IPPROTO_TCP folded together). */
export type SockOpt =
  | 'SO_RCVBUF'
  | 'SO_SNDBUF'
  | 'SO_REUSEADDR'
  | 'SO_LINGER'
  | 'SO_KEEPALIVE'
  | 'SO_ERROR'
  | 'SO_RCVLOWAT'
  | 'SO_SNDLOWAT'
  | 'TCP_NODELAY'
  | 'TCP_MAXSEG'
  | 'TCP_CORK'
  | 'TCP_KEEPIDLE'
  | 'TCP_KEEPINTVL'
  | 'TCP_KEEPCNT'
  | 'TCP_CONGESTION';

/** Value of SO_LINGER. */
export interface Linger {
  onoff: boolean;
  /** Seconds. 0 with onoff = abort with RST on close. */
  linger: number;
}

/** `shutdown` how. */
export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/** `poll` event bits. */
export const POLLIN = 1;
export const POLLOUT = 4;
export const POLLERR = 8;
export const POLLHUP = 16;

/** An address as returned by `accept` / `getpeername`. */
export interface SockAddr {
  addr: number;
  port: number;
}

/** fd-based socket API bound to one stack. */
export class SocketApi {
  readonly stack: TcpStack;
  private readonly fds = new Map<number, TcpSock>();
  private nextFd = 3;
  private readonly waiters = new Map<TcpSock, (() => void)[]>();

  constructor(stack: TcpStack) {
    this.stack = stack;
  }

  private sock(fd: number, call: string): TcpSock {
    const sk = this.fds.get(fd);
    if (sk === undefined) throw new TcpError('EBADF', `bad descriptor ${fd}`, call);
    return sk;
  }

  private install(sk: TcpSock): number {
    const fd = this.nextFd++;
    this.fds.set(fd, sk);
    const wake = (): void => {
      const w = this.waiters.get(sk);
      if (w === undefined) return;
      this.waiters.delete(sk);
      for (const f of w) queueMicrotask(f);
    };
    sk.onDataReady = wake;
    sk.onWriteSpace = wake;
    sk.onStateChange = wake;
    sk.onError = wake;
    sk.onAcceptReady = wake;
    return fd;
  }

  /** The TCP control block behind a descriptor (for inspection). */
  tcpSock(fd: number): TcpSock {
    return this.sock(fd, 'tcpSock');
  }

  /** `getsockopt(fd, IPPROTO_TCP, TCP_INFO)`: Linux `struct tcp_info` fields this stack keeps. */
  tcpInfo(fd: number): TcpInfo {
    return tcpGetInfo(this.sock(fd, 'getsockopt'));
  }

  /** `socket(AF_INET, SOCK_STREAM, 0)`. */
  socket(): number {
    return this.install(this.stack.newSock());
  }

  /** `bind(fd, addr, port)`. */
  bind(fd: number, addr: number, port: number): void {
    inetBind(this.sock(fd, 'bind'), addr, port);
  }

  /** `listen(fd, backlog)`. */
  listen(fd: number, backlog: number): void {
    inetListen(this.sock(fd, 'listen'), backlog);
  }

  /** `accept(fd)` → new descriptor and peer address; EAGAIN when none is pending. */
  accept(fd: number): { fd: number; addr: SockAddr } {
    const child = inetAccept(this.sock(fd, 'accept'));
    return { fd: this.install(child), addr: { addr: child.raddr, port: child.rport } };
  }

  /**
   * `connect(fd, addr, port)`: starts the handshake and throws EINPROGRESS (non-blocking
   * semantics); poll for POLLOUT or use {@link SocketApi.connectAsync}.
   */
  connect(fd: number, addr: number, port: number): void {
    const sk = this.sock(fd, 'connect');
    inetConnect(sk, addr, port);
    if (sk.state !== TcpState.ESTABLISHED) throw new TcpError('EINPROGRESS', 'connection in progress', 'connect');
  }

  /**
   * `send(fd, data, flags)` → bytes accepted (EAGAIN when the send buffer is full).
   * `flags.more` is MSG_MORE (more data follows: a partial segment waits, no PSH);
   * `flags.eor` is MSG_EOR (a record ends here: later sends never share its last segment).
   */
  send(fd: number, data: Uint8Array, flags: { more?: boolean; eor?: boolean } = {}): number {
    return tcpSendmsg(this.sock(fd, 'send'), data, flags.more === true, flags.eor === true);
  }

  /** `write(fd, data)` = `send` without flags. */
  write(fd: number, data: Uint8Array): number {
    return this.send(fd, data);
  }

  /** `recv(fd, buf)` → bytes read, 0 at end of stream (EAGAIN when nothing is queued). */
  recv(fd: number, buf: Uint8Array): number {
    // Non-blocking: the caller is not a waiting reader, so no prequeueing (Linux
    // installs ucopy.task only when tcp_recvmsg blocks).
    return tcpRecvmsg(this.sock(fd, 'recv'), buf);
  }

  /** `read(fd, buf)` = `recv` without flags. */
  read(fd: number, buf: Uint8Array): number {
    return this.recv(fd, buf);
  }

  /** Zero-copy receive: whole skbs (thesis `tcp_recvskbuff`); the caller frees them. */
  recvSkbs(fd: number, maxBytes: number): SkBuff[] {
    return recvSkbs(this.sock(fd, 'recvSkbs'), maxBytes);
  }

  /** Zero-copy send of skbs (thesis `tcp_sendskbuff`); returns how many were taken. */
  sendSkbs(fd: number, skbs: readonly SkBuff[]): number {
    return sendSkbs(this.sock(fd, 'sendSkbs'), skbs);
  }

  /** `shutdown(fd, how)`. */
  shutdown(fd: number, how: 0 | 1 | 2): void {
    tcpShutdown(this.sock(fd, 'shutdown'), how);
  }

  /** `close(fd)`: the descriptor is released at once; the connection finishes in the background. */
  close(fd: number): void {
    const sk = this.sock(fd, 'close');
    this.fds.delete(fd);
    this.waiters.delete(sk);
    tcpClose(sk);
  }

  /** `getsockname`. */
  getsockname(fd: number): SockAddr {
    const sk = this.sock(fd, 'getsockname');
    return { addr: sk.laddr, port: sk.lport };
  }

  /** `getpeername` (ENOTCONN if not connected). */
  getpeername(fd: number): SockAddr {
    const sk = this.sock(fd, 'getpeername');
    if (sk.rport === 0) throw new TcpError('ENOTCONN', 'not connected', 'getpeername');
    return { addr: sk.raddr, port: sk.rport };
  }

  /** `setsockopt`. Buffer sizes are doubled like Linux (bookkeeping overhead), then clamped. */
  setsockopt(fd: number, opt: SockOpt, value: number | boolean | Linger | string): void {
    const sk = this.sock(fd, 'setsockopt');
    const cfg = this.stack.config;
    const num = (): number => {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new TcpError('EINVAL', `${opt} needs a number`, 'setsockopt');
      return value;
    };
    const bool = (): boolean => (typeof value === 'boolean' ? value : num() !== 0);
    switch (opt) {
      case 'SO_RCVBUF':
        sk.rcvbuf = Math.max(2304, Math.min(2 * num(), cfg.rcvbufMax));
        sk.rcvbufLock = true;
        break;
      case 'SO_SNDBUF':
        sk.sndbuf = Math.max(4608, Math.min(2 * num(), cfg.sndbufMax));
        break;
      case 'SO_REUSEADDR':
        sk.reuseAddr = bool();
        break;
      case 'SO_LINGER': {
        if (typeof value !== 'object') throw new TcpError('EINVAL', 'SO_LINGER needs { onoff, linger }', 'setsockopt');
        sk.lingerOn = value.onoff;
        sk.lingerSecs = value.linger;
        break;
      }
      case 'SO_KEEPALIVE':
        sk.keepalive = bool();
        if (sk.keepalive && sk.state === TcpState.ESTABLISHED) this.stack.wheel.mod(sk.kaTimer, sk.keepIdleMs);
        break;
      case 'SO_RCVLOWAT':
        sk.rcvLowat = Math.max(1, num());
        break;
      case 'SO_SNDLOWAT':
        sk.sndLowat = Math.max(0, num());
        break;
      case 'TCP_NODELAY':
        sk.nodelay = bool();
        if (sk.nodelay) tcpPushPendingFrames(sk, 4); // TCP_NAGLE_OFF|TCP_NAGLE_PUSH: overrides a cork, as Linux
        break;
      case 'TCP_MAXSEG': {
        const v = num();
        if (v !== 0 && (v < 88 || v > 65535)) throw new TcpError('EINVAL', 'TCP_MAXSEG out of range', 'setsockopt');
        sk.userMss = v;
        break;
      }
      case 'TCP_CORK':
        sk.cork = bool();
        if (!sk.cork) tcpPushPendingFrames(sk, 4);
        break;
      case 'TCP_KEEPIDLE':
        sk.keepIdleMs = Math.max(1, num()) * 1000;
        break;
      case 'TCP_KEEPINTVL':
        sk.keepIntvlMs = Math.max(1, num()) * 1000;
        break;
      case 'TCP_KEEPCNT':
        sk.keepCnt = Math.max(1, num());
        break;
      case 'TCP_CONGESTION': {
        // a module name (ENOENT if not registered); the API acts with CAP_NET_ADMIN
        if (typeof value !== 'string') throw new TcpError('EINVAL', 'TCP_CONGESTION needs a module name', 'setsockopt');
        const r = tcpSetCongestionControl(sk, value);
        if (r !== 0) throw r;
        break;
      }
      default:
        throw new TcpError('ENOPROTOOPT', `unknown option ${String(opt)}`, 'setsockopt');
    }
  }

  /** `getsockopt`. SO_ERROR returns and clears the pending error (or 0). */
  getsockopt(fd: number, opt: SockOpt): number | boolean | Linger | string {
    const sk = this.sock(fd, 'getsockopt');
    switch (opt) {
      case 'SO_RCVBUF':
        return sk.rcvbuf;
      case 'SO_SNDBUF':
        return sk.sndbuf;
      case 'SO_REUSEADDR':
        return sk.reuseAddr;
      case 'SO_LINGER':
        return { onoff: sk.lingerOn, linger: sk.lingerSecs };
      case 'SO_KEEPALIVE':
        return sk.keepalive;
      case 'SO_ERROR': {
        const e = sk.err ?? 0;
        sk.err = undefined;
        return e;
      }
      case 'SO_RCVLOWAT':
        return sk.rcvLowat;
      case 'SO_SNDLOWAT':
        return sk.sndLowat;
      case 'TCP_NODELAY':
        return sk.nodelay;
      case 'TCP_MAXSEG':
        return sk.state === TcpState.ESTABLISHED ? sk.mss : sk.userMss || 536;
      case 'TCP_CORK':
        return sk.cork;
      case 'TCP_KEEPIDLE':
        return sk.keepIdleMs / 1000;
      case 'TCP_KEEPINTVL':
        return sk.keepIntvlMs / 1000;
      case 'TCP_KEEPCNT':
        return sk.keepCnt;
      case 'TCP_CONGESTION':
        return sk.ca.name;
      default:
        throw new TcpError('ENOPROTOOPT', `unknown option ${String(opt)}`, 'getsockopt');
    }
  }

  /** `poll` for one descriptor: POLLIN / POLLOUT / POLLERR / POLLHUP bits. */
  poll(fd: number): number {
    const sk = this.sock(fd, 'poll');
    let ev = 0;
    if (sk.state === TcpState.LISTEN) return sk.acceptQueue.length > 0 ? POLLIN : 0;
    if (sk.receiveQueue.qlen > 0 || sk.prequeue.qlen > 0 || sk.finSeen || (sk.shutdownFlags & 1) !== 0) ev |= POLLIN;
    const connected = sk.state === TcpState.ESTABLISHED || sk.state === TcpState.CLOSE_WAIT;
    if (connected && sk.wspace() >= Math.max(sk.sndLowat, sk.wmemQueued >>> 1)) ev |= POLLOUT;
    if (sk.err !== undefined) ev |= POLLERR;
    if (sk.state === TcpState.CLOSE && sk.lport !== 0 && (sk.rport !== 0 || sk.softErr !== undefined)) ev |= POLLHUP;
    return ev;
  }

  /** Resolves when `poll(fd) & events` is non-zero (the blocking wait). */
  wait(fd: number, events: number): Promise<number> {
    const sk = this.sock(fd, 'wait');
    return new Promise((resolve) => {
      const check = (): void => {
        const ev = this.fds.has(fd) ? this.poll(fd) : POLLHUP;
        if ((ev & (events | POLLERR | POLLHUP)) !== 0) {
          sk.readerWaiting = false;
          resolve(ev);
        } else {
          if ((events & POLLIN) !== 0) sk.readerWaiting = true;
          const w = this.waiters.get(sk);
          if (w === undefined) this.waiters.set(sk, [check]);
          else w.push(check);
        }
      };
      check();
    });
  }

  /** Blocking-style connect: resolves when established, rejects with the errno. */
  async connectAsync(fd: number, addr: number, port: number): Promise<void> {
    try {
      this.connect(fd, addr, port);
      return;
    } catch (e) {
      if (!(e instanceof TcpError && e.code === 'EINPROGRESS')) throw e;
    }
    await this.wait(fd, POLLOUT);
    const sk = this.sock(fd, 'connect');
    takeError(sk, 'connect');
    if (sk.state !== TcpState.ESTABLISHED && sk.state !== TcpState.CLOSE_WAIT) throw new TcpError('ECONNREFUSED', 'connection failed', 'connect');
  }

  /** Blocking-style accept. */
  async acceptAsync(fd: number): Promise<{ fd: number; addr: SockAddr }> {
    for (;;) {
      try {
        return this.accept(fd);
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
      }
      await this.wait(fd, POLLIN);
    }
  }

  /** Blocking-style recv: waits for at least one byte (or EOF / error). */
  async recvAsync(fd: number, buf: Uint8Array): Promise<number> {
    for (;;) {
      try {
        return this.recv(fd, buf);
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
      }
      await this.wait(fd, POLLIN);
    }
  }

  /** Blocking-style send: writes all of `data`, waiting for buffer space. */
  async sendAsync(fd: number, data: Uint8Array): Promise<number> {
    let off = 0;
    while (off < data.length) {
      try {
        off += this.send(fd, off === 0 ? data : data.subarray(off));
      } catch (e) {
        if (!(e instanceof TcpError && e.code === 'EAGAIN')) throw e;
        await this.wait(fd, POLLOUT);
      }
    }
    return off;
  }
}
