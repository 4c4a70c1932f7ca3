/**
 * The queue's log lines: one structured line per event, keyed by queue id,
 * with Postfix's field names so operators can grep them the same way:
 *
 * ```
 * 0192F3A4B5C6000012AB: from=<a@example.org>, size=1234, nrcpt=2 (queued)
 * 0192F3A4B5C6000012AB: to=<b@example.net>, relay=mx.example.net[198.18.0.9]:25, delay=0.12, delays=0/0.01/0.03/0.08, dsn=2.0.0, status=sent (250 2.0.0 ok)
 * 0192F3A4B5C6000012AB: removed
 * ```
 * @module
 */

/** The logger the queue writes to (pino-compatible). */
export interface QueueLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A recipient event: delivered, deferred or bounced. */
export interface DeliveryLogFields {
  queueId: string;
  to: string;
  /** `host[ip]:port` of the next hop, or `none` when no connection was made. */
  relay: string;
  /** Seconds since arrival. */
  delay: number;
  /** `a/b/c/d` seconds: before the queue manager / in the queue / connection setup / transmission. */
  delays?: string;
  /** RFC 3463 status. */
  dsn: string;
  status: 'sent' | 'deferred' | 'bounced';
  reply: string;
}

/** Milliseconds as seconds with at most two decimals (Postfix's precision). */
export function seconds(ms: number): number {
  return Math.round(Math.max(0, ms) / 10) / 100;
}

/** A no-op logger. */
export const silentLogger: QueueLogger = { info() {}, warn() {}, error() {} };

/** Logs one recipient event. */
export function logDelivery(log: QueueLogger, f: DeliveryLogFields): void {
  const delays = f.delays !== undefined ? `, delays=${f.delays}` : '';
  log.info(
    f,
    `${f.queueId}: to=<${f.to}>, relay=${f.relay}, delay=${f.delay}${delays}, dsn=${f.dsn}, status=${f.status} (${f.reply})`,
  );
}

/** Logs a message entering the queue manager. */
export function logQueued(log: QueueLogger, queueId: string, from: string, size: number, nrcpt: number): void {
  log.info({ queueId, from, size, nrcpt, status: 'queued' }, `${queueId}: from=<${from}>, size=${size}, nrcpt=${nrcpt} (queued)`);
}

/** Logs a message leaving the store. */
export function logRemoved(log: QueueLogger, queueId: string): void {
  log.info({ queueId, status: 'removed' }, `${queueId}: removed`);
}
