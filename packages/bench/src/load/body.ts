/**
 * Deterministic e-mail generation for the load generator: seeded, realistic
 * text (76-character lines of words, CRLF), with some lines starting with '.'
 * so the relay's dot-stuffing and unstuffing paths are exercised. A message
 * is a small per-message header block (carrying its sequence number) and a
 * body shared by every message of one size and variant, so the sender never
 * builds a 10MB message in the measured loop.
 * @module
 */

const WORDS = (
  'the relay accepts each message completely before it forwards it to the next hop and the ' +
  'kernel copies every byte twice on its way through user space while a zero copy path hands ' +
  'received buffers straight to the outbound connection mail server network buffer socket ' +
  'checksum segment window queue header body sender receiver latency throughput thesis'
).split(' ');

/** Length of a body line without its CRLF (RFC 5322 §2.1.1 recommends ≤ 78). */
export const LINE_LENGTH = 76;

/** A small seeded PRNG (mulberry32): the same seed gives the same text everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * makeBody - `size` octets of text in 76-character CRLF lines (the last line
 * may be shorter), about one line in 40 starting with '.'.
 * @param size octets, ≥ 3
 * @param seed PRNG seed
 */
export function makeBody(size: number, seed: number): Buffer {
  if (!Number.isInteger(size) || size < 3) throw new RangeError(`makeBody: size ${size}`);
  const out = Buffer.allocUnsafe(size);
  const rnd = prng(seed);
  let off = 0;
  while (off < size) {
    const room = size - off;
    if (room <= LINE_LENGTH + 2) {
      // last line: fill with letters, end with CRLF
      for (let i = 0; i < room - 2; i++) out[off + i] = 0x61 + Math.floor(rnd() * 26);
      out[size - 2] = 0x0d;
      out[size - 1] = 0x0a;
      break;
    }
    // never leave fewer than 3 octets for the last line (one letter + CRLF)
    const len = room - (LINE_LENGTH + 2) < 3 ? LINE_LENGTH - 3 : LINE_LENGTH;
    let line = rnd() < 0.025 ? '.' : '';
    while (line.length < len) line += (line.length > 1 ? ' ' : '') + WORDS[Math.floor(rnd() * WORDS.length)];
    out.write(line.slice(0, len) + '\r\n', off, 'latin1');
    off += len + 2;
  }
  return out;
}

/**
 * makeHeaders - the per-message header block (ends with the empty line).
 * @param seq message sequence number in the run (also in `X-Bench-Seq`)
 * @param run run identifier (so two runs never produce the same message)
 */
export function makeHeaders(seq: number, run: string): Buffer {
  return Buffer.from(
    `From: sender@load.bench\r\nTo: rcpt@sink.bench\r\nSubject: bench message ${seq}\r\n` +
      `Message-ID: <${run}.${seq}@load.bench>\r\nX-Bench-Seq: ${seq}\r\n` +
      'Date: Thu, 1 Jan 2009 00:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n',
    'latin1',
  );
}
