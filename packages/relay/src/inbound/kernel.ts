/**
 * Inbound SMTP on Node's `net` (the thesis's user-mode relay): one
 * `ServerSession` per socket via `attachServerSession`, STARTTLS through
 * Node's `tls` when a key and certificate are configured.
 * @module
 */
import net from 'node:net';
import tls from 'node:tls';
import { attachServerSession, serverStartTls, type ServerHooks, type ServerSession } from '@netlayers/smtp-protocol';
import type { Endpoint } from '../addr.js';
import type { RelayContext } from '../context.js';
import { ConnectionLimits } from './limits.js';
import type { InboundListener } from './listener.js';

export class KernelListener implements InboundListener {
  readonly sessions = new Set<ServerSession>();
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  private readonly limits: ConnectionLimits;

  constructor(
    private readonly ctx: RelayContext,
    hooks: ServerHooks,
  ) {
    this.limits = new ConnectionLimits(ctx);
    const o = ctx.o;
    const secureContext = o.tls !== undefined ? tls.createSecureContext({ key: o.tls.key, cert: o.tls.cert }) : undefined;
    this.server = net.createServer((socket) => {
      const addr = socket.remoteAddress;
      const refusal = this.limits.admit(addr);
      if (refusal !== undefined) {
        socket.on('error', () => {});
        socket.end(refusal);
        return;
      }
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => {});
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.limits.leave(addr);
      });
      const session = attachServerSession(socket, {
        timers: o.timers,
        hostname: o.hostname,
        size: o.maxSize,
        hooks: {
          ...hooks,
          onClose: (s) => {
            this.sessions.delete(s);
          },
        },
        ...(secureContext !== undefined ? { startTls: serverStartTls(secureContext) } : {}),
      });
      if (session.state !== 'Closed') this.sessions.add(session);
    });
  }

  listen(): Promise<Endpoint> {
    const { host, port } = this.ctx.o.listen;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.removeListener('error', reject);
        const a = this.server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  close(graceMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      for (const s of [...this.sessions]) s.drain();
      const t = this.ctx.o.timers.setTimeout(() => {
        for (const so of this.sockets) so.destroy();
      }, graceMs);
      this.server.close(() => {
        t.cancel();
        resolve();
      });
      if (this.sockets.size === 0) t.cancel();
    });
  }
}
