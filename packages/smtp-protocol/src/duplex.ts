/**
 * Generic stream adapter: runs a {@link ServerSession} or {@link ClientSession}
 * over any Node-style Duplex (`node:net` sockets, `tls` sockets, or
 * `@netlayers/tcp`'s net-compatible sockets). This is the only I/O glue; the
 * sessions themselves never touch a socket.
 *
 * @module
 */
import type { TimerService } from '@netlayers/clock';
import { ClientSession, type ClientSessionOptions } from './client-session.js';
import { SmtpError } from './errors.js';
import { ServerSession, type ServerSessionOptions, type SessionTransport } from './server-session.js';

/** The subset of `stream.Duplex` the adapters use. */
export interface DuplexLike {
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  destroy(err?: Error): unknown;
  pause(): unknown;
  resume(): unknown;
  on(event: 'data', cb: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', cb: () => void): unknown;
  on(event: 'close', cb: () => void): unknown;
  on(event: 'error', cb: (err: Error) => void): unknown;
  once(event: 'drain' | 'close', cb: () => void): unknown;
  removeListener(event: string, cb: (...args: never[]) => void): unknown;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** Octets queued for writing (`stream.writableLength`), for the reply-buffer bound. */
  readonly writableLength?: number | undefined;
  /** `stream.writableNeedDrain`: false once a full buffer has drained (no 'drain' is coming). */
  readonly writableNeedDrain?: boolean | undefined;
}

/**
 * Default time (ms) a closing server connection may take to flush its last
 * replies before it is destroyed (a peer that never reads cannot hold it).
 */
export const CLOSE_GRACE_MS = 10_000;

/** Options of {@link attachServerSession}. */
export type AttachServerOptions = Omit<ServerSessionOptions, 'transport' | 'timers'> & {
  /** Timer service (the adapter's caller usually passes `realClock`). */
  readonly timers: TimerService;
  /**
   * Upgrades the stream to TLS for STARTTLS (RFC 3207) and returns the
   * decrypted stream. When absent, STARTTLS is not offered.
   */
  readonly startTls?: (stream: DuplexLike) => Promise<DuplexLike>;
  /** After the session closed, ms to wait for unsent replies before destroying the stream (default {@link CLOSE_GRACE_MS}). */
  readonly closeGrace?: number;
};

/** A promise that settles on the stream's next `drain` or `close`. */
function drained(stream: DuplexLike): Promise<void> {
  // already drained (the 'drain' of an earlier false write has fired): waiting would hang
  if (stream.writableNeedDrain === false) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      stream.removeListener('drain', done);
      stream.removeListener('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

/**
 * Ends `stream`; if replies are still queued (a peer that does not read),
 * destroys it after `graceMs` on `timers` unless it closed by then.
 */
export function endWithGrace(stream: DuplexLike, timers: TimerService, graceMs: number): void {
  stream.end();
  if ((stream.writableLength ?? 0) === 0) return;
  const t = timers.setTimeout(() => stream.destroy(), graceMs);
  stream.once('close', () => t.cancel());
}

interface Binding {
  stream: DuplexLike;
  onData: (c: Uint8Array) => void;
  onEnd: () => void;
  onClose: () => void;
  onError: (e: Error) => void;
}

function bind(stream: DuplexLike, h: { data(c: Uint8Array): void; end(): void; error(e: Error): void }): Binding {
  const b: Binding = {
    stream,
    onData: (c) => h.data(c),
    onEnd: () => h.end(),
    onClose: () => h.end(),
    onError: (e) => h.error(e),
  };
  stream.on('data', b.onData);
  stream.on('end', b.onEnd);
  stream.on('close', b.onClose);
  stream.on('error', b.onError);
  return b;
}

function unbind(b: Binding): void {
  b.stream.removeListener('data', b.onData);
  b.stream.removeListener('end', b.onEnd);
  b.stream.removeListener('close', b.onClose);
  b.stream.removeListener('error', b.onError);
}

/**
 * Serves SMTP on `stream`: creates a {@link ServerSession}, wires data/end and
 * back-pressure, sends the greeting, and returns the session.
 */
export function attachServerSession(stream: DuplexLike, options: AttachServerOptions): ServerSession {
  let current = stream;
  let closed = false;
  let binding: Binding;
  const grace = options.closeGrace ?? CLOSE_GRACE_MS;
  const transport: SessionTransport = {
    // Output back-pressure (RFC-agnostic): `false` stops the session consuming input until drain.
    write: (d) => (closed ? true : current.write(d)),
    whenWritable: () => drained(current),
    pendingBytes: () => current.writableLength ?? 0,
    close: () => {
      if (closed) return;
      closed = true;
      endWithGrace(current, options.timers, grace);
    },
    pause: () => current.pause(),
    resume: () => current.resume(),
  };
  const startTls = options.startTls;
  if (startTls !== undefined) {
    transport.startTls = async () => {
      unbind(binding);
      const upgraded = await startTls(current);
      current = upgraded;
      binding = bind(upgraded, handlers);
      current.resume();
    };
  }
  const { startTls: _omit, closeGrace: _g, ...rest } = options;
  void _omit;
  void _g;
  const remote: { address?: string; port?: number } = {};
  if (stream.remoteAddress !== undefined) remote.address = stream.remoteAddress;
  if (stream.remotePort !== undefined) remote.port = stream.remotePort;
  const session = new ServerSession({ remote, ...rest, transport });
  const handlers = {
    data: (c: Uint8Array) => session.receive(c),
    end: () => {
      if (session.state !== 'Closed') session.receiveEnd();
      if (!closed) {
        closed = true;
        current.end();
      }
    },
    error: (e: Error) => {
      session.destroy(new SmtpError('ERR_SMTP_CONNECTION_CLOSED', e.message));
      closed = true;
      current.destroy();
    },
  };
  binding = bind(stream, handlers);
  session.start();
  return session;
}

/** Options of {@link attachClientSession}. */
export type AttachClientOptions = Omit<ClientSessionOptions, 'transport'> & {
  /**
   * Upgrades the stream to TLS for {@link ClientSession.startTls} (RFC 3207)
   * and returns the decrypted stream, e.g. `clientStartTls({ servername })`.
   */
  readonly startTls?: (stream: DuplexLike) => Promise<DuplexLike>;
};

/** Runs a {@link ClientSession} over `stream`. Call `greet()` next. */
export function attachClientSession(stream: DuplexLike, options: AttachClientOptions): ClientSession {
  let closed = false;
  let current = stream;
  const transport: SessionTransport = {
    write: (d) => (closed ? true : current.write(d)),
    whenWritable: () => drained(current),
    close: () => {
      if (closed) return;
      closed = true;
      current.end();
    },
    pause: () => current.pause(),
    resume: () => current.resume(),
  };
  const { startTls, ...sessionOptions } = options;
  if (startTls !== undefined) {
    transport.startTls = async () => {
      unbind(binding);
      current = await startTls(current);
      binding = bind(current, handlers);
      current.resume();
    };
  }
  const session = new ClientSession({ ...sessionOptions, transport });
  const handlers = {
    data: (c: Uint8Array) => session.receive(c),
    end: () => {
      session.receiveEnd();
      if (!closed) {
        closed = true;
        current.end();
      }
    },
    error: (e: Error) => {
      session.destroy(new SmtpError('ERR_SMTP_CONNECTION_CLOSED', e.message, { code: 451, enhanced: '4.4.2', lines: [e.message] }));
      closed = true;
      current.destroy();
    },
  };
  let binding = bind(stream, handlers);
  return session;
}
