/**
 * Outbound SMTP connections, per destination, with reuse: a greeted
 * `ClientSession` is returned to the pool after a transaction and kept for
 * `reuseMs` (Postfix's `smtp_connection_cache_time_limit`), then QUIT. The
 * number of connections per destination is bounded by the queue manager's
 * concurrency window, so the pool only caches.
 *
 * Two transports: `kernel` (`node:net`, replies read as bytes) and
 * `netlayers` (an {@link SkbConn} on our stack; bodies can go out as skbs).
 *
 * @module
 */
import net from 'node:net';
import type { TimerHandle, TimerService } from '@netlayers/clock';
import { countSkbCopy, type SkBuff } from '@netlayers/skbuff';
import { attachClientSession, ClientSession, clientStartTls } from '@netlayers/smtp-protocol';
import type { TcpStack } from '@netlayers/tcp';
import type { Endpoint } from '../addr.js';
import { formatEndpoint } from '../addr.js';
import { RelayError } from '../errors.js';
import { SkbConn } from '../zerocopy/skb-conn.js';
import { SkbConnTransport, type TlsUpgrade } from '../zerocopy/skb-conn-tls.js';

/** One greeted connection to a next hop. */
export interface OutboundConn {
  readonly key: string;
  readonly session: ClientSession;
  /** Zero-copy body output (netlayers only): queues skbs, resolves once handed to TCP. */
  readonly sendSkbs: ((skbs: SkBuff[]) => Promise<void>) | undefined;
  /** The bytes of skbs through the session's transport (a copy: e.g. encrypted after STARTTLS), skbs freed; netlayers only. */
  readonly writeSkbBytes?: ((skbs: SkBuff[]) => Promise<void>) | undefined;
  /** Transactions carried so far. */
  uses: number;
  /** Closes at once (no QUIT). */
  destroy(): void;
}

/** Options of {@link ConnectionPool}. */
export interface PoolOptions {
  transport: 'kernel' | 'netlayers';
  stack?: TcpStack | undefined;
  timers: TimerService;
  clientName: string;
  connectTimeoutMs: number;
  reuseMs: number;
  /** Most transactions per connection before it is retired (Postfix `smtp_connection_reuse_count_limit`). */
  maxUses?: number;
  /** Copy meter of the netlayers connections. */
  meter?: { socketBytesCopied: number };
  /** STARTTLS to the next hop: `off`, `opportunistic` (when offered; cleartext if refused or failing), `require` (else deferred). */
  outboundTls?: 'off' | 'opportunistic' | 'require';
  /** Trust for outbound TLS. */
  tlsOptions?: { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean };
}

interface Idle {
  conn: OutboundConn;
  timer: TimerHandle;
}

export class ConnectionPool {
  private readonly idle = new Map<string, Idle[]>();
  private readonly live = new Set<OutboundConn>();
  private closed = false;

  constructor(private readonly o: PoolOptions) {}

  /** Connections open (idle or busy). */
  get size(): number {
    return this.live.size;
  }

  /** An idle connection to `ep`, or a new greeted one. @throws on connection failure or a negative greeting */
  async acquire(ep: Endpoint): Promise<OutboundConn> {
    if (this.closed) throw new RelayError('ERR_RELAY_STATE', 'relay is closing');
    const key = formatEndpoint(ep);
    const list = this.idle.get(key);
    while (list !== undefined && list.length > 0) {
      const i = list.pop()!;
      i.timer.cancel();
      if (i.conn.session.state !== 'Closed') return i.conn;
      this.drop(i.conn);
    }
    const mode = this.o.outboundTls ?? 'off';
    try {
      return await this.open(ep, key, mode);
    } catch (e) {
      // opportunistic TLS that fails in the handshake: once more in cleartext (Postfix `may`)
      if (mode === 'opportunistic' && e instanceof RelayError && e.code === 'ERR_RELAY_TLS') return this.open(ep, key, 'off');
      throw e;
    }
  }

  private async open(ep: Endpoint, key: string, mode: 'off' | 'opportunistic' | 'require'): Promise<OutboundConn> {
    const conn = this.o.transport === 'kernel' ? await this.connectKernel(ep, key) : await this.connectNetlayers(ep, key);
    this.live.add(conn);
    try {
      const greeting = await conn.session.greet();
      if (greeting.code !== 250 && greeting.code !== 220) throw new RelayError('ERR_RELAY_CONNECT', `${key} greeted ${greeting.code}`);
      if (mode !== 'off') await this.startTls(conn, key, mode);
    } catch (e) {
      this.drop(conn);
      throw e;
    }
    return conn;
  }

  /** STARTTLS on a greeted connection per `mode`. @throws RelayError `ERR_RELAY_TLS` when required and impossible, or the handshake failed */
  private async startTls(conn: OutboundConn, key: string, mode: 'opportunistic' | 'require'): Promise<void> {
    const s = conn.session;
    if (!s.has('STARTTLS')) {
      if (mode === 'require') throw new RelayError('ERR_RELAY_TLS', `TLS is required, but was not offered by ${key}`);
      return;
    }
    try {
      await s.startTls();
    } catch (e) {
      const refused = (e as { reply?: { code: number } }).reply !== undefined && s.state !== 'Closed';
      if (refused && mode === 'opportunistic') return; // e.g. 454: stay in cleartext
      throw new RelayError('ERR_RELAY_TLS', `STARTTLS with ${key} failed: ${(e as Error).message}`);
    }
  }

  /** Returns a connection after a transaction (`reusable` false closes it). */
  release(conn: OutboundConn, reusable: boolean): void {
    conn.uses++;
    if (this.closed || !reusable || conn.session.state === 'Closed' || conn.uses >= (this.o.maxUses ?? 100)) {
      void this.quit(conn);
      return;
    }
    const timer = this.o.timers.setTimeout(() => {
      const l = this.idle.get(conn.key);
      if (l !== undefined) {
        const at = l.findIndex((x) => x.conn === conn);
        if (at >= 0) l.splice(at, 1);
      }
      void this.quit(conn);
    }, this.o.reuseMs);
    let l = this.idle.get(conn.key);
    if (l === undefined) this.idle.set(conn.key, (l = []));
    l.push({ conn, timer });
  }

  /** QUITs every idle connection; busy ones are closed when released. */
  async close(): Promise<void> {
    this.closed = true;
    const all: Promise<void>[] = [];
    for (const l of this.idle.values()) {
      for (const i of l) {
        i.timer.cancel();
        all.push(this.quit(i.conn));
      }
    }
    this.idle.clear();
    await Promise.all(all);
  }

  private async quit(conn: OutboundConn): Promise<void> {
    try {
      if (conn.session.state !== 'Closed') await conn.session.quit();
    } catch {
      // the peer went away: nothing to do
    } finally {
      this.drop(conn);
    }
  }

  private drop(conn: OutboundConn): void {
    this.live.delete(conn);
    conn.destroy();
  }

  private connectKernel(ep: Endpoint, key: string): Promise<OutboundConn> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host: ep.host, port: ep.port });
      sock.setNoDelay(true);
      const timer = this.o.timers.setTimeout(() => {
        sock.destroy();
        reject(new RelayError('ERR_RELAY_CONNECT', `connect to ${key} timed out`));
      }, this.o.connectTimeoutMs);
      sock.once('error', (e) => {
        timer.cancel();
        reject(new RelayError('ERR_RELAY_CONNECT', `connect to ${key}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
      });
      sock.once('connect', () => {
        timer.cancel();
        sock.removeAllListeners('error');
        sock.on('error', () => {}); // reported to the session as a lost connection
        const session = attachClientSession(sock, {
          timers: this.o.timers,
          clientName: this.o.clientName,
          startTls: this.clientTls(ep),
        });
        resolve({ key, session, sendSkbs: undefined, uses: 0, destroy: () => sock.destroy() });
      });
    });
  }

  private async connectNetlayers(ep: Endpoint, key: string): Promise<OutboundConn> {
    const stack = this.o.stack;
    if (stack === undefined) throw new RelayError('ERR_RELAY_CONFIG', 'netlayers transport without a stack');
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.o.timers.setTimeout(() => reject(new RelayError('ERR_RELAY_CONNECT', `connect to ${key} timed out`)), this.o.connectTimeoutMs);
    });
    let conn: SkbConn;
    try {
      conn = await Promise.race([SkbConn.connect(stack, ep.host, ep.port, { zeroCopy: false, ...(this.o.meter !== undefined ? { meter: this.o.meter } : {}) }), timeout]);
    } catch (e) {
      throw e instanceof RelayError ? e : new RelayError('ERR_RELAY_CONNECT', `connect to ${key}: ${(e as { code?: string }).code ?? String(e)}`);
    } finally {
      timer?.cancel();
    }
    let session: ClientSession | undefined;
    // STARTTLS (opportunistic or required) continues on Node's tls over the same socket;
    // a secured connection sends bodies as bytes, never skbs
    const transport = new SkbConnTransport(
      conn,
      stack,
      {
        data: (views) => session!.receive(views),
        end: () => session!.receiveEnd(),
        close: () => session!.receiveEnd(),
      },
      this.clientTls(ep),
    );
    session = new ClientSession({ transport, timers: this.o.timers, clientName: this.o.clientName });
    return {
      key,
      session,
      sendSkbs: (skbs) => {
        if (transport.secure) {
          for (const x of skbs) x.free();
          return Promise.reject(new RelayError('ERR_RELAY_STATE', 'skbs cannot be sent on a TLS connection'));
        }
        conn.writeSkbs(skbs);
        return conn.drained();
      },
      writeSkbBytes: async (skbs) => {
        try {
          for (const x of skbs) {
            for (const v of x.chunks()) {
              countSkbCopy(x, v.length); // the stream keeps the bytes past the skb's life: a copy, metered
              if (!transport.write(v.slice())) await transport.whenWritable();
            }
          }
        } finally {
          for (const x of skbs) x.free();
        }
      },
      uses: 0,
      destroy: () => {
        if (transport.secure || !conn.isClosed) transport.close();
      },
    };
  }

  /** The STARTTLS upgrade of an outbound stream to `ep` (server name, CA, verification per `tlsOptions`). */
  private clientTls(ep: Endpoint): TlsUpgrade {
    const t = this.o.tlsOptions ?? {};
    return clientStartTls({
      ...(net.isIP(ep.host) === 0 ? { servername: ep.host } : {}),
      ...(t.ca !== undefined ? { ca: t.ca } : {}),
      rejectUnauthorized: t.rejectUnauthorized ?? false,
    });
  }
}
