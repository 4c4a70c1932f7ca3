/**
 * System calls of a script executed against `@netlayers/tcp`'s BSD socket API.
 * Each call returns `{ ret, errno }` like the kernel, or `'block'` when a
 * blocking socket would have to wait (the runner retries it as time passes).
 * Script descriptors are aliases of live ones. Calls and options the socket API
 * has no counterpart for raise {@link PacketdrillUnsupportedError} (SKIP).
 *
 * @module
 */
import { TcpError, type SockOpt, type SocketApi } from '@netlayers/tcp';
import type { Expr, SyscallSpec } from './ast.js';
import { PacketdrillCheckError, PacketdrillUnsupportedError } from './errors.js';

/** Outcome of one attempt. */
export type CallResult = { ret: number; errno: string | undefined } | 'block';

/** Linux `O_NONBLOCK` and `O_RDWR` (fcntl). */
export const O_NONBLOCK = 0o4000;
export const O_RDWR = 2;

const SOCKOPTS = new Set<string>(['SO_RCVBUF', 'SO_SNDBUF', 'SO_REUSEADDR', 'SO_KEEPALIVE', 'SO_ERROR', 'SO_RCVLOWAT', 'SO_SNDLOWAT', 'TCP_NODELAY', 'TCP_MAXSEG', 'TCP_CORK', 'TCP_KEEPIDLE', 'TCP_KEEPINTVL', 'TCP_KEEPCNT', 'TCP_CONGESTION']);
const MSG_FLAGS: Record<string, number> = { MSG_OOB: 1, MSG_PEEK: 2, MSG_DONTWAIT: 0x40, MSG_EOR: 0x80, MSG_WAITALL: 0x100, MSG_NOSIGNAL: 0x4000, MSG_MORE: 0x8000, MSG_ZEROCOPY: 0x4000000, MSG_FASTOPEN: 0x20000000 };
const SHUT: Record<string, 0 | 1 | 2> = { SHUT_RD: 0, SHUT_WR: 1, SHUT_RDWR: 2 };

/** Per-run syscall context. */
export class SyscallContext {
  private readonly fds = new Map<number, number>();
  private readonly nonblock = new Set<number>();
  private readonly connecting = new Set<number>();
  /** When a blocking poll started waiting, by call (µs). */
  private readonly pollStart = new Map<SyscallSpec, number>();
  /** Bytes a blocking write has already handed to the socket, by call. */
  private readonly written = new Map<SyscallSpec, number>();

  constructor(
    readonly api: SocketApi,
    readonly localAddr: number,
    readonly remoteAddr: number,
    readonly bindPort: number,
    readonly connectPort: number,
    /** Virtual time now, µs. */
    private readonly nowUs: () => number,
    /** Asks the runner to retry a waiting call at `us` (a poll timeout). */
    private readonly wakeAt: (us: number) => void,
  ) {}

  /** The socket under test: the live fd most recently returned by socket() or accept(). */
  current: number | undefined;

  /** Live descriptors still open (closed at the end of the script). */
  openFds(): number[] {
    return [...new Set(this.fds.values())];
  }

  private live(e: Expr | undefined, line: number): number {
    const n = intArg(e, line);
    const fd = this.fds.get(n);
    return fd ?? -1 - n; // unknown script fd → a descriptor the API rejects with EBADF
  }

  private alias(scriptFd: Expr, liveFd: number): void {
    if (scriptFd.kind === 'int' && scriptFd.value >= 0) this.fds.set(scriptFd.value, liveFd);
  }

  /** Attempts the call once. */
  attempt(c: SyscallSpec, line: number): CallResult {
    try {
      return this.run(c, line);
    } catch (e) {
      if (e instanceof TcpError) {
        if (e.code === 'EAGAIN' && !this.isNonblocking(c, line)) return 'block';
        return { ret: -1, errno: e.code };
      }
      throw e;
    }
  }

  private isNonblocking(c: SyscallSpec, line: number): boolean {
    const a = c.args[0];
    if (a === undefined || a.kind !== 'int') return false;
    const fd = this.fds.get(a.value);
    if (fd !== undefined && this.nonblock.has(fd)) return true;
    const flagsArg = ['send', 'recv', 'sendto', 'recvfrom'].includes(c.name) ? c.args[3] : c.name === 'sendmsg' || c.name === 'recvmsg' ? c.args[2] : undefined;
    return flagsArg !== undefined && (msgFlags(flagsArg, line) & MSG_FLAGS.MSG_DONTWAIT!) !== 0;
  }

  private run(c: SyscallSpec, line: number): CallResult {
    const api = this.api;
    const a = c.args;
    const ok = (ret = 0): CallResult => ({ ret, errno: undefined });
    switch (c.name) {
      case 'socket': {
        const type = symArg(a[1], line);
        const proto = a[2]?.kind === 'int' ? String(a[2].value) : symArg(a[2], line);
        if (type !== 'SOCK_STREAM') throw new PacketdrillUnsupportedError(line, `socket type ${type}`);
        if (proto !== 'IPPROTO_TCP' && proto !== '0') return { ret: -1, errno: 'EPROTONOSUPPORT' };
        const fd = api.socket();
        this.current = fd;
        this.alias(c.ret, fd);
        return ok(c.ret.kind === 'int' && c.ret.value >= 0 ? c.ret.value : fd);
      }
      case 'bind':
        api.bind(this.live(a[0], line), this.localAddr, this.bindPort);
        return ok();
      case 'listen':
        api.listen(this.live(a[0], line), intArg(a[1], line));
        return ok();
      case 'accept':
      case 'accept4': {
        const r = api.accept(this.live(a[0], line));
        this.current = r.fd;
        this.alias(c.ret, r.fd);
        return ok(c.ret.kind === 'int' && c.ret.value >= 0 ? c.ret.value : r.fd);
      }
      case 'connect': {
        const fd = this.live(a[0], line);
        if (this.connecting.has(fd)) {
          const ev = api.poll(fd);
          if ((ev & 0x1c) === 0) return 'block';
          this.connecting.delete(fd);
          const err = api.getsockopt(fd, 'SO_ERROR');
          return err === 0 || err === false ? ok() : { ret: -1, errno: String(err) };
        }
        try {
          api.connect(fd, this.remoteAddr, this.connectPort);
          return ok();
        } catch (e) {
          if (e instanceof TcpError && e.code === 'EINPROGRESS' && !this.nonblock.has(fd)) {
            this.connecting.add(fd);
            return 'block';
          }
          throw e;
        }
      }
      case 'write':
      case 'send': {
        const flags = c.name === 'send' ? msgFlags(a[3], line) : 0;
        return this.sendBytes(c, this.live(a[0], line), lenArg(a[2], line), flags, exprText(a[3]), line);
      }
      case 'sendto': {
        // sendto(fd, ..., N, flags, addr, addrlen): the address is the connected peer's
        return this.sendBytes(c, this.live(a[0], line), lenArg(a[2], line), msgFlags(a[3], line), exprText(a[3]), line);
      }
      case 'recvfrom': {
        const flags = msgFlags(a[3], line);
        if ((flags & ~MSG_FLAGS.MSG_DONTWAIT!) !== 0) throw new PacketdrillUnsupportedError(line, `recvfrom flags ${exprText(a[3])}`);
        return ok(api.recv(this.live(a[0], line), new Uint8Array(lenArg(a[2], line))));
      }
      case 'sendmsg': {
        const m = msghdr(a[1], line);
        return this.sendBytes(c, this.live(a[0], line), m.len, msgFlags(a[2], line), exprText(a[2]), line);
      }
      case 'recvmsg': {
        const m = msghdr(a[1], line);
        if (m.flags !== 0) throw new PacketdrillUnsupportedError(line, `recvmsg msg_flags ${m.flags}`);
        const flags = msgFlags(a[2], line);
        if ((flags & ~MSG_FLAGS.MSG_DONTWAIT!) !== 0) throw new PacketdrillUnsupportedError(line, `recvmsg flags ${exprText(a[2])}`);
        return ok(api.recv(this.live(a[0], line), new Uint8Array(m.len)));
      }
      case 'poll':
        return this.poll(c, line);
      case 'read':
      case 'recv': {
        const fd = this.live(a[0], line);
        const flags = c.name === 'recv' ? msgFlags(a[3], line) : 0;
        if ((flags & ~MSG_FLAGS.MSG_DONTWAIT!) !== 0) throw new PacketdrillUnsupportedError(line, `recv flags ${exprText(a[3])}`);
        return ok(api.recv(fd, new Uint8Array(lenArg(a[2], line))));
      }
      case 'close': {
        const fd = this.live(a[0], line);
        api.close(fd);
        for (const [s, l] of this.fds) if (l === fd) this.fds.delete(s);
        return ok();
      }
      case 'shutdown': {
        const how = SHUT[symArg(a[1], line)];
        if (how === undefined) throw new PacketdrillUnsupportedError(line, `shutdown how ${exprText(a[1])}`);
        api.shutdown(this.live(a[0], line), how);
        return ok();
      }
      case 'fcntl': {
        const fd = this.live(a[0], line);
        api.tcpSock(fd); // EBADF check
        const cmd = symArg(a[1], line);
        if (cmd === 'F_GETFL') return ok(O_RDWR | (this.nonblock.has(fd) ? O_NONBLOCK : 0));
        if (cmd !== 'F_SETFL') throw new PacketdrillUnsupportedError(line, `fcntl ${cmd}`);
        const v = orArg(a[2], line, { O_NONBLOCK, O_RDWR, O_RDONLY: 0, O_WRONLY: 1 });
        if ((v & O_NONBLOCK) !== 0) this.nonblock.add(fd);
        else this.nonblock.delete(fd);
        return ok();
      }
      case 'setsockopt': {
        const fd = this.live(a[0], line);
        const opt = symArg(a[2], line);
        if (!SOCKOPTS.has(opt)) throw new PacketdrillUnsupportedError(line, `setsockopt ${opt}`);
        // TCP_CONGESTION takes a module name: setsockopt(3, IPPROTO_TCP, TCP_CONGESTION, "reno", 4)
        const v = a[3]?.kind === 'string' ? a[3].value : a[3]?.kind === 'array' ? intArg(a[3].items[0], line) : intArg(a[3], line);
        api.setsockopt(fd, opt as SockOpt, v);
        return ok();
      }
      case 'getsockopt': {
        const fd = this.live(a[0], line);
        const opt = symArg(a[2], line);
        if (!SOCKOPTS.has(opt)) throw new PacketdrillUnsupportedError(line, `getsockopt ${opt}`);
        const raw = api.getsockopt(fd, opt as SockOpt);
        const got = typeof raw === 'boolean' ? (raw ? 1 : 0) : typeof raw === 'number' ? raw : typeof raw === 'string' ? errnoNumber(raw) : Number.NaN;
        const want = a[3]?.kind === 'array' ? a[3].items[0] : a[3];
        if (want?.kind === 'string' && want.value !== raw) {
          throw new PacketdrillCheckError(line, `getsockopt ${opt}: got ${JSON.stringify(raw)}, expected ${JSON.stringify(want.value)}`);
        }
        if (want !== undefined && want.kind === 'int' && want.value !== got) {
          throw new PacketdrillCheckError(line, `getsockopt ${opt}: got value ${got}, expected ${want.value}`);
        }
        return ok();
      }
      default:
        throw new PacketdrillUnsupportedError(line, `syscall ${c.name}()`);
    }
  }
  /** `write`/`send`/`sendmsg` of `n` zero bytes; a blocking call returns only when all were taken. */
  private sendBytes(c: SyscallSpec, fd: number, n: number, flags: number, flagText: string, line: number): CallResult {
    if ((flags & ~(MSG_FLAGS.MSG_MORE! | MSG_FLAGS.MSG_EOR! | MSG_FLAGS.MSG_DONTWAIT! | MSG_FLAGS.MSG_NOSIGNAL!)) !== 0) {
      throw new PacketdrillUnsupportedError(line, `send flags ${flagText}`, 'the socket API has MSG_MORE and MSG_EOR only');
    }
    const api = this.api;
    const sendFlags = { more: (flags & MSG_FLAGS.MSG_MORE!) !== 0, eor: (flags & MSG_FLAGS.MSG_EOR!) !== 0 };
    if (this.nonblock.has(fd) || (flags & MSG_FLAGS.MSG_DONTWAIT!) !== 0) return { ret: api.send(fd, new Uint8Array(n), sendFlags), errno: undefined };
    // a blocking write returns only when everything was taken (tcp_sendmsg waits for memory)
    let done = this.written.get(c) ?? 0;
    try {
      while (done < n) {
        const k = api.send(fd, new Uint8Array(n - done), sendFlags);
        if (k === 0) break;
        done += k;
      }
    } catch (e) {
      if (!(e instanceof TcpError && e.code === 'EAGAIN') || done === 0) throw e;
    }
    if (done < n) {
      this.written.set(c, done);
      return 'block';
    }
    this.written.delete(c);
    return { ret: n, errno: undefined };
  }

  /** `poll([{fd, events[, revents]}…], n, timeout)`: revents checked when given; waits up to `timeout` ms. */
  private poll(c: SyscallSpec, line: number): CallResult {
    const list = c.args[0];
    if (list?.kind !== 'array') throw new PacketdrillUnsupportedError(line, `poll argument ${exprText(list)}`);
    const timeout = intArg(c.args[2], line);
    let ready = 0;
    const got: number[] = [];
    for (const item of list.items) {
      if (item.kind !== 'struct') throw new PacketdrillUnsupportedError(line, `pollfd ${exprText(item)}`);
      const field = (n: string): Expr | undefined => item.fields.find((f) => f.name === n)?.value;
      const fd = this.live(field('fd'), line);
      const events = orArg(field('events'), line, POLL_BITS);
      const ev = this.api.poll(fd) & (events | POLL_BITS.POLLERR! | POLL_BITS.POLLHUP!);
      got.push(ev);
      if (ev !== 0) ready++;
    }
    if (ready === 0 && timeout !== 0) {
      let start = this.pollStart.get(c);
      if (start === undefined) {
        start = this.nowUs();
        this.pollStart.set(c, start);
        if (timeout > 0) this.wakeAt(start + timeout * 1000);
      }
      if (timeout < 0 || this.nowUs() < start + timeout * 1000) return 'block';
    }
    this.pollStart.delete(c);
    list.items.forEach((item, i) => {
      if (item.kind !== 'struct') return;
      const want = item.fields.find((f) => f.name === 'revents')?.value;
      if (want !== undefined && orArg(want, line, POLL_BITS) !== got[i]) {
        throw new PacketdrillCheckError(line, `poll: revents ${got[i]} for ${exprText(item)}, expected ${orArg(want, line, POLL_BITS)}`);
      }
    });
    return { ret: ready, errno: undefined };
  }
}

/** Linux poll bits. */
const POLL_BITS: Record<string, number> = { POLLIN: 1, POLLPRI: 2, POLLOUT: 4, POLLERR: 8, POLLHUP: 0x10, POLLNVAL: 0x20, POLLRDNORM: 0x40, POLLWRNORM: 0x100 };

/** Total iov length and msg_flags of a `msghdr` struct (no control messages). */
function msghdr(e: Expr | undefined, line: number): { len: number; flags: number } {
  if (e?.kind !== 'struct') throw new PacketdrillUnsupportedError(line, `msghdr ${exprText(e)}`);
  let len = 0;
  let flags = 0;
  for (const f of e.fields) {
    if (f.name === 'msg_iov') {
      if (f.value.kind !== 'array') throw new PacketdrillUnsupportedError(line, `msg_iov ${exprText(f.value)}`);
      for (const iov of f.value.items) {
        if (iov.kind !== 'struct') throw new PacketdrillUnsupportedError(line, `iovec ${exprText(iov)}`);
        const lenField = iov.fields.find((x) => x.name === 'iov_len') ?? iov.fields[1];
        len += lenArg(lenField?.value, line);
      }
    } else if (f.name === 'msg_flags') flags = f.value.kind === 'int' ? f.value.value : orArg(f.value, line, MSG_FLAGS);
    else if (f.name === 'msg_control') throw new PacketdrillUnsupportedError(line, 'msg_control (cmsg)');
  }
  return { len, flags };
}

function errnoNumber(name: string): number {
  return name === 'ECONNRESET' ? 104 : name === 'ETIMEDOUT' ? 110 : name === 'ECONNREFUSED' ? 111 : name === 'EPIPE' ? 32 : -1;
}

/** Text of an expression, for messages. */
export function exprText(e: Expr | undefined): string {
  if (e === undefined) return '(none)';
  switch (e.kind) {
    case 'int':
      return String(e.value);
    case 'symbol':
      return e.name;
    case 'string':
      return JSON.stringify(e.value);
    case 'ellipsis':
      return '...';
    case 'null':
      return 'NULL';
    case 'array':
      return `[${e.items.map(exprText).join(', ')}]`;
    case 'or':
      return e.items.map(exprText).join('|');
    case 'struct':
      return `{${e.fields.map((f) => (f.name === '' ? exprText(f.value) : `${f.name}=${exprText(f.value)}`)).join(', ')}}`;
    case 'call':
      return `${e.name}(${e.args.map(exprText).join(', ')})`;
  }
}

function intArg(e: Expr | undefined, line: number): number {
  if (e?.kind === 'int') return e.value;
  throw new PacketdrillUnsupportedError(line, `argument ${exprText(e)}`, 'an integer was expected');
}

/** Largest buffer a read/write may name (1 GiB). */
const MAX_IO_LEN = 1 << 30;

function lenArg(e: Expr | undefined, line: number): number {
  const n = intArg(e, line);
  if (n < 0 || n > MAX_IO_LEN) throw new PacketdrillUnsupportedError(line, `buffer length ${n}`, `0..${MAX_IO_LEN}`);
  return n;
}

function symArg(e: Expr | undefined, line: number): string {
  if (e?.kind === 'symbol') return e.name;
  throw new PacketdrillUnsupportedError(line, `argument ${exprText(e)}`, 'a symbol was expected');
}

function orArg(e: Expr | undefined, line: number, names: Record<string, number>): number {
  if (e === undefined) return 0;
  if (e.kind === 'int') return e.value;
  if (e.kind === 'symbol') {
    const v = names[e.name];
    if (v === undefined) throw new PacketdrillUnsupportedError(line, `flag ${e.name}`);
    return v;
  }
  if (e.kind === 'or') return e.items.reduce((acc, i) => acc | orArg(i, line, names), 0);
  throw new PacketdrillUnsupportedError(line, `flags ${exprText(e)}`);
}

function msgFlags(e: Expr | undefined, line: number): number {
  return orArg(e, line, MSG_FLAGS);
}
