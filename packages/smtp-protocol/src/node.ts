/**
 * `node:net` adapters: {@link createServer} (an SMTP server) and
 * {@link sendMail} / {@link connect} (an SMTP client). These are the only
 * parts of the package that perform I/O; they use `realClock` from
 * `@netlayers/clock` for RFC 5321 timers unless given another TimerService.
 *
 * @module
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { realClock, type TimerService } from '@netlayers/clock';
import { attachClientSession, attachServerSession, CLOSE_GRACE_MS, endWithGrace, type AttachServerOptions, type DuplexLike } from './duplex.js';
import { ConnectionLimiter, type ConnectionLimits } from './connection-limits.js';
import type { ClientSession, ClientSessionOptions, MessageBody, OutgoingEnvelope, SendResult } from './client-session.js';
import { formatReceivedHeader, type ServerHooks, type ServerSession } from './server-session.js';
import type { SmtpReply } from './reply.js';
import { SmtpError } from './errors.js';

/** Options of {@link createServer}: session options plus hooks (top-level or in `hooks`). */
export interface CreateServerOptions extends Omit<AttachServerOptions, 'timers' | 'startTls' | 'hooks'>, ServerHooks, ConnectionLimits {
  /** Hooks object (merged with top-level hooks; top-level wins). */
  readonly hooks?: ServerHooks;
  /** Timer service (default `realClock`). */
  readonly timers?: TimerService;
  /** TLS context options; when given, STARTTLS is offered (RFC 3207). */
  readonly tls?: tls.SecureContextOptions;
  /** Prepend an RFC 5321 §4.4 `Received:` header to every body (default true). */
  readonly addReceivedHeader?: boolean;
}

/** A running SMTP server. */
export interface SmtpServer {
  /** Starts listening; resolves with the bound address once listening. */
  listen(port: number, host?: string): Promise<{ port: number; host: string }>;
  /** Sends 421 to every session, stops listening and resolves when all connections closed. */
  close(): Promise<void>;
  /** The bound address (after listen). */
  address(): { port: number; host: string } | undefined;
  /** Live sessions. */
  readonly sessions: ReadonlySet<ServerSession>;
  /** The underlying `net.Server`. */
  readonly server: net.Server;
  /** Admission control (`maxConnections`, `maxConnectionsPerClient`): live counts. */
  readonly connections: ConnectionLimiter;
}

/**
 * The STARTTLS upgrade of a server-side stream (RFC 3207) for
 * `attachServerSession({ startTls })`: wraps `stream` in a server
 * `tls.TLSSocket` and resolves with it once the handshake is done.
 */
export function serverStartTls(secureContext: tls.SecureContext): (stream: DuplexLike) => Promise<DuplexLike> {
  return (stream) =>
    new Promise<DuplexLike>((resolve, reject) => {
      const t = new tls.TLSSocket(stream as net.Socket, { isServer: true, secureContext });
      t.once('secure', () => resolve(t));
      t.once('error', reject);
    });
}

/**
 * The STARTTLS upgrade of a client-side stream (RFC 3207) for
 * `attachClientSession({ startTls })` and {@link ClientSession.startTls}:
 * `tls.connect` over the same socket; resolves once the handshake is done and
 * the certificate checked (per `options`: `servername`, `ca`,
 * `rejectUnauthorized`…). Rejects on a handshake or verification error.
 */
export function clientStartTls(options: tls.ConnectionOptions = {}): (stream: DuplexLike) => Promise<DuplexLike> {
  return (stream) =>
    new Promise<DuplexLike>((resolve, reject) => {
      const t = tls.connect({ ...options, socket: stream as net.Socket });
      t.once('secureConnect', () => resolve(t));
      t.once('error', reject);
    });
}

let idSeq = 0;

/**
 * Creates an SMTP server over `node:net`.
 *
 * @example
 * ```ts
 * const server = createServer({ hostname: 'mx.example', size: 10 << 20,
 *   async onData(msg) { for await (const chunk of msg) store(chunk); } });
 * await server.listen(2525, '127.0.0.1');
 * ```
 */
export function createServer(options: CreateServerOptions = {}): SmtpServer {
  const hooks: ServerHooks = { ...(options.hooks ?? {}) };
  for (const k of ['onConnect', 'onEhlo', 'onMailFrom', 'onRcptTo', 'onData', 'onClose'] as const) {
    const h = options[k];
    if (h !== undefined) (hooks as Record<string, unknown>)[k] = h;
  }
  const sessions = new Set<ServerSession>();
  const sockets = new Set<net.Socket>();
  const timers = options.timers ?? realClock;
  const secureContext = options.tls !== undefined ? tls.createSecureContext(options.tls) : undefined;
  const {
    hooks: _h, timers: _t, tls: _tls, addReceivedHeader,
    onConnect: _a, onEhlo: _b, onMailFrom: _c, onRcptTo: _d, onData: _e, onClose: _f,
    maxConnections: _m, maxConnectionsPerClient: _p,
    ...sessionOpts
  } = options;
  void _h; void _t; void _tls; void _a; void _b; void _c; void _d; void _e; void _f; void _m; void _p;
  const limiter = new ConnectionLimiter(options);
  const userClose = hooks.onClose;
  const hostname = options.hostname ?? 'localhost';
  const received =
    options.receivedHeader ??
    ((addReceivedHeader ?? true)
      ? (s: ServerSession) =>
          formatReceivedHeader({
            from: s.clientName ?? 'unknown',
            fromAddress: s.remote.address,
            by: hostname,
            with: (s.esmtp ? 'ESMTP' : 'SMTP') + (s.secure ? 'S' : ''),
            id: `nl${(++idSeq).toString(36)}`,
            date: new Date(),
          })
      : undefined);
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const addr = socket.remoteAddress ?? '';
    const refusal = limiter.admit(addr, hostname);
    if (refusal !== undefined) {
      // Over the connection limits: 421 without a session (Postfix does the same), then close.
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.write(refusal);
      endWithGrace(socket, timers, options.closeGrace ?? CLOSE_GRACE_MS);
      return;
    }
    socket.on('close', () => {
      sockets.delete(socket);
      limiter.leave(addr);
    });
    const opts: AttachServerOptions = {
      ...sessionOpts,
      timers,
      hostname,
      hooks: {
        ...hooks,
        onClose: (s, reason) => {
          sessions.delete(s);
          userClose?.(s, reason);
        },
      },
      ...(received !== undefined ? { receivedHeader: received } : {}),
      ...(secureContext !== undefined
        ? {
            startTls: serverStartTls(secureContext),
          }
        : {}),
    };
    const session = attachServerSession(socket, opts);
    if (session.state !== 'Closed') sessions.add(session);
  });
  let bound: { port: number; host: string } | undefined;
  return {
    server,
    sessions,
    connections: limiter,
    address: () => bound,
    listen(port: number, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.removeListener('error', reject);
          const a = server.address() as net.AddressInfo;
          bound = { port: a.port, host: a.address };
          resolve(bound);
        });
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const s of [...sessions]) s.shutdown();
        server.close(() => resolve());
        // Connections that ignore the 421 are destroyed after a grace period.
        const t = setTimeout(() => {
          for (const so of sockets) so.destroy();
        }, 2000);
        t.unref();
        if (sockets.size === 0) clearTimeout(t);
      });
    },
  };
}

/** Options of {@link connect}. */
export interface ConnectOptions extends Omit<ClientSessionOptions, 'transport' | 'timers'> {
  readonly host: string;
  readonly port: number;
  /** Timer service (default `realClock`). */
  readonly timers?: TimerService;
}

/**
 * Opens a TCP connection to an SMTP server, waits for the greeting and sends
 * EHLO. Use the returned session for any number of `send()` calls, then `quit()`.
 */
export async function connect(options: ConnectOptions): Promise<ClientSession> {
  const { host, port, timers, ...rest } = options;
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port }, () => {
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', (e) => reject(new SmtpError('ERR_SMTP_CONNECTION_CLOSED', e.message, { code: 451, enhanced: '4.4.2', lines: [e.message] })));
  });
  socket.setNoDelay(true);
  const session = attachClientSession(socket, { ...rest, timers: timers ?? realClock });
  try {
    await session.greet();
  } catch (e) {
    socket.destroy();
    throw e;
  }
  return session;
}

/** Options of {@link sendMail}. */
export interface SendMailOptions extends ConnectOptions {
  readonly envelope: OutgoingEnvelope;
  readonly body: MessageBody;
}

/**
 * Connects, sends one message, QUITs, and resolves to the server's final reply
 * (the reply to the end of data).
 * @throws SmtpReplyError (`ERR_SMTP_REJECTED`) with `.reply` when the server refuses;
 *   SmtpError with `.reply` 451 on connection loss or timeout.
 */
export async function sendMail(options: SendMailOptions): Promise<SmtpReply> {
  return (await sendMailDetailed(options)).reply;
}

/** Like {@link sendMail} but resolves with accepted/rejected recipients too. */
export async function sendMailDetailed(options: SendMailOptions): Promise<SendResult> {
  const { envelope, body, ...conn } = options;
  const session = await connect(conn);
  let result: SendResult;
  try {
    result = await session.send(envelope, body);
  } catch (e) {
    if (session.state !== 'Closed') await session.quit().catch(() => undefined);
    throw e;
  }
  await session.quit().catch(() => undefined);
  return result;
}
