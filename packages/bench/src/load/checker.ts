/**
 * The receiver's integrity check: a streaming parser over a received message
 * that sets aside the leading `Received:` trace fields (the relay's own,
 * RFC 5321 §4.4), reads the message's `X-Bench-Seq`, and hashes its header
 * block and its body separately, so they can be compared with what the sender
 * sent (its header block, and the hash of the shared body variant).
 *
 * Bound: at most {@link MAX_HEAD} octets are buffered while looking for the
 * end of the header block; beyond it the message counts as corrupt.
 * @module
 */
import { createHash, type Hash } from 'node:crypto';

/** Largest header section (trace fields included) the checker buffers. */
export const MAX_HEAD = 64 * 1024;

/** Hash algorithm of every body check (native, fast). */
export const HASH = 'sha1';

/** What the checker found in one message. */
export interface CheckedMessage {
  /** `X-Bench-Seq` value, or -1 if absent or the head was malformed. */
  seq: number;
  /** Leading `Received:` fields set aside. */
  received: number;
  /** Hash of the header block after the trace fields (through the empty line). */
  headHash: string;
  /** Hash of the body. */
  bodyHash: string;
  /** Octets of the message, trace fields included. */
  octets: number;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** Streaming check of one message: `push(chunk)` for every chunk, then `finish()`. */
export class MessageChecker {
  private head: Buffer[] = [];
  private headLen = 0;
  private inBody = false;
  private readonly headH: Hash = createHash(HASH);
  private readonly bodyH: Hash = createHash(HASH);
  private seq = -1;
  private received = 0;
  private octets = 0;
  private bad = false;

  /** Feeds the next chunk of content (views are not retained past the call, except head bytes). */
  push(chunk: Uint8Array): void {
    this.octets += chunk.length;
    if (this.inBody) {
      this.bodyH.update(chunk);
      return;
    }
    if (this.bad) return;
    this.head.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.headLen += chunk.length;
    const all = this.head.length === 1 ? (this.head[0] as Buffer) : Buffer.concat(this.head, this.headLen);
    const end = all.indexOf(CRLFCRLF);
    if (end < 0) {
      if (this.headLen > MAX_HEAD) {
        this.bad = true;
        this.head = [];
      } else if (this.head.length > 1) this.head = [Buffer.from(all)];
      else this.head = [Buffer.from(all)]; // copy: the chunk's memory may be reused
      return;
    }
    this.inBody = true;
    this.head = [];
    this.parseHead(all.subarray(0, end + 4));
    this.bodyH.update(all.subarray(end + 4));
  }

  private parseHead(head: Buffer): void {
    // Set aside leading Received: fields with their folded continuation lines.
    let off = 0;
    for (;;) {
      if (head.length - off < 9 || head.toString('latin1', off, off + 9).toLowerCase() !== 'received:') break;
      this.received++;
      let eol = head.indexOf('\r\n', off);
      while (eol >= 0 && (head[eol + 2] === 0x20 || head[eol + 2] === 0x09)) eol = head.indexOf('\r\n', eol + 2);
      if (eol < 0) {
        this.bad = true;
        return;
      }
      off = eol + 2;
    }
    const rest = head.subarray(off);
    this.headH.update(rest);
    const m = /\r\nX-Bench-Seq: (\d+)\r\n/.exec('\r\n' + rest.toString('latin1'));
    if (m !== null) this.seq = Number(m[1]);
  }

  /** Ends the message and returns what was found. */
  finish(): CheckedMessage {
    if (!this.inBody) this.bad = true;
    return {
      seq: this.bad ? -1 : this.seq,
      received: this.received,
      headHash: this.headH.digest('hex'),
      bodyHash: this.bodyH.digest('hex'),
      octets: this.octets,
    };
  }
}

/** Hash of a buffer (or of a header block and a body, concatenated) with {@link HASH}. */
export function hashOf(...parts: Uint8Array[]): string {
  const h = createHash(HASH);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}
