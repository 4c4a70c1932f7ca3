/**
 * Before-queue (proxy) acceptance, like Postfix's `smtpd_proxy_filter` or
 * Haraka's `smtp_proxy`: nothing is stored. The message goes to the next hop
 * while the sender waits, and the sender's final reply is the next hop's
 * reply to the same content — so nothing is lost whatever fails: a failure
 * to reach the next hop is a 451 4.4.1 the sender retries.
 *
 * All recipients of a transaction must share one next hop (the RCPT hook
 * answers 451 4.5.3 otherwise). When the next hop accepts some recipients and
 * refuses others, the sender gets 250 for the accepted ones' sake and the
 * refusals are logged — the one case where a proxy cannot mirror per-recipient
 * replies after DATA (Postfix's proxy has the same limit).
 *
 * With `copy` forwarding the content is streamed: the next hop's transaction
 * starts once our header section is read (loop detection needs it), and each
 * chunk goes on as it arrives through a bounded {@link BodyChannel}; a sender
 * that fails mid-body (552 size, lost connection) makes the outbound side end
 * its connection without the terminating dot, so the next hop keeps nothing.
 * With `zerocopy` forwarding the same happens with skbs: slices of the received
 * skbs go to the next hop with `sendSkbs` as they arrive (a {@link LiveSkbBody});
 * a BDAT-received body is held until its end (the next hop needs its size).
 * @module
 */
import { reject, type Envelope, type ServerSession, type SmtpResponse } from '@netlayers/smtp-protocol';
import type { RelayContext } from '../context.js';
import { deliverTo, type LiveSkbBody } from '../outbound/deliver.js';
import type { ConnectionPool } from '../outbound/pool.js';
import type { QueuedMessage } from '../queue/types.js';
import type { HeldBody } from '../zerocopy/held-body.js';
import { BodyChannel, BoundedChannel } from './body-channel.js';

let proxySeq = 0;

export class ProxyForwarder {
  constructor(
    private readonly ctx: RelayContext,
    private readonly pool: ConnectionPool,
  ) {}

  /**
   * Sends one message to its next hop and turns the outcome into the sender's reply.
   * @param content the content after our `Received:` line: views, or a live stream ({@link BodyChannel})
   * @param size content octets including the header when known, else an estimate (logs only)
   */
  async forward(
    env: Envelope,
    header: Uint8Array,
    content: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
    held: HeldBody | undefined,
    session: ServerSession,
    size: number,
    live?: LiveSkbBody,
  ): Promise<SmtpResponse> {
    const first = env.to[0];
    if (first === undefined) return reject(554, '5.5.1', 'No valid recipients');
    const ep = this.ctx.router.route(first.address);
    const id = `P${(++proxySeq).toString(16).toUpperCase()}`;
    const msg: QueuedMessage = {
      id,
      from: env.from,
      recipients: env.to.map((r) => ({ address: r.address, status: 'pending' as const })),
      size,
      arrival: Date.now(),
      attempts: 0,
      nextAttempt: 0,
      client: `${session.clientName ?? 'unknown'}[${session.remote.address ?? 'unknown'}]`,
    };
    const stored = async function* (): AsyncGenerator<Uint8Array> {
      yield header;
      yield* content;
    };
    let result;
    try {
      result = await deliverTo(this.pool, ep, msg, msg.recipients, held, stored, live);
    } catch (e) {
      this.ctx.o.logger.warn({ queueId: id, relay: `${ep.host}:${ep.port}`, status: 'deferred', reply: String((e as Error).message) }, 'proxy: next hop unreachable');
      return reject(451, '4.4.1', 'Next hop unreachable, try again later');
    }
    const sent = result.recipients.filter((r) => r.outcome === 'sent');
    for (const r of result.recipients) {
      this.ctx.o.logger.info({ queueId: id, to: r.address, relay: r.remoteMta, status: r.outcome === 'sent' ? 'sent' : r.outcome === 'failed' ? 'bounced' : 'deferred', reply: r.reply, mode: 'proxy' }, 'proxy delivery');
    }
    if (sent.length > 0) {
      this.ctx.counters.bytesForwarded += content instanceof BodyChannel ? header.length + content.pushed : live?.batches instanceof BoundedChannel ? header.length + live.batches.pushed : msg.size;
      return { code: 250, enhanced: '2.0.0', message: `Ok: ${sent[0]!.reply}`.slice(0, 400) };
    }
    const r0 = result.recipients[0]!;
    const m = /^(\d{3})(?:[ -](\d\.\d{1,3}\.\d{1,3}))?\s*(.*)$/.exec(r0.reply);
    const code = m !== null ? Number(m[1]) : 451;
    return reject(code >= 400 && code < 600 ? code : 451, m?.[2] ?? (code >= 500 ? '5.0.0' : '4.0.0'), m?.[3] ?? r0.reply);
  }
}
