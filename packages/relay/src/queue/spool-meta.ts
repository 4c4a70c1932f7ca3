/**
 * The spool's metadata file (`queue/<id>.json`): version, body length and the
 * {@link QueuedMessage}. Decoding validates every field, so a damaged or
 * foreign file is reported as `CORRUPT` instead of reaching the queue manager.
 * @module
 */
import { QueueError, type QueuedMessage, type QueuedRecipient } from './types.js';

/** Format version written into every metadata file. */
export const SPOOL_META_VERSION = 1;

/** What a metadata file holds. */
export interface SpoolMeta {
  v: typeof SPOOL_META_VERSION;
  /** Octets in `<id>.msg`; recovery checks the body against it. */
  bodyLength: number;
  msg: QueuedMessage;
}

/** Serializes metadata as UTF-8 JSON. */
export function encodeMeta(msg: QueuedMessage, bodyLength: number): Uint8Array {
  const meta: SpoolMeta = { v: SPOOL_META_VERSION, bodyLength, msg };
  return new TextEncoder().encode(JSON.stringify(meta) + '\n');
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const optStr = (x: unknown): boolean => x === undefined || isStr(x);
const STATUSES = new Set(['pending', 'sent', 'failed']);

function validRecipient(r: unknown): r is QueuedRecipient {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return (
    isStr(o['address']) &&
    STATUSES.has(o['status'] as string) &&
    optStr(o['orcpt']) &&
    optStr(o['reply']) &&
    (o['notify'] === undefined || (Array.isArray(o['notify']) && o['notify'].every(isStr)))
  );
}

/**
 * Parses and validates a metadata file.
 * @param expectId the id from the file name; the content must agree
 * @throws QueueError `CORRUPT` on anything unexpected
 */
export function decodeMeta(bytes: Uint8Array, expectId: string): SpoolMeta {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new QueueError('CORRUPT', `${expectId}.json: not JSON`, { cause: err });
  }
  const bad = (why: string): never => {
    throw new QueueError('CORRUPT', `${expectId}.json: ${why}`);
  };
  if (typeof parsed !== 'object' || parsed === null) return bad('not an object');
  const meta = parsed as Record<string, unknown>;
  if (meta['v'] !== SPOOL_META_VERSION) return bad(`unknown version ${String(meta['v'])}`);
  if (!isNum(meta['bodyLength']) || (meta['bodyLength'] as number) < 0) return bad('bad bodyLength');
  const m = meta['msg'] as Record<string, unknown> | null;
  if (typeof m !== 'object' || m === null) return bad('no msg');
  if (m['id'] !== expectId) return bad(`id ${String(m['id'])} does not match the file name`);
  if (!isStr(m['from'])) return bad('bad from');
  if (!Array.isArray(m['recipients']) || m['recipients'].length === 0 || !m['recipients'].every(validRecipient)) {
    return bad('bad recipients');
  }
  for (const k of ['size', 'arrival', 'attempts', 'nextAttempt'] as const) if (!isNum(m[k])) return bad(`bad ${k}`);
  if (m['nextAttemptWall'] !== undefined && !isNum(m['nextAttemptWall'])) return bad('bad nextAttemptWall');
  if (!optStr(m['envid']) || !optStr(m['client'])) return bad('bad envid/client');
  if (m['ret'] !== undefined && m['ret'] !== 'FULL' && m['ret'] !== 'HDRS') return bad('bad ret');
  if (m['isBounce'] !== undefined && typeof m['isBounce'] !== 'boolean') return bad('bad isBounce');
  return parsed as SpoolMeta;
}
