/**
 * `createRelay(options)`: an SMTP relay that accepts each message completely
 * and then forwards it to its next hop (thesis §3.2/§4.1), made safe to run:
 *
 * ```
 *  sender ──SMTP──▶ inbound session ──▶ store (spool | memory) ──▶ queue manager ──▶ pool ──SMTP──▶ next hop
 *                    │ relay policy        fsync before 250          backoff, DSNs       reuse, per-destination window
 *                    │ Received:, loops
 *                    └── zero-copy: the body stays in the received skbs and leaves with sendSkbs
 * ```
 *
 * Transports: `kernel` (Node's `net`) or `netlayers` (our stack, in this
 * process). Forwarding: `copy` or `zerocopy` (netlayers only). Acceptance:
 * `spool` (default), `memory` (the thesis's, lost on a crash) or `proxy`.
 *
 * @module
 */
import type { SkbCopyKinds, SkbCopyStats, SkbStats } from '@netlayers/skbuff';
import { copyStatsDelta, skbStats } from '@netlayers/skbuff';
import type { Endpoint } from './addr.js';
import { createContext, resolveOptions, type RelayContext } from './context.js';
import { RelayError } from './errors.js';
import { relayHooks } from './inbound/hooks.js';
import { KernelListener } from './inbound/kernel.js';
import type { InboundListener } from './inbound/listener.js';
import { NetlayersListener } from './inbound/netlayers.js';
import { ProxyForwarder } from './inbound/proxy.js';
import type { RelayOptions, RelayStats } from './options.js';
import { deliverTo } from './outbound/deliver.js';
import { ConnectionPool } from './outbound/pool.js';
import { QueueManager } from './queue/manager.js';
import { MemoryStore } from './queue/memory-store.js';
import { SpoolStore } from './queue/spool.js';
import type { MessageStore, QueuedMessage } from './queue/types.js';

/** A running relay. */
export interface Relay {
  /** Opens the spool (recovering queued mail), starts the queue and listens. */
  listen(): Promise<{ host: string; port: number }>;
  /** Graceful stop: 421 to sessions, in-flight transactions finish (bounded), queue stopped, spool consistent. */
  close(): Promise<void>;
  /** Counters. */
  stats(): RelayStats;
  /** Resolves when nothing is queued or being delivered (tests, benchmarks). */
  idle(): Promise<void>;
}

/** A store whose `remove` also releases a held zero-copy body. */
function withHeldRelease(store: MessageStore, ctx: RelayContext): MessageStore {
  const release = (id: string): void => {
    const h = ctx.held.get(id);
    if (h !== undefined) {
      ctx.held.delete(id);
      ctx.heldBytes -= h.truesize;
      h.free();
    }
  };
  return {
    kind: store.kind,
    begin: () => store.begin(),
    recover: () => store.recover(),
    readBody: (m) => store.readBody(m),
    update: async (m) => {
      // a deferred message in spool mode waits on disk, not in skbs
      if (store.kind === 'spool') release(m.id);
      await store.update(m);
    },
    remove: async (m) => {
      release(m.id);
      await store.remove(m);
    },
  };
}

class RelayImpl implements Relay {
  private readonly ctx: RelayContext;
  private store: MessageStore | undefined;
  private queue: QueueManager | undefined;
  private listener: InboundListener | undefined;
  private readonly pool: ConnectionPool;
  private readonly copyBase: number;
  private readonly copyKindsBase: SkbCopyStats;
  private state: 'new' | 'listening' | 'closed' = 'new';

  constructor(options: RelayOptions) {
    const r = resolveOptions(options);
    this.ctx = createContext(options, r);
    this.pool = new ConnectionPool({
      transport: r.transport,
      stack: r.stack,
      timers: r.timers,
      clientName: r.hostname,
      connectTimeoutMs: r.connectTimeoutMs,
      reuseMs: r.connectionReuseMs,
      meter: this.ctx.counters,
      outboundTls: r.outboundTls,
      ...(r.outboundTlsOptions !== undefined ? { tlsOptions: r.outboundTlsOptions } : {}),
    });
    this.copyBase = copied(skbStats());
    this.copyKindsBase = skbCopyStats();
  }

  async listen(): Promise<{ host: string; port: number }> {
    if (this.state !== 'new') throw new RelayError('ERR_RELAY_STATE', `listen() on a ${this.state} relay`);
    this.state = 'listening';
    const ctx = this.ctx;
    const o = ctx.o;
    const base: MessageStore =
      o.accept === 'spool' ? await SpoolStore.open(o.spool!, { fsync: o.fsync }) : new MemoryStore({ maxBytes: o.maxHeldBytes });
    const store = withHeldRelease(base, ctx);
    this.store = store;
    const queue = new QueueManager({
      store,
      timers: o.timers,
      hostname: o.hostname,
      logger: o.logger,
      destinationOf: (rcpt) => ctx.router.key(rcpt),
      destinationConcurrency: o.destinationConcurrency,
      minBackoffMs: o.minBackoffMs,
      maxBackoffMs: o.maxBackoffMs,
      queueLifetimeMs: o.queueLifetimeMs,
      deliver: (msg, rcpts, body) => this.deliver(msg, rcpts, body),
    });
    this.queue = queue;
    await queue.start();
    const proxy = o.accept === 'proxy' ? new ProxyForwarder(ctx, this.pool) : undefined;
    const hooks = relayHooks({ ctx, store, queue, proxy });
    this.listener = o.transport === 'kernel' ? new KernelListener(ctx, hooks) : new NetlayersListener(ctx, hooks);
    const ep: Endpoint = await this.listener.listen();
    o.logger.info({ listen: `${ep.host}:${ep.port}`, transport: o.transport, forward: o.forward, accept: o.accept, nextHop: `${ctx.router.smarthost.host}:${ctx.router.smarthost.port}` }, 'relay listening');
    return { host: ep.host, port: ep.port };
  }

  private async deliver(msg: QueuedMessage, rcpts: QueuedMessage['recipients'], body: () => AsyncIterable<Uint8Array>) {
    const ep = this.ctx.router.route(rcpts[0]!.address);
    const held = this.ctx.held.get(msg.id);
    const res = await deliverTo(this.pool, ep, msg, rcpts, held, body);
    if (res.recipients.some((r) => r.outcome === 'sent')) this.ctx.counters.bytesForwarded += msg.size;
    return res;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasListening = this.state === 'listening';
    this.state = 'closed';
    if (!wasListening) return;
    await this.listener?.close(5000);
    await this.queue?.stop();
    await this.pool.close();
    for (const [id, h] of this.ctx.held) {
      this.ctx.held.delete(id);
      h.free();
    }
    this.ctx.heldBytes = 0;
    this.ctx.o.logger.info({ status: 'stopped' }, 'relay stopped');
  }

  idle(): Promise<void> {
    return this.queue?.idle() ?? Promise.resolve();
  }

  stats(): RelayStats {
    const c = this.ctx.counters;
    const q = this.queue?.stats;
    return {
      connections: c.connections,
      received: c.received,
      rejected: c.rejected,
      delivered: q?.delivered ?? 0,
      deferred: q?.deferred ?? 0,
      bounced: q?.bounced ?? 0,
      queued: q?.queued ?? 0,
      bytesReceived: c.bytesReceived,
      bytesForwarded: c.bytesForwarded,
      bytesCopied: copied(skbStats()) - this.copyBase,
      ...copyDelta(this.copyKindsBase),
      headerBytesCopied: c.headerBytesCopied,
      socketBytesCopied: c.socketBytesCopied,
    };
  }
}

function skbCopyStats(): SkbCopyStats {
  const s = skbStats();
  return { bytesCopied: s.bytesCopied, payloadBytesCopied: s.payloadBytesCopied, copies: s.copies };
}

function copyDelta(base: SkbCopyStats): { payloadBytesCopied: number; copies: SkbCopyKinds } {
  const d = copyStatsDelta(base, skbCopyStats());
  return { payloadBytesCopied: d.payloadBytesCopied, copies: { ...d.copies } };
}

function copied(s: SkbStats): number {
  return s.bytesCopied;
}

/**
 * Creates a relay (not yet listening).
 * @throws RelayError `ERR_RELAY_CONFIG` on invalid options; TypeError on a non-object
 * @example
 * ```ts
 * const relay = createRelay({ listen: '127.0.0.1:2525', nextHop: '127.0.0.1:2526', accept: 'spool', spool: '/var/spool/nl' });
 * await relay.listen();
 * ```
 */
export function createRelay(options: RelayOptions): Relay {
  return new RelayImpl(options);
}
