/**
 * The relay's SMTP server hooks: relay access control at RCPT (554 5.7.1 for
 * anyone outside `mynetworks` writing to a domain outside `relayDomains`),
 * and the acceptance of a message body according to the policy:
 *
 * - `spool`: the content (with our `Received:` line) is written to the spool
 *   and committed (fsync, rename, fsync of the directory) **before** the 250;
 *   a storage failure answers 452 4.3.1 and leaves nothing behind.
 * - `memory`: the content is kept in memory (the thesis's relay; lost on a
 *   crash), bounded by `maxHeldBytes` (452 4.3.1 beyond).
 * - `proxy`: nothing is stored; the body goes to the next hop before we
 *   answer, and the sender gets the next hop's reply.
 *
 * In `zerocopy` forwarding the body is taken over as the received skbs
 * (`IncomingMessage.takeRaw()`), sliced to the exact body range without a
 * copy; in `copy` forwarding the unstuffed content views are kept (memory) or
 * written (spool). Loop detection counts `Received:` fields in the header
 * section (more than `hopCountLimit` → 554 5.4.6).
 *
 * @module
 */
import {
  reject,
  SmtpError,
  type BufferOwner,
  type IncomingMessage,
  type ServerHooks,
  type ServerSession,
  type SmtpResponse,
} from '@netlayers/smtp-protocol';
import type { SkBuff } from '@netlayers/skbuff';
import type { TcpStack } from '@netlayers/tcp';
import type { RelayContext } from '../context.js';
import type { QueueManager } from '../queue/manager.js';
import { QueueError, type MessageStore, type QueuedMessage, type StoreWriter } from '../queue/types.js';
import { formatReceived, HopCounter } from '../trace.js';
import { HeldBody } from '../zerocopy/held-body.js';
import { SkbOwner } from '../zerocopy/skb-owner.js';
import { skbSlice } from '../zerocopy/slice.js';
import { BodyChannel, BoundedChannel } from './body-channel.js';
import type { LiveSkbBody } from '../outbound/deliver.js';
import type { ProxyForwarder } from './proxy.js';

const enc = new TextEncoder();

/** What the hooks need besides the shared context. */
export interface HookDeps {
  ctx: RelayContext;
  store: MessageStore;
  queue: QueueManager;
  proxy: ProxyForwarder | undefined;
}

function storageReply(e: unknown): SmtpResponse {
  if (e instanceof QueueError && (e.code === 'ENOSPC' || e.code === 'QUEUE_FULL')) return reject(452, '4.3.1', 'Insufficient system storage');
  return reject(451, '4.3.0', 'Local error in processing');
}

/** Builds the server hooks of one relay. */
export function relayHooks(d: HookDeps): ServerHooks {
  const { ctx } = d;
  return {
    onRcptTo(address: string, _params, session: ServerSession) {
      if (!ctx.policy.mayRelay(session.remote.address, address)) {
        return reject(554, '5.7.1', `<${address}>: Relay access denied`);
      }
      if (d.proxy !== undefined) {
        const env = session.envelope;
        const first = env?.to[0];
        if (first !== undefined && ctx.router.key(first.address) !== ctx.router.key(address)) {
          return reject(451, '4.5.3', 'Recipients for another next hop: send them in a separate transaction');
        }
      }
      return undefined;
    },
    async onData(message: IncomingMessage, session: ServerSession) {
      const res = await acceptBody(d, message, session);
      if (res.code >= 400) ctx.counters.rejected++;
      return res;
    },
  };
}

interface Taken {
  /** Our Received: line. */
  header: Uint8Array;
  /** Content views (copy) — unstuffed, header not included. */
  views: Uint8Array[];
  /** Zero-copy body. */
  held: HeldBody | undefined;
  /** Content octets incl. header (RFC 1870 count). */
  size: number;
  hops: number;
}

/** Our `Received:` line for this message. */
function receivedHeader(d: HookDeps, message: IncomingMessage, session: ServerSession, id: string): Uint8Array {
  const to = message.envelope.to;
  return enc.encode(
    formatReceived({
      helo: session.clientName ?? 'unknown',
      address: session.remote.address,
      by: d.ctx.o.hostname,
      with: (session.esmtp ? 'ESMTP' : 'SMTP') + (session.secure ? 'S' : ''),
      id,
      for: to.length === 1 ? to[0]!.address : undefined,
      date: new Date(),
    }),
  );
}

/** Counts `Received:` fields in the first `limit` octets of content (Postfix's `header_size_limit`). */
class BoundedHops {
  private readonly hop = new HopCounter();
  private seen = 0;
  constructor(private readonly limit: number) {}
  /** Feeds a chunk; true once the header section (or the limit) is behind us. */
  push(chunk: Uint8Array): boolean {
    if (this.done) return true;
    const n = Math.min(chunk.length, this.limit - this.seen);
    this.hop.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    this.seen += n;
    return this.done;
  }
  get done(): boolean {
    return this.hop.done || this.seen >= this.limit;
  }
  get count(): number {
    return this.hop.count;
  }
}

function loopReply(hops: number): SmtpResponse {
  return reject(554, '5.4.6', `Too many hops (${hops} Received: headers): mail loop`);
}

/**
 * Before-queue proxying with copy forwarding: the next hop's transaction starts once the
 * header section has been read (loop detection), then every chunk goes on as it arrives
 * through a bounded channel; the sender's reply is the next hop's.
 */
async function proxyStream(d: HookDeps, proxy: ProxyForwarder, message: IncomingMessage, session: ServerSession): Promise<SmtpResponse> {
  const { ctx } = d;
  const o = ctx.o;
  const header = receivedHeader(d, message, session, 'proxy');
  const hops = new BoundedHops(o.headerSizeLimit);
  const ch = new BodyChannel(o.proxyBufferBytes);
  const early: Uint8Array[] = [];
  let size = header.length;
  let forwarding: Promise<SmtpResponse> | undefined;
  let loop = false;
  const start = async (): Promise<void> => {
    forwarding = proxy.forward(message.envelope, header, ch, undefined, session, header.length + (message.size ?? 0));
    void forwarding.finally(() => ch.close()); // a next hop that answered early reads no more
    for (const c of early) await ch.push(c);
    early.length = 0;
  };
  try {
    for await (const chunk of message) {
      size += chunk.length;
      if (loop) continue; // read to the end; the reply is 554
      if (forwarding !== undefined) {
        await ch.push(chunk);
        continue;
      }
      early.push(chunk);
      if (hops.push(chunk)) {
        if (hops.count > o.hopCountLimit) loop = true;
        else await start();
      }
    }
  } catch (e) {
    ch.fail(e); // the outbound side ends its connection without the dot
    await forwarding?.catch(() => undefined);
    throw e;
  }
  ctx.counters.bytesReceived += size;
  if (!loop && hops.count > o.hopCountLimit) loop = true;
  if (loop) {
    ch.fail(new Error('mail loop'));
    return loopReply(hops.count);
  }
  if (forwarding === undefined) await start();
  ch.end();
  const r = await forwarding!;
  if (r.code < 300) ctx.counters.received++;
  return r;
}

/** Appends to `out` the slices of the received skb behind a raw body segment (no copy). */
function sliceSegment(seg: { bytes: Uint8Array; owner?: BufferOwner | undefined }, stack: TcpStack, out: SkBuff[]): void {
  const owner = seg.owner;
  const off = owner instanceof SkbOwner ? owner.locate(seg.bytes) : -1;
  if (!(owner instanceof SkbOwner) || off < 0) throw new SmtpError('ERR_SMTP_ABORTED', 'zero-copy body segment without its skb');
  skbSlice(owner.skb, off, seg.bytes.length, { pool: stack.pool, headroom: stack.maxTcpHeader }, out);
}

const skbsLen = (b: SkBuff[]): number => b.reduce((n, x) => n + x.len, 0);
const freeAll = (b: SkBuff[]): void => {
  for (const x of b) x.free();
};

/**
 * Before-queue proxying with zero-copy forwarding: the body's slices of the received
 * skbs go to the next hop with `sendSkbs` as they arrive (after the header section, for
 * loop detection), through a bounded channel of skb batches; our `Received:` line is
 * its own skb in front. The sender's reply is the next hop's.
 */
async function proxyStreamSkbs(d: HookDeps, proxy: ProxyForwarder, message: IncomingMessage, session: ServerSession): Promise<SmtpResponse> {
  const { ctx } = d;
  const o = ctx.o;
  const stack = o.stack!;
  const header = receivedHeader(d, message, session, 'proxy');
  const live: LiveSkbBody = {
    header: HeldBody.headerSkb(header, stack.maxTcpHeader, stack.pool),
    batches: new BoundedChannel<SkBuff[]>(o.proxyBufferBytes, skbsLen, freeAll),
    headerTaken: false,
  };
  ctx.counters.headerBytesCopied += header.length;
  const ch = live.batches as BoundedChannel<SkBuff[]>;
  const hops = new BoundedHops(o.headerSizeLimit);
  const early: SkBuff[] = [];
  let size = header.length;
  let forwarding: Promise<SmtpResponse> | undefined;
  let loop = false;
  const start = async (): Promise<void> => {
    forwarding = proxy.forward(message.envelope, header, [], undefined, session, header.length + (message.size ?? 0), live);
    void forwarding.finally(() => ch.close());
    if (early.length > 0) await ch.push(early.splice(0));
  };
  try {
    for await (const seg of message.takeRaw()) {
      const batch: SkBuff[] = [];
      try {
        size += seg.bytes.length;
        if (!loop) {
          sliceSegment(seg, stack, batch);
        }
      } catch (e) {
        freeAll(batch);
        throw e;
      } finally {
        seg.owner?.release();
      }
      if (loop) continue;
      if (forwarding !== undefined) {
        await ch.push(batch);
        continue;
      }
      early.push(...batch);
      if (hops.push(seg.bytes)) {
        if (hops.count > o.hopCountLimit) {
          loop = true;
          freeAll(early.splice(0));
        } else await start();
      }
    }
  } catch (e) {
    freeAll(early.splice(0));
    ch.fail(e); // the outbound side ends its connection without the dot
    if (forwarding !== undefined) await forwarding.catch(() => undefined);
    if (!live.headerTaken) live.header.free();
    throw e;
  }
  ctx.counters.bytesReceived += size;
  if (!loop && forwarding === undefined && hops.count > o.hopCountLimit) loop = true;
  if (loop) {
    freeAll(early.splice(0));
    ch.fail(new Error('mail loop'));
    live.header.free(); // no transaction was started
    return loopReply(hops.count);
  }
  if (forwarding === undefined) await start();
  ch.end();
  const r = await forwarding!;
  if (!live.headerTaken) live.header.free(); // the next hop refused before the body
  if (r.code < 300) ctx.counters.received++;
  return r;
}

async function takeBody(d: HookDeps, message: IncomingMessage, session: ServerSession, id: string): Promise<Taken> {
  const o = d.ctx.o;
  const header = receivedHeader(d, message, session, id);
  const hop = new BoundedHops(o.headerSizeLimit);
  // a session secured with STARTTLS has decrypted copies, not skbs: its body is copied
  if (o.forward === 'zerocopy' && !session.secure) {
    const stack = o.stack!;
    const skbs: SkBuff[] = [];
    let wire = 0;
    try {
      for await (const seg of message.takeRaw()) {
        try {
          if (!hop.done) hop.push(seg.bytes);
          wire += seg.bytes.length;
          sliceSegment(seg, stack, skbs);
        } finally {
          seg.owner?.release();
        }
      }
    } catch (e) {
      for (const s of skbs) s.free();
      throw e;
    }
    const hdr = HeldBody.headerSkb(header, stack.maxTcpHeader, stack.pool);
    d.ctx.counters.headerBytesCopied += header.length;
    const kind = message.transfer === 'BDAT' ? 'binary' : 'dot-stuffed';
    const size = header.length + (message.size ?? wire);
    return { header, views: [], held: new HeldBody(kind, hdr, skbs, size), size, hops: hop.count };
  }
  const views: Uint8Array[] = [];
  let size = header.length;
  for await (const chunk of message) {
    if (!hop.done) hop.push(chunk);
    views.push(chunk);
    size += chunk.length;
  }
  return { header, views, held: undefined, size, hops: hop.count };
}

async function acceptBody(d: HookDeps, message: IncomingMessage, session: ServerSession): Promise<SmtpResponse> {
  const { ctx, store } = d;
  const o = ctx.o;
  const env = message.envelope;
  let writer: StoreWriter | undefined;
  let taken: Taken | undefined;
  if (d.proxy !== undefined && (o.forward !== 'zerocopy' || session.secure)) return proxyStream(d, d.proxy, message, session);
  // a BDAT-received body is held until its end: the next hop's BDAT needs its size
  if (d.proxy !== undefined && message.transfer !== 'BDAT') return proxyStreamSkbs(d, d.proxy, message, session);
  try {
    if (o.accept !== 'proxy') writer = store.begin();
    taken = await takeBody(d, message, session, writer?.id ?? 'proxy');
    ctx.counters.bytesReceived += taken.size;
    if (taken.hops > o.hopCountLimit) throw Object.assign(new Error('loop'), { reply: loopReply(taken.hops) });
    if (taken.held !== undefined && ctx.heldBytes + taken.held.truesize > o.maxHeldBytes && o.accept !== 'spool') {
      throw new QueueError('QUEUE_FULL', `held bodies would exceed maxHeldBytes ${o.maxHeldBytes}`);
    }
    if (d.proxy !== undefined) {
      const r = await d.proxy.forward(env, taken.header, taken.views, taken.held, session, taken.size);
      taken.held?.free();
      if (r.code < 300) ctx.counters.received++;
      return r;
    }
    const w = writer!;
    if (o.accept === 'spool' || taken.held === undefined) {
      await w.write(taken.header);
      if (taken.held !== undefined) {
        let first = true;
        for (const v of taken.held.contentViews()) {
          if (first) {
            first = false; // the header, written above
            continue;
          }
          await w.write(v);
        }
      } else {
        for (const v of taken.views) await w.write(v);
      }
    }
    const meta: Omit<QueuedMessage, 'id' | 'attempts' | 'nextAttempt'> = {
      from: env.from,
      recipients: env.to.map((r) => {
        const notify = r.params['NOTIFY'];
        const orcpt = r.params['ORCPT'];
        return {
          address: r.address,
          status: 'pending' as const,
          ...(typeof notify === 'string' ? { notify: notify.split(',') } : {}),
          ...(typeof orcpt === 'string' ? { orcpt } : {}),
        };
      }),
      size: taken.size,
      arrival: Date.now(),
      ...(env.envid !== undefined ? { envid: env.envid } : {}),
      ...(env.ret !== undefined ? { ret: env.ret } : {}),
      client: `${session.clientName ?? 'unknown'}[${session.remote.address ?? 'unknown'}]`,
    };
    const msg = await w.commit(meta);
    writer = undefined;
    if (taken.held !== undefined) {
      ctx.held.set(msg.id, taken.held);
      ctx.heldBytes += taken.held.truesize;
      taken.held = undefined;
    }
    ctx.counters.received++;
    d.queue.enqueue(msg);
    return { code: 250, enhanced: '2.0.0', message: `Ok: queued as ${msg.id}` };
  } catch (e) {
    taken?.held?.free();
    if (writer !== undefined) await writer.abort().catch(() => undefined);
    const rep = (e as { reply?: SmtpResponse }).reply;
    if (rep !== undefined && typeof rep.code === 'number' && !(e instanceof SmtpError)) return rep;
    if (e instanceof SmtpError) throw e; // the session answers size / syntax / connection errors itself
    ctx.o.logger.error({ err: String(e), code: (e as { code?: string }).code }, 'message not accepted');
    return storageReply(e);
  }
}
