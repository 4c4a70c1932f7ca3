/**
 * Queue ids: 12 hex digits of wall-clock milliseconds, 4 of a per-process
 * sequence and 4 of a per-process random salt, all uppercase (20 characters).
 * Ids of one generator sort by creation time (the sequence breaks ties within
 * a millisecond and the time never goes backwards); the salt keeps ids of two
 * processes apart.
 * @module
 */
import { randomBytes } from 'node:crypto';

/** A function returning a fresh queue id on each call. */
export type QueueIdGenerator = () => string;

/** Ids this long: `TTTTTTTTTTTTSSSSRRRR`. */
export const QUEUE_ID_LENGTH = 20;

const ID_RE = /^[0-9A-F]{20}$/;

/** True if `s` is a well-formed queue id (also keeps ids safe as file names). */
export function isQueueId(s: string): boolean {
  return ID_RE.test(s);
}

/**
 * Creates a queue id generator.
 * @param wallClock wall-clock ms since the epoch (default `Date.now`)
 */
export function createQueueIdGenerator(wallClock: () => number = Date.now): QueueIdGenerator {
  const salt = randomBytes(2).toString('hex').toUpperCase();
  let lastMs = 0;
  let seq = 0;
  return () => {
    let ms = Math.max(Math.floor(wallClock()), lastMs);
    if (ms === lastMs) {
      if (++seq > 0xffff) {
        ms++; // more than 65536 ids in one ms: borrow the next millisecond
        seq = 0;
      }
    } else {
      seq = 0;
    }
    lastMs = ms;
    return (
      ms.toString(16).padStart(12, '0').toUpperCase() + seq.toString(16).padStart(4, '0').toUpperCase() + salt
    );
  };
}
