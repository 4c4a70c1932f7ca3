// Minimal libpcap (tcpdump format) writer/reader for the interop tests.
// Format: https://wiki.wireshark.org/Development/LibpcapFileFormat
// (global header 24 bytes, per-record 16-byte header; microsecond magic 0xa1b2c3d4).
import { writeFileSync } from 'node:fs';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

export function writePcap(path: string, frames: Uint8Array[], linkType = LINKTYPE_ETHERNET): void {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeInt32LE(0, 8);
  out.writeUInt32LE(0, 12);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(linkType, 20);
  let o = 24;
  frames.forEach((f, i) => {
    out.writeUInt32LE(1_700_000_000 + i, o);
    out.writeUInt32LE(0, o + 4);
    out.writeUInt32LE(f.length, o + 8);
    out.writeUInt32LE(f.length, o + 12);
    out.set(f, o + 16);
    o += 16 + f.length;
  });
  writeFileSync(path, out);
}

/** Reads a classic pcap (either byte order, µs or ns magic). Returns link type and frames. */
export function readPcap(buf: Uint8Array): { linkType: number; frames: Uint8Array[] } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 24) throw new Error('pcap too short');
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a pcap');
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linkType = u32(20);
  const frames: Uint8Array[] = [];
  let o = 24;
  while (o + 16 <= b.length) {
    const incl = u32(o + 8);
    if (o + 16 + incl > b.length) break;
    frames.push(Uint8Array.from(b.subarray(o + 16, o + 16 + incl)));
    o += 16 + incl;
  }
  return { linkType, frames };
}
