/**
 * Zero-copy GSO → GRO: a TCP super-segment whose payload spans linear data, page
 * frags and fragList skbs is cut by `skbGsoSegment` and merged again by `GroList`;
 * the bytes survive, only headers are copied (the copy meter proves it, per kind),
 * and every skb and page returns to its pool.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { copyStatsDelta, IpSummed, PagePool, skbStats, type SkBuff } from '@netlayers/skbuff';
import { arbChunking, chunkPayload, skbFromChunks } from '@netlayers/skbuff/testing';
import { skbGsoSegment } from './gso.js';
import { GroList } from './gro.js';
import { ethTypeTrans } from './ether.js';
import { skbChecksumHelp } from './csum-help.js';
import { buildTcpFrame } from './testing/frames.js';

const HDR = 14 + 20 + 20; // Ethernet + IPv4 + TCP, no options
const MAC = { mac: new Uint8Array([2, 0, 0, 0, 0, 2]), isLoopback: false };

let live0 = 0;
beforeEach(() => {
  live0 = skbStats().live;
});
afterEach(() => {
  expect(skbStats().live).toBe(live0);
});

/** Payload bytes of a merged (or single) packet, data at the IPv4 header, read in place. */
function payloadOf(skb: SkBuff): Uint8Array {
  const out = new Uint8Array(skb.len - 40);
  let at = 0;
  skb.forEachChunk(40, skb.len - 40, (b, s, e) => {
    out.set(b.subarray(s, e), at);
    at += e - s;
  });
  return out;
}

describe('GSO then GRO, zero-copy', () => {
  it('property: bytes preserved, only headers copied, pools back to zero live', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30000 }),
        fc.integer({ min: 0, max: 3000 }),
        arbChunking({ maxChunks: 24, maxChunkSize: 6000 }),
        fc.integer({ min: 100, max: 1460 }),
        fc.boolean(),
        fc.boolean(),
        (plen, linearPart, chunking, mss, hwCsum, cloneSegs) => {
          const pages = new PagePool({ pageSize: 4096 });
          const payload = new Uint8Array(plen).map((_, i) => (i * 131 + 7) & 0xff);
          const frame = buildTcpFrame({ payload, seq: 1000, flags: 0x10 });
          const lin = HDR + Math.min(linearPart, plen);
          const chunks = [frame.subarray(0, lin), ...(lin < frame.length ? chunkPayload(frame.subarray(lin), chunking) : [])];
          const skb = skbFromChunks(chunks, { headroom: 64, pagePool: pages, maxFrags: 6 });
          const before = skbStats();
          const segs = skbGsoSegment(skb, { hardHeaderLen: 14, mss, mtu: 1500, hwCsum })!;
          skb.free();
          expect(segs.length).toBe(Math.ceil(plen / mss));
          const gso = copyStatsDelta(before, skbStats());
          expect(gso.copies.headers).toBe(segs.length * HDR); // one header per segment
          expect(gso.bytesCopied).toBe(gso.copies.headers); // and nothing else
          expect(gso.payloadBytesCopied).toBe(0);
          const out: SkBuff[] = [];
          const gro = new GroList((s) => out.push(s));
          const kept: SkBuff[] = [];
          const g0 = skbStats();
          for (const seg of segs) {
            if (hwCsum) {
              expect(seg.ipSummed).toBe(IpSummed.PARTIAL);
              expect(skbChecksumHelp(seg)).toBe(true); // the device finishes it, in place
            }
            let rx = seg;
            if (cloneSegs) {
              kept.push(seg); // the sender keeps it: what crosses the wire is shared
              rx = seg.clone();
            }
            expect(ethTypeTrans(rx, MAC)).toBe(true);
            gro.receive(rx);
          }
          gro.flush();
          const groCopies = copyStatsDelta(g0, skbStats());
          // GRO copies the IPv4+TCP header of a cloned merge head, nothing else.
          const mergedClones = cloneSegs ? out.filter((s) => s.gsoSegs > 1).length : 0;
          expect(groCopies.copies.headers).toBe(mergedClones * 40);
          expect(groCopies.bytesCopied).toBe(groCopies.copies.headers);
          expect(groCopies.payloadBytesCopied).toBe(0);
          expect(gro.stats().passed).toBe(0); // every checksum verified, nothing refused
          const got = Buffer.concat(out.map(payloadOf));
          expect(got.equals(Buffer.from(payload))).toBe(true);
          for (const s of out) s.free();
          for (const k of kept) k.free();
          expect(pages.stats().live).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
