/**
 * Trace headers: the relay's own `Received:` line (RFC 5321 §4.4) and a
 * streaming hop counter for loop detection (RFC 5321 §6.3: more than
 * `hopCountLimit` `Received:` headers → 554 5.4.6, like Postfix's
 * `hopcount_limit`). The counter looks only at the header section (it stops
 * at the first empty line), so it costs nothing per body byte.
 * @module
 */

const R = 0x52; // 'R'
const r = 0x72;

/** Counts `Received:` header fields in a message's header section, fed in chunks. */
export class HopCounter {
  /** `Received:` fields seen so far. */
  count = 0;
  /** True once the empty line that ends the header section was seen. */
  done = false;
  private bol = true; // at the beginning of a line
  private match = -1; // chars of "received:" matched on this line, -1 = not a candidate
  private lineLen = 0;
  private sawCr = false;

  /** Feeds content octets (unstuffed or dot-stuffed alike: header lines never start with '.'). */
  push(chunk: Uint8Array): void {
    const word = 'received:';
    for (let i = 0; i < chunk.length && !this.done; i++) {
      const c = chunk[i]!;
      if (c === 0x0a) {
        if (this.sawCr && this.lineLen === 0) this.done = true;
        this.bol = true;
        this.lineLen = 0;
        this.sawCr = false;
        continue;
      }
      if (c === 0x0d) {
        this.sawCr = true;
        continue;
      }
      this.sawCr = false;
      if (this.bol) {
        this.bol = false;
        this.match = c === R || c === r ? 1 : -1;
      } else if (this.match > 0 && this.match < word.length) {
        const want = word.charCodeAt(this.match);
        const lc = c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
        if (lc === want) {
          this.match++;
          if (this.match === word.length) this.count++;
        } else {
          this.match = -1;
        }
      }
      this.lineLen++;
    }
  }
}

/** Formats RFC 5322 date-time (`Wed, 02 Dec 2026 12:00:00 +0000`). */
export function rfc5322Date(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** What the relay's `Received:` line says. */
export interface ReceivedInfo {
  /** HELO/EHLO name the client gave. */
  helo: string;
  /** Client IP address. */
  address: string | undefined;
  /** The relay's host name. */
  by: string;
  /** `ESMTP`, `ESMTPS`, `SMTP`… (RFC 3848). */
  with: string;
  /** Queue id. */
  id: string;
  /** The single recipient, if there is exactly one (privacy: never a list). */
  for?: string | undefined;
  date: Date;
}

/** The relay's `Received:` header field, with CRLF. */
export function formatReceived(i: ReceivedInfo): string {
  const from = i.address !== undefined ? `${i.helo} ([${i.address.replace(/^::ffff:/, '')}])` : i.helo;
  const fr = i.for !== undefined ? `\r\n\tfor <${i.for}>` : '';
  return `Received: from ${from}\r\n\tby ${i.by} (netlayers-relay) with ${i.with} id ${i.id}${fr};\r\n\t${rfc5322Date(i.date)}\r\n`;
}
