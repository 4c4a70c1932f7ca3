/**
 * Inbound SMTP on our own stack: a listening `TcpSock`, one {@link SkbConn}
 * and `ServerSession` per accepted connection. In zero-copy mode the session
 * is fed the received skbs' payload views with an {@link SkbOwner}, so the
 * body can be taken over as skbs; in copy mode it gets bytes copied out of
 * the skbs (`tcpRecvmsg`), like a relay on kernel sockets. With a key and
 * certificate, STARTTLS is offered: Node's `tls` over a `node:net`-compatible
 * stream of the same socket ({@link SkbConnTransport}); a secured session's
 * bodies are copied.
 * @module
 */
import tls from 'node:tls';
import { serverStartTls, ServerSession, type ServerHooks } from '@netlayers/smtp-protocol';
import { inetAccept, inetBind, inetListen, parseIpv4, tcpClose, type TcpSock } from '@netlayers/tcp';
import type { Endpoint } from '../addr.js';
import type { RelayContext } from '../context.js';
import { RelayError } from '../errors.js';
import { SkbConn } from '../zerocopy/skb-conn.js';
import { SkbConnTransport, type TlsUpgrade } from '../zerocopy/skb-conn-tls.js';
import { ConnectionLimits } from './limits.js';
import type { InboundListener } from './listener.js';

const enc = new TextEncoder();

export class NetlayersListener implements InboundListener {
  readonly sessions = new Set<ServerSession>();
  private readonly transports = new Set<SkbConnTransport>();
  private readonly limits: ConnectionLimits;
  private readonly upgrade: TlsUpgrade | undefined;
  private lsk: TcpSock | null = null;
  private acceptScheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly ctx: RelayContext,
    private readonly hooks: ServerHooks,
  ) {
    this.limits = new ConnectionLimits(ctx);
    const t = ctx.o.tls;
    this.upgrade = t !== undefined ? serverStartTls(tls.createSecureContext({ key: t.key, cert: t.cert })) : undefined;
  }

  listen(): Promise<Endpoint> {
    const stack = this.ctx.o.stack;
    if (stack === undefined) throw new RelayError('ERR_RELAY_CONFIG', 'netlayers transport without a stack');
    const { host, port } = this.ctx.o.listen;
    const sk = stack.newSock();
    inetBind(sk, host === '0.0.0.0' ? 0 : parseIpv4(host), port);
    inetListen(sk, 511);
    sk.onAcceptReady = () => this.scheduleAccept();
    this.lsk = sk;
    return Promise.resolve({ host, port: sk.lport });
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
        this.serve(child);
      }
    });
  }

  private serve(child: TcpSock): void {
    const o = this.ctx.o;
    const conn = new SkbConn(child, { zeroCopy: o.forward === 'zerocopy', meter: this.ctx.counters });
    const addr = conn.remoteAddress;
    const refusal = this.limits.admit(addr);
    if (refusal !== undefined) {
      conn.write(enc.encode(refusal));
      conn.close();
      return;
    }
    let session: ServerSession | undefined;
    const transport = new SkbConnTransport(
      conn,
      o.stack!,
      {
        data: (views, owner) => session!.receive(views, owner),
        end: () => session!.receiveEnd(),
        close: () => {
          this.transports.delete(transport);
          this.limits.leave(addr);
          session!.destroy();
          if (this.transports.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        },
      },
      this.upgrade,
    );
    this.transports.add(transport);
    session = new ServerSession({
      transport,
      timers: o.timers,
      hostname: o.hostname,
      size: o.maxSize,
      remote: { address: addr, port: conn.remotePort },
      hooks: {
        ...this.hooks,
        onClose: (s) => {
          this.sessions.delete(s);
          transport.close();
        },
      },
    });
    this.sessions.add(session);
    session.start();
  }

  close(graceMs: number): Promise<void> {
    if (this.lsk !== null) {
      tcpClose(this.lsk);
      this.lsk = null;
    }
    for (const s of [...this.sessions]) s.drain();
    if (this.transports.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = this.ctx.o.timers.setTimeout(() => {
        for (const tr of [...this.transports]) tr.destroy();
      }, graceMs);
      this.idleWaiters.push(() => {
        t.cancel();
        resolve();
      });
    });
  }
}
