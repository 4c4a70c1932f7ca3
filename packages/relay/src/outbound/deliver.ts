/**
 * One delivery attempt: a message's recipients for one next hop go out on a
 * pooled connection, and the next hop's replies become per-recipient outcomes
 * for the queue manager (2yz sent, 4yz deferred, 5yz failed; a lost
 * connection defers everyone). A held zero-copy body goes out as clones of
 * its skbs (`sendSkbs`), so a retry still has the originals.
 * @module
 */
import { SmtpError, SmtpReplyError, formatReply, type ClientSession, type SmtpReply } from '@netlayers/smtp-protocol';
import type { Endpoint } from '../addr.js';
import type { DeliveryResult } from '../queue/manager.js';
import type { QueuedMessage, QueuedRecipient } from '../queue/types.js';
import type { SkBuff } from '@netlayers/skbuff';
import { RelayError } from '../errors.js';
import type { HeldBody } from '../zerocopy/held-body.js';
import type { ConnectionPool, OutboundConn } from './pool.js';

type SendBody = Parameters<ClientSession['send']>[1];

function replyText(r: SmtpReply): string {
  return formatReply(r).replace(/\r\n$/, '').replace(/\r\n/g, ' / ');
}

function outcomeOf(code: number): 'sent' | 'deferred' | 'failed' {
  return code >= 200 && code < 300 ? 'sent' : code >= 500 ? 'failed' : 'deferred';
}

/**
 * A dot-stuffed body still arriving (zero-copy proxying): our `Received:` line as its own
 * skb, then batches of the inbound skbs' slices as they come, through the final `CRLF.CRLF`.
 * The first `write` takes `header` (sets `headerTaken`); the batches are taken as sent.
 */
export interface LiveSkbBody {
  readonly header: SkBuff;
  readonly batches: AsyncIterable<SkBuff[]>;
  headerTaken: boolean;
}

/** A {@link LiveSkbBody} as a raw DATA body: skbs by `sendSkbs` on cleartext, their bytes through TLS otherwise. */
function liveBody(conn: OutboundConn, live: LiveSkbBody): SendBody {
  const zeroCopy = conn.sendSkbs !== undefined && !conn.session.tlsActive;
  const out = zeroCopy ? conn.sendSkbs! : conn.writeSkbBytes;
  if (out === undefined) throw new RelayError('ERR_RELAY_STATE', 'a streamed zero-copy body needs the netlayers transport');
  return {
    encoding: 'dot-stuffed',
    write: async () => {
      live.headerTaken = true;
      await out([live.header]);
      for await (const batch of live.batches) await out(batch);
    },
  };
}

/** The body argument for `ClientSession.send`: zero-copy skbs when held and possible, else the stored content. */
function bodyFor(conn: OutboundConn, held: HeldBody | undefined, stored: () => AsyncIterable<Uint8Array>, live?: LiveSkbBody): SendBody {
  if (live !== undefined) return liveBody(conn, live);
  // zero-copy applies to cleartext hops: a connection secured with STARTTLS gets bytes
  if (held !== undefined && conn.sendSkbs !== undefined && !conn.session.tlsActive && (held.kind === 'dot-stuffed' || conn.session.has('CHUNKING'))) {
    const send = conn.sendSkbs;
    return {
      encoding: held.kind,
      size: held.size,
      write: () => send(held.cloneSkbs()),
    };
  }
  if (held !== undefined) return held.contentViews();
  return stored();
}

/**
 * Delivers `recipients` of `msg` to `ep`.
 * @returns per-recipient outcomes; throws only for connection-level failures (the caller defers)
 */
export async function deliverTo(
  pool: ConnectionPool,
  ep: Endpoint,
  msg: QueuedMessage,
  recipients: readonly QueuedRecipient[],
  held: HeldBody | undefined,
  stored: () => AsyncIterable<Uint8Array>,
  live?: LiveSkbBody,
): Promise<DeliveryResult> {
  const conn = await pool.acquire(ep);
  const relay = conn.key;
  const mailParams: Record<string, string> = {};
  if (msg.envid !== undefined) mailParams['ENVID'] = msg.envid;
  if (msg.ret !== undefined) mailParams['RET'] = msg.ret;
  const rcptParams: Record<string, Record<string, string>> = {};
  for (const r of recipients) {
    const p: Record<string, string> = {};
    if (r.notify !== undefined) p['NOTIFY'] = r.notify.join(',');
    if (r.orcpt !== undefined) p['ORCPT'] = r.orcpt;
    if (Object.keys(p).length > 0) rcptParams[r.address] = p;
  }
  const envelope = {
    from: msg.from,
    to: recipients.map((r) => r.address),
    ...(Object.keys(mailParams).length > 0 ? { mailParams } : {}),
    ...(Object.keys(rcptParams).length > 0 ? { rcptParams } : {}),
  };
  let reusable = true;
  try {
    const res = await conn.session.send(envelope, bodyFor(conn, held, stored, live));
    const rejected = new Map(res.rejected.map((r) => [r.address, r.reply]));
    return {
      recipients: recipients.map((r) => {
        const rep = rejected.get(r.address) ?? res.reply;
        return { address: r.address, outcome: outcomeOf(rep.code), reply: replyText(rep), remoteMta: relay };
      }),
    };
  } catch (e) {
    if (e instanceof SmtpReplyError && e.reply !== undefined && e.command !== 'connection') {
      const rep = e.reply;
      const outcome = outcomeOf(rep.code);
      return { recipients: recipients.map((r) => ({ address: r.address, outcome, reply: replyText(rep), remoteMta: relay })) };
    }
    reusable = false;
    if (e instanceof SmtpError) {
      const rep = e.reply;
      const text = rep !== undefined ? replyText(rep) : `4.4.2 ${e.message}`;
      return { recipients: recipients.map((r) => ({ address: r.address, outcome: 'deferred' as const, reply: `lost connection with ${relay}: ${text}`, remoteMta: relay })) };
    }
    throw e;
  } finally {
    pool.release(conn, reusable);
  }
}
