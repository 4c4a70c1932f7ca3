import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csumFold, csumPartial, csumTcpUdpNofold } from '@netlayers/skbuff';
import { TcpParseError } from '../errors.js';
import { arbTcpSegment } from '../testing/arbitraries.js';
import { csumBytes, fold16 } from './checksum.js';
import { parseTcpOptions, TcpFlags, TcpPacket, TcpRepr } from './tcp.js';

const S = 0xc0a80001;
const D = 0xc0a80002;

function build(repr: TcpRepr, payload: Uint8Array, fill = 0xa5): Uint8Array {
  const buf = new Uint8Array(repr.headerLen() + payload.length).fill(fill);
  buf.set(payload, repr.headerLen());
  repr.emit(TcpPacket.unchecked(buf), S, D);
  return buf;
}

describe('TcpRepr / TcpPacket', () => {
  it('parse(emit(repr)) roundtrips, checksum verifies (fast-check)', () => {
    fc.assert(
      fc.property(arbTcpSegment(), ({ repr, payload }) => {
        fc.pre(repr.srcPort !== 0 && repr.dstPort !== 0);
        const bytes = build(repr, payload);
        const p = TcpPacket.checked(bytes);
        expect(p.verifyChecksum(S, D)).toBe(true);
        const back = TcpRepr.parse(p, S, D);
        expect(back.srcPort).toBe(repr.srcPort);
        expect(back.dstPort).toBe(repr.dstPort);
        expect(back.seq).toBe(repr.seq >>> 0);
        expect(back.ack).toBe(repr.ack >>> 0);
        expect(back.flags).toBe(repr.flags);
        expect(back.window).toBe(repr.window);
        expect(back.payloadLen).toBe(payload.length);
        const o = repr.options;
        const bo = back.options;
        expect(bo.mss).toBe(o.mss);
        expect(bo.windowScale).toBe(o.windowScale);
        expect(bo.sackPermitted).toBe(o.sackPermitted);
        expect(bo.timestamps).toEqual(o.timestamps);
        expect(bo.sack).toEqual(o.sack !== undefined && o.sack.length > 0 ? o.sack.map((b) => ({ left: b.left >>> 0, right: b.right >>> 0 })) : undefined);
        expect(Array.from(p.payload())).toEqual(Array.from(payload));
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it('checksum equals a naive RFC 1071 sum and the skbuff csum, at any alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 0, max: 7 }), (data, shift) => {
        const buf = new Uint8Array(data.length + 8);
        buf.set(data, shift);
        let naive = 0;
        for (let i = 0; i < data.length; i += 2) naive += (data[i]! << 8) | (data[i + 1] ?? 0);
        expect(csumBytes(buf, shift, data.length)).toBe(fold16(naive));
        const ours = csumFold(csumTcpUdpNofold(S, D, data.length, 6, csumBytes(buf, shift, data.length)));
        const theirs = csumFold(csumTcpUdpNofold(S, D, data.length, 6, csumPartial(buf, shift, data.length, 0)));
        expect(ours).toBe(theirs);
      }),
      { numRuns: 300, seed: 8 },
    );
  });

  it('a flipped bit fails the checksum with BAD_CHECKSUM', () => {
    const repr = new TcpRepr({ srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TcpFlags.ACK, window: 100 });
    const bytes = build(repr, new Uint8Array([1, 2, 3, 4, 5]));
    bytes[22]! ^= 0x10;
    expect(() => TcpRepr.parse(TcpPacket.checked(bytes), S, D)).toThrow(TcpParseError);
    try {
      TcpRepr.parse(TcpPacket.checked(bytes), S, D);
    } catch (e) {
      expect((e as TcpParseError).code).toBe('BAD_CHECKSUM');
    }
  });

  it('known bytes: a SYN with MSS 1460, SACK-permitted, timestamps, NOP, wscale 7 (Linux layout)', () => {
    const repr = new TcpRepr({
      srcPort: 40000,
      dstPort: 80,
      seq: 0x01020304,
      flags: TcpFlags.SYN,
      window: 64240,
      options: { mss: 1460, sackPermitted: true, timestamps: { tsval: 1, tsecr: 0 }, windowScale: 7 },
    });
    const b = build(repr, new Uint8Array(0));
    expect(b.length).toBe(40);
    expect(Array.from(b.subarray(20))).toEqual([2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
    expect(b[12]).toBe(0xa0);
  });

  it('garbage never throws anything but TcpParseError and never hangs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        try {
          const p = TcpPacket.checked(bytes);
          TcpRepr.parse(p, S, D, { verify: false });
          TcpRepr.parse(p, S, D);
        } catch (e) {
          expect(e).toBeInstanceOf(TcpParseError);
        }
      }),
      { numRuns: 2000, seed: 9 },
    );
  });

  it('option parser: unknown kinds skipped, bad lengths stop parsing, EOL ends', () => {
    const opts = new Uint8Array([1, 99, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4, 0, 3, 3, 7]);
    expect(parseTcpOptions(opts, 0, opts.length)).toEqual({ mss: 1460 });
    const bad = new Uint8Array([2, 4, 1, 0, 8, 1, 3, 3, 7]);
    expect(parseTcpOptions(bad, 0, bad.length)).toEqual({ mss: 256 });
    const zero = new Uint8Array([5, 0, 2, 4, 1, 1]);
    expect(parseTcpOptions(zero, 0, zero.length)).toEqual({});
    const ws = new Uint8Array([3, 3, 200]);
    expect(parseTcpOptions(ws, 0, 3)).toEqual({ windowScale: 14 });
  });

  it('checked() rejects short buffers and bad data offsets', () => {
    expect(() => TcpPacket.checked(new Uint8Array(19))).toThrow(TcpParseError);
    const b = new Uint8Array(20);
    b[12] = 0x40; // doff 4
    expect(() => TcpPacket.checked(b)).toThrow(/data offset/);
    b[12] = 0x60; // doff 6 > 20 bytes
    expect(() => TcpPacket.checked(b)).toThrow(/exceeds/);
  });
});
