import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocSkb,
  csumAdd,
  csumBlockAdd,
  csumBlockSub,
  csumFold,
  csumFold16,
  csumPartial,
  csumReplace2,
  csumReplace4,
  csumSub,
  csumTcpUdpMagic,
  csumTcpUdpNofold,
  ipFastCsum,
  IpSummed,
  PagePool,
  skbChecksum,
  skbChecksumComplete,
  skbChecksumHelp,
  skbCopyAndCsumBits,
  skbStats,
} from './index.js';
import { arbChunkedPayload, naiveChecksum, naiveOnesSum, skbFromChunks } from './testing/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

describe('csumPartial vs naive RFC 1071', () => {
  it('any byteOffset, offset and length (incl. odd) equals the naive sum', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat({ max: 7 }),
        fc.nat(),
        fc.nat(),
        fc.nat({ max: 0xffffffff }),
        (data, shift, a, b, sum0) => {
          // Place the data at an arbitrary byteOffset of a larger ArrayBuffer.
          const ab = new ArrayBuffer(data.length + 16);
          const view = new Uint8Array(ab, shift, data.length);
          view.set(data);
          const off = data.length === 0 ? 0 : a % (data.length + 1);
          const len = (data.length - off === 0 ? 0 : b % (data.length - off + 1));
          const got = csumPartial(view, off, len, sum0);
          const want = naiveOnesSum(data.subarray(off, off + len));
          // Compare as folded checksums with the initial sum added naively.
          const ref = csumFold(csumAdd(sum0, want));
          expect(csumFold(got)).toBe(ref);
          expect(csumFold(csumPartial(view, off, len, 0))).toBe(naiveChecksum(data.subarray(off, off + len)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('large buffers (block folding beyond 2 MiB) equal the naive sum', () => {
    const n = 5 * 1024 * 1024 + 3;
    const data = new Uint8Array(n);
    let x = 12345;
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      data[i] = x >>> 24;
    }
    expect(csumFold(csumPartial(data, 0, n, 0))).toBe(naiveChecksum(data));
    expect(csumFold(csumPartial(data, 1, n - 1, 0))).toBe(naiveChecksum(data.subarray(1)));
    data.fill(0xff);
    expect(csumFold(csumPartial(data, 0, n, 0))).toBe(naiveChecksum(data));
  });

  it('partial sums compose across arbitrary (odd) split points with csumBlockAdd', () => {
    fc.assert(
      fc.property(arbChunkedPayload({ maxLength: 2000 }, { maxChunkSize: 200 }), ({ payload, chunks }) => {
        let sum = 0;
        let pos = 0;
        for (const c of chunks) {
          sum = csumBlockAdd(sum, csumPartial(c, 0, c.length, 0), pos);
          pos += c.length;
        }
        expect(csumFold(sum)).toBe(naiveChecksum(payload));
        // Removing the first chunk again gives the sum of the rest (csum_block_sub).
        if (chunks.length > 1) {
          const first = chunks[0]!;
          const rest = csumBlockSub(sum, csumPartial(first, 0, first.length, 0), 0);
          const restBytes = payload.subarray(first.length);
          // The rest starts at offset first.length: swap if odd.
          const want = csumBlockAdd(0, csumPartial(restBytes, 0, restBytes.length, 0), first.length);
          // (compared modulo 0xffff: one's complement has two zeros)
          expect(csumFold16(rest) % 0xffff).toBe(csumFold16(want) % 0xffff);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('csumSub inverts csumAdd', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (a, b) => {
        // One's complement has two zeros (0 and 0xffff): compare modulo 0xffff.
        expect(csumFold16(csumSub(csumAdd(a, b), b)) % 0xffff).toBe(csumFold16(a) % 0xffff);
      }),
    );
  });
});

describe('protocol checksums', () => {
  // A well-known IPv4 header (checksum 0xb861).
  const iph = hex('45000073000040004011b861c0a80001c0a800c7');

  it('ipFastCsum verifies and computes an IPv4 header checksum', () => {
    expect(ipFastCsum(iph, 0, 5)).toBe(0);
    const z = iph.slice();
    z[10] = 0;
    z[11] = 0;
    expect(ipFastCsum(z, 0, 5)).toBe(0xb861);
  });

  it('csumReplace2/4 equal recomputation (RFC 1624)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.nat({ max: 0xffff }), fc.nat({ max: 0xffffffff }), (h, w16, w32) => {
        const b = h.slice();
        b[10] = 0;
        b[11] = 0;
        const c0 = ipFastCsum(b, 0, 5);
        // change the 16-bit word at 8 (TTL/protocol)
        const old16 = (b[8]! << 8) | b[9]!;
        b[8] = w16 >>> 8;
        b[9] = w16 & 0xff;
        const c1 = csumReplace2(c0, old16, w16);
        expect(ipFastCsum(b, 0, 5) === c1 || (c1 === 0xffff && ipFastCsum(b, 0, 5) === 0) || (c1 === 0 && ipFastCsum(b, 0, 5) === 0xffff)).toBe(true);
        // change the 32-bit address at 12
        const dv = new DataView(b.buffer);
        const old32 = dv.getUint32(12);
        dv.setUint32(12, w32);
        const c2 = csumReplace4(c1, old32, w32);
        const r = ipFastCsum(b, 0, 5);
        expect(r === c2 || (c2 === 0xffff && r === 0) || (c2 === 0 && r === 0xffff)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('csumTcpUdpMagic equals a naive pseudo-header checksum and verifies to 0', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ minLength: 8, maxLength: 600 }),
        (saddr, daddr, udp) => {
          const seg = udp.slice();
          seg[6] = 0;
          seg[7] = 0;
          const pseudo = new Uint8Array(12 + seg.length);
          const dv = new DataView(pseudo.buffer);
          dv.setUint32(0, saddr);
          dv.setUint32(4, daddr);
          pseudo[9] = 17;
          dv.setUint16(10, seg.length);
          pseudo.set(seg, 12);
          const check = csumTcpUdpMagic(saddr, daddr, seg.length, 17, csumPartial(seg, 0, seg.length, 0));
          expect(check).toBe(naiveChecksum(pseudo));
          seg[6] = check >>> 8;
          seg[7] = check & 0xff;
          expect(csumFold(csumTcpUdpNofold(saddr, daddr, seg.length, 17, csumPartial(seg, 0, seg.length, 0)))).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('skb checksums', () => {
  it('skbChecksum over linear + frags + fragList equals the naive sum, at any offset', () => {
    const live0 = skbStats().live;
    const pagePool = new PagePool({ pageSize: 512 });
    fc.assert(
      fc.property(arbChunkedPayload({ maxLength: 3000 }, { maxChunkSize: 700 }), fc.nat(), fc.nat(), ({ payload, chunks }, a, b) => {
        const skb = skbFromChunks(chunks, { pagePool, headroom: 3 });
        try {
          expect(skb.len).toBe(payload.length);
          const off = a % (payload.length + 1);
          const len = b % (payload.length - off + 1);
          expect(csumFold(skbChecksum(skb, off, len, 0))).toBe(naiveChecksum(payload.subarray(off, off + len)));
          const dst = new Uint8Array(len + 1);
          expect(csumFold(skbCopyAndCsumBits(skb, off, dst, len, 0, 1))).toBe(naiveChecksum(payload.subarray(off, off + len)));
          expect(dst.subarray(1)).toEqual(payload.subarray(off, off + len));
        } finally {
          skb.free();
        }
      }),
      { numRuns: 1000 },
    );
    expect(pagePool.stats().live).toBe(0);
    expect(skbStats().live).toBe(live0);
  });

  it('skbChecksumHelp stores a computed 0 as 0xffff (CSUM_MANGLED_0) and rejects out-of-range offsets', () => {
    const skb = allocSkb(64);
    skb.reserve(16);
    skb.putData(Uint8Array.of(0x00, 0x00, 0xff, 0xff)); // field, then data summing to 0xffff
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumStart = skb.data;
    skb.csumOffset = 0;
    skbChecksumHelp(skb);
    expect([skb.buf[skb.data], skb.buf[skb.data + 1]]).toEqual([0xff, 0xff]);
    expect(skb.ipSummed).toBe(IpSummed.NONE);
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumOffset = 3; // field would end past the packet
    expect(() => skbChecksumHelp(skb)).toThrowError(expect.objectContaining({ code: 'SKB_RANGE' }));
    skb.free();
  });

  it('skbChecksumHelp resolves CHECKSUM_PARTIAL; skbChecksumComplete verifies', () => {
    const saddr = 0xc0a80001;
    const daddr = 0xc0a80002;
    const payload = Uint8Array.from({ length: 1001 }, (_, i) => (i * 7) & 0xff);
    const skb = allocSkb(2048);
    skb.reserve(64);
    skb.putData(payload);
    const th = skb.push(8); // a UDP header
    th.set([0x12, 0x34, 0x00, 0x35, (1009 >> 8) & 0xff, 1009 & 0xff, 0, 0]);
    skb.resetTransportHeader();
    // Pseudo-header sum in the check field, as TCP/UDP do for offload.
    const ph = csumFold(csumTcpUdpNofold(saddr, daddr, skb.len, 17, 0));
    const phs = ~ph & 0xffff;
    th[6] = phs >>> 8;
    th[7] = phs & 0xff;
    skb.ipSummed = IpSummed.PARTIAL;
    skb.csumStart = skb.transportHeader;
    skb.csumOffset = 6;
    skbChecksumHelp(skb);
    expect(skb.ipSummed).toBe(IpSummed.NONE);
    const pseudo = csumTcpUdpNofold(saddr, daddr, skb.len, 17, 0);
    expect(csumFold(skbChecksum(skb, 0, skb.len, pseudo))).toBe(0);
    expect(skbChecksumComplete(skb, 0, pseudo)).toBe(true);
    expect(skb.ipSummed).toBe(IpSummed.UNNECESSARY);
    // COMPLETE path: csum of the whole packet supplied by "the device".
    skb.ipSummed = IpSummed.COMPLETE;
    skb.csum = skbChecksum(skb, 0, skb.len, 0);
    expect(skbChecksumComplete(skb, 0, pseudo)).toBe(true);
    skb.ipSummed = IpSummed.COMPLETE;
    skb.csum = csumAdd(skb.csum, 1);
    expect(skbChecksumComplete(skb, 0, pseudo)).toBe(false);
    skb.free();
  });

  it('pullRcsum keeps CHECKSUM_COMPLETE valid', () => {
    const skb = allocSkb(256);
    for (let i = 0; i < 100; i++) skb.put(1)[0] = (i * 31) & 0xff;
    skb.ipSummed = IpSummed.COMPLETE;
    skb.csum = skbChecksum(skb, 0, skb.len, 0);
    for (const n of [13, 2, 1, 7, 0]) {
      skb.pullRcsum(n);
      expect(csumFold16(skb.csum) % 0xffff).toBe(csumFold16(skbChecksum(skb, 0, skb.len, 0)) % 0xffff);
    }
    skb.free();
  });
});
