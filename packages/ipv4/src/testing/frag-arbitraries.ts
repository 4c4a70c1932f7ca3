/**
 * fast-check arbitraries for IPv4 fragment sequences: a datagram cut into
 * fragments, then reordered, duplicated, partly lost and optionally polluted
 * with overlapping fragments — the inputs a reassembler must survive.
 *
 * @module
 */
import fc from 'fast-check';
import { Ipv4Packet, Ipv4Repr } from '../wire/ipv4.js';

/** One fragment of a plan: payload byte range and MF flag. */
export interface FragmentPiece {
  /** Payload offset (multiple of 8). */
  offset: number;
  /** Payload bytes. */
  length: number;
  /** More-fragments flag. */
  more: boolean;
}

/** A fragmentation scenario. */
export interface FragmentPlan {
  /** The original datagram's payload. */
  payload: Uint8Array;
  /** Fragment payload size used to cut (multiple of 8). */
  fragSize: number;
  /** Pieces in arrival order. */
  pieces: FragmentPiece[];
  /** Some piece of the original cut never arrives. */
  lost: boolean;
  /** Pieces arrive more than once. */
  duplicated: boolean;
  /** An overlapping (non-duplicate) piece was injected. */
  overlapped: boolean;
}

/** Options of {@link arbFragmentPlan}. */
export interface ArbFragmentPlanOptions {
  /** Largest payload (default 4000). */
  maxPayload?: number;
  /** Allow loss (default true). */
  loss?: boolean;
  /** Allow duplicates (default true). */
  duplicates?: boolean;
  /** Allow overlapping pieces (default true). */
  overlaps?: boolean;
}

function cut(total: number, size: number): FragmentPiece[] {
  const out: FragmentPiece[] = [];
  for (let off = 0; off < total; off += size) {
    const len = Math.min(size, total - off);
    out.push({ offset: off, length: len, more: off + len < total });
  }
  return out;
}

/** Fragment scenarios with random order, duplication, loss and overlap. */
export function arbFragmentPlan(opts: ArbFragmentPlanOptions = {}): fc.Arbitrary<FragmentPlan> {
  const maxPayload = opts.maxPayload ?? 4000;
  return fc
    .record({
      payload: fc.uint8Array({ minLength: 1, maxLength: maxPayload }),
      fragUnits: fc.integer({ min: 1, max: 64 }),
      seed: fc.integer(),
      dupCount: opts.duplicates === false ? fc.constant(0) : fc.integer({ min: 0, max: 3 }),
      loseOne: opts.loss === false ? fc.constant(false) : fc.boolean(),
      overlap: opts.overlaps === false ? fc.constant(false) : fc.boolean(),
      picks: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
    })
    .map(({ payload, fragUnits, seed, dupCount, loseOne, overlap, picks }) => {
      const fragSize = fragUnits * 8;
      const base = cut(payload.length, fragSize);
      let pieces = base.slice();
      let lost = false;
      if (loseOne && pieces.length > 0) {
        pieces.splice(picks[0]! % pieces.length, 1);
        lost = true;
      }
      for (let i = 0; i < dupCount && pieces.length; i++) pieces.push({ ...pieces[picks[1 + i]! % pieces.length]! });
      let overlapped = false;
      if (overlap && payload.length > 16) {
        const units = Math.ceil(payload.length / 8);
        const start = (picks[5]! % units) * 8;
        const len = 1 + (picks[6]! % Math.max(1, payload.length - start));
        const piece = { offset: start, length: len, more: start + len < payload.length };
        if (piece.more && (piece.length & 7) !== 0) piece.length = Math.max(8, piece.length & ~7);
        if (piece.offset + piece.length > payload.length) piece.length = payload.length - piece.offset;
        piece.more = piece.offset + piece.length < payload.length;
        const dup = base.some((b) => piece.offset >= b.offset && piece.offset + piece.length <= b.offset + b.length);
        if (!dup && piece.length > 0) {
          pieces.push(piece);
          overlapped = true;
        }
      }
      // Deterministic shuffle from the seed.
      let x = seed | 1;
      for (let i = pieces.length - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        const j = (x >>> 0) % (i + 1);
        [pieces[i], pieces[j]] = [pieces[j]!, pieces[i]!];
      }
      pieces = pieces.filter((p) => p.length > 0);
      return { payload, fragSize, pieces, lost, duplicated: dupCount > 0, overlapped };
    });
}

/**
 * Emits the IPv4 packets of a plan: `header` gives addresses, protocol, ident
 * (its payloadLen and fragment fields are overridden).
 */
export function buildFragments(header: Ipv4Repr, plan: FragmentPlan): Uint8Array[] {
  return plan.pieces.map((p) => {
    const r = new Ipv4Repr({
      src: header.src,
      dst: header.dst,
      protocol: header.protocol,
      ttl: header.ttl,
      tos: header.tos,
      ident: header.ident,
      options: header.options,
      payloadLen: p.length,
      fragOffset: p.offset,
      moreFrags: p.more,
      dontFrag: false,
    });
    const b = new Uint8Array(r.totalLen());
    r.emit(Ipv4Packet.unchecked(b));
    b.set(plan.payload.subarray(p.offset, p.offset + p.length), r.bufferLen());
    return b;
  });
}
