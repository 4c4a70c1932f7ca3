/**
 * Turning failed recipients into a queued DSN: read back the original's
 * header section (and, for RET=FULL up to `bounceSizeLimit`, its body), build
 * the RFC 3464 report and commit it to the store as a new message from `<>`
 * to the original reverse-path, flagged `isBounce` so it is never bounced
 * again.
 * @module
 */
import { buildDsn, type DsnRecipient } from './dsn.js';
import type { MessageStore, QueuedMessage } from './types.js';

/** Header sections longer than this are truncated in the returned headers. */
export const MAX_RETURNED_HEADER_BYTES = 1024 * 1024;

/** Whether a recipient asked for failure DSNs (RFC 3461 §4.1: absent NOTIFY means FAILURE,DELAY). */
export function wantsFailureDsn(notify: readonly string[] | undefined): boolean {
  if (notify === undefined || notify.length === 0) return true;
  return notify.some((k) => k.toUpperCase() === 'FAILURE');
}

/** Index just past the empty line ending the header section, or -1 if not found in `b`. */
function headerEnd(b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 10) continue;
    if (i >= 1 && b[i - 1] === 10) return i + 1;
    if (i >= 3 && b[i - 1] === 13 && b[i - 2] === 10 && b[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** Reads the original's header section (and the body when `full`). */
async function readOriginal(
  store: MessageStore,
  msg: QueuedMessage,
  full: boolean,
): Promise<{ headers: Uint8Array; body?: Uint8Array }> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of store.readBody(msg)) {
    chunks.push(c);
    total += c.length;
    if (!full && total >= MAX_RETURNED_HEADER_BYTES) break;
    // At most MAX_RETURNED_HEADER_BYTES / chunk size re-scans: bounded work.
    if (!full && headerEnd(Buffer.concat(chunks)) >= 0) break;
  }
  const all = Buffer.concat(chunks);
  const end = headerEnd(all);
  const hEnd = end >= 0 ? end : Math.min(all.length, MAX_RETURNED_HEADER_BYTES);
  const headers = all.subarray(0, hEnd);
  return full ? { headers, body: all.subarray(hEnd) } : { headers };
}

export interface CreateBounceOptions {
  store: MessageStore;
  hostname: string;
  original: QueuedMessage;
  recipients: DsnRecipient[];
  /** Wall-clock ms now. */
  now: number;
  /** RET=FULL returns the whole message only up to this size (Postfix `bounce_size_limit`, 50 000). */
  bounceSizeLimit: number;
}

/**
 * Builds the DSN for `recipients` of `original` and commits it to the store.
 * @returns the committed DSN message (not yet handed to the queue manager)
 * @throws QueueError from the store (the caller keeps the recipients pending and retries)
 */
export async function createBounce(o: CreateBounceOptions): Promise<QueuedMessage> {
  const full = o.original.ret === 'FULL' && o.original.size <= o.bounceSizeLimit;
  const { headers, body } = await readOriginal(o.store, o.original, full);
  const dsn = buildDsn({
    reportingMta: o.hostname,
    original: o.original,
    originalHeaders: headers,
    ...(body !== undefined ? { originalBody: body } : {}),
    recipients: o.recipients,
    arrival: o.original.arrival,
    now: o.now,
  });
  const writer = o.store.begin();
  try {
    await writer.write(dsn);
    return await writer.commit({
      from: '',
      recipients: [{ address: o.original.from, status: 'pending' }],
      size: dsn.length,
      arrival: o.now,
      isBounce: true,
    });
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
