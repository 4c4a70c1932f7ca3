/**
 * `HeldBody`: a message body kept as the received skbs themselves (zero-copy
 * forwarding). It holds the relay's `Received:` header as one small skb of
 * its own, then slices of the inbound skbs covering exactly the body as it
 * came off the wire: dot-stuffed DATA content through the final `CRLF.CRLF`
 * (`kind: 'dot-stuffed'`, forwarded verbatim after the next hop's 354), or
 * BDAT content (`kind: 'binary'`, forwarded with BDAT). Delivery sends clones
 * (new heads, same data), so a retry still has the originals; `free()` drops
 * them. `truesize` is what the relay charges against its memory bound.
 * @module
 */
import { allocSkb, type SkBuff, type SkbPool } from '@netlayers/skbuff';
import { dotUnstuff } from '@netlayers/smtp-protocol';

export class HeldBody {
  readonly kind: 'dot-stuffed' | 'binary';
  readonly header: SkBuff;
  readonly skbs: SkBuff[];
  /** Content octets (RFC 1870 count, header included). */
  readonly size: number;
  /** Memory charged (sum of truesize). */
  readonly truesize: number;
  private freed = false;

  constructor(kind: 'dot-stuffed' | 'binary', header: SkBuff, skbs: SkBuff[], size: number) {
    this.kind = kind;
    this.header = header;
    this.skbs = skbs;
    this.size = size;
    let t = header.truesize;
    for (const s of skbs) {
      // we never write in front of the held data: their clones (sendSkbs → tcp_transmit_skb)
      // may push headers into the headroom without a private copy (skb_header_release)
      if (!s.nohdr) s.headerRelease();
      t += s.truesize;
    }
    this.truesize = t;
  }

  /**
   * Builds the header skb: `headroom` reserved for the lower layers' headers,
   * then the header octets (the one copy the relay makes: a few hundred octets
   * per message, reported apart from payload).
   */
  static headerSkb(bytes: Uint8Array, headroom: number, pool?: SkbPool): SkBuff {
    const skb = allocSkb(headroom + bytes.length, pool !== undefined ? { pool } : undefined);
    skb.reserve(headroom);
    skb.putData(bytes);
    skb.headerRelease(); // its clones push TCP/IP headers into the headroom; we never touch it again
    return skb;
  }

  /** Clones of every skb, header first (ownership passes to the caller, e.g. `sendSkbs`). */
  cloneSkbs(): SkBuff[] {
    if (this.freed) throw new RangeError('HeldBody used after free');
    const out = [this.header.clone()];
    for (const s of this.skbs) out.push(s.clone());
    return out;
  }

  /** The content as unstuffed views (header included, terminator removed): for a next hop that needs re-encoding. */
  *contentViews(): Generator<Uint8Array> {
    yield* this.header.chunks();
    if (this.kind === 'binary') {
      for (const s of this.skbs) yield* s.chunks();
      return;
    }
    // drop the final ".\r\n" (the content keeps its last CRLF), then unstuff
    let total = 0;
    for (const s of this.skbs) total += s.len;
    const keep = total - 3;
    const views: Uint8Array[] = [];
    let pos = 0;
    for (const s of this.skbs) {
      for (const v of s.chunks()) {
        if (pos >= keep) break;
        views.push(pos + v.length <= keep ? v : v.subarray(0, keep - pos));
        pos += v.length;
      }
    }
    yield* dotUnstuff(views);
  }

  /** Releases every skb (idempotent). */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.header.free();
    for (const s of this.skbs) s.free();
    this.skbs.length = 0;
  }
}
