/**
 * Typed errors of the TCP package.
 *
 * - {@link TcpError}: socket-level failures carrying a POSIX errno name in `code`
 *   (`ECONNREFUSED`, `ECONNRESET`, `EPIPE`, `ETIMEDOUT`, `EAGAIN`, …), the values
 *   Linux returns from `tcp_sendmsg`/`tcp_recvmsg`/`inet_stream_connect`.
 * - {@link TcpParseError}: the only error the wire parsers throw.
 *
 * @module
 */

/** POSIX errno names used by the socket API. */
export type Errno =
  | 'EAGAIN'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EALREADY'
  | 'EBADF'
  | 'ECONNABORTED'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'EEXIST'
  | 'EHOSTUNREACH'
  | 'EINPROGRESS'
  | 'EINVAL'
  | 'EISCONN'
  | 'EMSGSIZE'
  | 'ENETUNREACH'
  | 'ENOBUFS'
  | 'ENOENT'
  | 'ENOPROTOOPT'
  | 'ENOTCONN'
  | 'EOPNOTSUPP'
  | 'EPERM'
  | 'EPIPE'
  | 'ETIMEDOUT';

/**
 * A socket error with a stable POSIX errno name in {@link TcpError.code}.
 *
 * @example
 * ```ts
 * try { api.send(fd, data) } catch (e) { if (e instanceof TcpError && e.code === 'EAGAIN') wait() }
 * ```
 */
export class TcpError extends Error {
  /** The errno name (`ECONNRESET`, …). */
  readonly code: Errno;
  /** Name of the syscall-like operation that failed (`connect`, `send`, …). */
  readonly syscall: string | undefined;
  constructor(code: Errno, message?: string, syscall?: string) {
    super(flowControlMessage(code, message));
    if (code === 'EAGAIN') Error.stackTraceLimit = savedStackTraceLimit;
    this.name = 'TcpError';
    this.code = code;
    this.syscall = syscall;
  }
}

let savedStackTraceLimit = Error.stackTraceLimit;

/**
 * EAGAIN is flow control, not a fault: callers throw and catch it on every
 * full send buffer and empty receive queue (a relay tens of thousands of times
 * a second), and its stack trace would be most of the cost of the call. It is
 * built without one (`stack` is then just the name and message).
 */
function flowControlMessage(code: Errno, message: string | undefined): string {
  if (code === 'EAGAIN') {
    savedStackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  }
  return message ?? code;
}

/** Stable reasons for {@link TcpParseError}. */
export type TcpParseErrorCode = 'TRUNCATED' | 'MALFORMED' | 'BAD_CHECKSUM';

/** The only error thrown by `TcpPacket.checked` and `TcpRepr.parse`. */
export class TcpParseError extends Error {
  readonly code: TcpParseErrorCode;
  constructor(code: TcpParseErrorCode, message: string) {
    super(message);
    this.name = 'TcpParseError';
    this.code = code;
  }
}
