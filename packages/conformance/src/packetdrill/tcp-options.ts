/**
 * TCP options in script order: encoding a script's option list into wire bytes
 * (inbound packets keep exactly the layout the script wrote, padding included)
 * and decoding wire bytes back into an ordered list (outbound checks compare
 * kind, length and value in order — `@netlayers/tcp`'s `parseTcpOptions`
 * folds them into a record, which loses the order packetdrill checks).
 *
 * @module
 */
import { TcpOptionKind } from '@netlayers/tcp';
import type { ScriptTcpOption } from './ast.js';
import { PacketdrillUnsupportedError } from './errors.js';

/** A sequence-number mapper for SACK blocks and TS ecr of inbound packets. */
export interface OptionMapper {
  sack(v: number): number;
  tsEcr(v: number): number;
}

function put32(b: number[], v: number): void {
  b.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/**
 * Encodes options as the script lists them. Packetdrill requires the list to
 * be a multiple of 4 bytes; this does not pad.
 * @throws PacketdrillUnsupportedError for md5 / Fast Open / AccECN options
 */
export function encodeScriptOptions(opts: readonly ScriptTcpOption[], map: OptionMapper, line: number): Uint8Array {
  const b: number[] = [];
  for (const o of opts) {
    switch (o.kind) {
      case 'nop':
        b.push(TcpOptionKind.NOP);
        break;
      case 'eol':
        b.push(TcpOptionKind.EOL);
        break;
      case 'mss':
        b.push(TcpOptionKind.MSS, 4, (o.value >>> 8) & 0xff, o.value & 0xff);
        break;
      case 'wscale':
        b.push(TcpOptionKind.WSCALE, 3, o.value & 0xff);
        break;
      case 'sackOK':
        b.push(TcpOptionKind.SACK_PERMITTED, 2);
        break;
      case 'sack':
        b.push(TcpOptionKind.SACK, 2 + 8 * o.blocks.length);
        for (const [l, r] of o.blocks) {
          put32(b, map.sack(l));
          put32(b, map.sack(r));
        }
        break;
      case 'TS':
        b.push(TcpOptionKind.TIMESTAMP, 10);
        put32(b, o.val);
        put32(b, map.tsEcr(o.ecr));
        break;
      default:
        throw new PacketdrillUnsupportedError(line, `TCP option '${o.kind}'`);
    }
  }
  return Uint8Array.from(b);
}

/** A decoded outbound option: a known script option, or raw bytes of an unknown kind. */
export type WireTcpOption = ScriptTcpOption | { kind: 'unknown'; code: number; bytes: number[] };

const u32 = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

/** Decodes the options area in order; malformed tails become an `unknown` entry. Never throws. */
export function decodeWireOptions(buf: Uint8Array, off: number, end: number): WireTcpOption[] {
  const out: WireTcpOption[] = [];
  let i = off;
  while (i < end) {
    const kind = buf[i]!;
    if (kind === TcpOptionKind.NOP || kind === TcpOptionKind.EOL) {
      out.push({ kind: kind === TcpOptionKind.NOP ? 'nop' : 'eol' });
      i++;
      continue;
    }
    const len = i + 1 < end ? buf[i + 1]! : 0;
    if (len < 2 || i + len > end) {
      out.push({ kind: 'unknown', code: kind, bytes: Array.from(buf.subarray(i, end)) });
      return out;
    }
    if (kind === TcpOptionKind.MSS && len === 4) out.push({ kind: 'mss', value: (buf[i + 2]! << 8) | buf[i + 3]! });
    else if (kind === TcpOptionKind.WSCALE && len === 3) out.push({ kind: 'wscale', value: buf[i + 2]! });
    else if (kind === TcpOptionKind.SACK_PERMITTED && len === 2) out.push({ kind: 'sackOK' });
    else if (kind === TcpOptionKind.TIMESTAMP && len === 10) out.push({ kind: 'TS', val: u32(buf, i + 2), ecr: u32(buf, i + 6) });
    else if (kind === TcpOptionKind.SACK && (len - 2) % 8 === 0) {
      const blocks: [number, number][] = [];
      for (let j = i + 2; j < i + len; j += 8) blocks.push([u32(buf, j), u32(buf, j + 4)]);
      out.push({ kind: 'sack', blocks });
    } else out.push({ kind: 'unknown', code: kind, bytes: Array.from(buf.subarray(i, i + len)) });
    i += len;
  }
  return out;
}
