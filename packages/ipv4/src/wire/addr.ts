/**
 * Address helpers. IPv4 addresses are unsigned 32-bit numbers in host order
 * (`0x0a000001` is 10.0.0.1): cheap to compare, hash and mask. MAC addresses are
 * 6-byte `Uint8Array`s.
 *
 * @module
 */

/** An IPv4 address as an unsigned 32-bit integer (`10.0.0.1` = `0x0a000001`). */
export type Ipv4Addr = number;
/** A 48-bit Ethernet MAC address (6 bytes). */
export type MacAddr = Uint8Array;

/** 0.0.0.0 */
export const IPV4_ANY: Ipv4Addr = 0;
/** 255.255.255.255 */
export const IPV4_BROADCAST: Ipv4Addr = 0xffffffff;
/** ff:ff:ff:ff:ff:ff */
export const MAC_BROADCAST: MacAddr = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** 00:00:00:00:00:00 */
export const MAC_ZERO: MacAddr = new Uint8Array(6);

/**
 * Parses dotted-quad notation.
 * @throws RangeError when the text is not four decimal octets 0–255
 */
export function ipv4(text: string): Ipv4Addr {
  const parts = text.split('.');
  if (parts.length !== 4) throw new RangeError(`invalid IPv4 address: ${text}`);
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) throw new RangeError(`invalid IPv4 address: ${text}`);
    const n = Number(p);
    if (n > 255) throw new RangeError(`invalid IPv4 address: ${text}`);
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Formats an address as dotted quad. */
export function ipv4ToString(a: Ipv4Addr): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Netmask for a prefix length 0–32 (`prefixMask(24)` = 255.255.255.0). */
export function prefixMask(prefixLen: number): number {
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) throw new RangeError(`bad prefix length ${prefixLen}`);
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** True for 224.0.0.0/4. */
export function isMulticast(a: Ipv4Addr): boolean {
  return a >>> 28 === 0xe;
}

/** True for 127.0.0.0/8. */
export function isLoopback(a: Ipv4Addr): boolean {
  return a >>> 24 === 127;
}

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separated). @throws RangeError on bad text */
export function mac(text: string): MacAddr {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new RangeError(`invalid MAC address: ${text}`);
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

/** Formats a MAC as lowercase `aa:bb:cc:dd:ee:ff`. */
export function macToString(m: MacAddr): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (m[i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

/** Byte equality of two MACs. */
export function macEquals(a: MacAddr, b: MacAddr): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True for ff:ff:ff:ff:ff:ff. */
export function isBroadcastMac(m: MacAddr): boolean {
  return macEquals(m, MAC_BROADCAST);
}

/** Reads a big-endian IPv4 address from `buf[off..off+4)`. */
export function readIpv4(buf: Uint8Array, off: number): Ipv4Addr {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/** Writes a big-endian IPv4 address into `buf[off..off+4)`. */
export function writeIpv4(buf: Uint8Array, off: number, a: Ipv4Addr): void {
  buf[off] = a >>> 24;
  buf[off + 1] = a >>> 16;
  buf[off + 2] = a >>> 8;
  buf[off + 3] = a;
}

/** Reads a big-endian u16. */
export function readU16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

/** Writes a big-endian u16. */
export function writeU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

/** Reads a big-endian u32. */
export function readU32(buf: Uint8Array, off: number): number {
  return readIpv4(buf, off);
}

/** Writes a big-endian u32. */
export function writeU32(buf: Uint8Array, off: number, v: number): void {
  writeIpv4(buf, off, v);
}
