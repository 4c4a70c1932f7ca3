/**
 * Address helpers: `HOST:PORT` parsing and CIDR matching for `mynetworks`
 * (IPv4 and IPv6, including IPv4-mapped IPv6 client addresses).
 * @module
 */
import { isIP } from 'node:net';
import { RelayError } from './errors.js';
import type { HostPort } from './options.js';

/** A parsed `host:port`. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT`, `[V6]:PORT` or `{ host, port }`.
 * @throws RelayError `ERR_RELAY_CONFIG` on a missing or out-of-range port
 */
export function parseHostPort(v: HostPort, what: string): Endpoint {
  let host: string;
  let port: number;
  if (typeof v === 'string') {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
    if (m === null) throw new RelayError('ERR_RELAY_CONFIG', `${what}: expected HOST:PORT, got ${JSON.stringify(v)}`);
    host = m[1]!;
    port = Number(m[2]);
  } else {
    host = v.host;
    port = v.port;
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RelayError('ERR_RELAY_CONFIG', `${what}: port ${port} out of range`);
  if (host.length === 0) throw new RelayError('ERR_RELAY_CONFIG', `${what}: empty host`);
  return { host, port };
}

/** Formats an endpoint as `host:port` (`[v6]:port`). */
export function formatEndpoint(e: Endpoint): string {
  return isIP(e.host) === 6 ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** One network of `mynetworks`. */
interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function v4Bytes(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function v6Bytes(s: string): Uint8Array | undefined {
  if (isIP(s) !== 6) return undefined;
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // x:…:a.b.c.d → two 16-bit words
    const b = v4Bytes(text.slice(lastColon + 1));
    if (b === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const dbl = text.indexOf('::');
  const words = (x: string): number[] => (x === '' ? [] : x.split(':').map((w) => parseInt(w, 16)));
  const hw = words(dbl < 0 ? text : text.slice(0, dbl));
  const rw = dbl < 0 ? [] : words(text.slice(dbl + 2));
  const zeros = dbl < 0 ? 0 : 8 - hw.length - rw.length;
  const all = [...hw, ...new Array<number>(Math.max(0, zeros)).fill(0), ...rw];
  if (all.length !== 8 || all.some((w) => !(w >= 0 && w <= 0xffff))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parses an address to bytes (IPv4-mapped IPv6 becomes IPv4). */
export function addressBytes(addr: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  const a = addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
  const b4 = v4Bytes(a);
  if (b4 !== undefined) return { family: 4, bytes: b4 };
  const b6 = v6Bytes(a);
  return b6 === undefined ? undefined : { family: 6, bytes: b6 };
}

/**
 * Parses a CIDR (`198.18.0.0/15`, `::1/128`; a bare address is a host route).
 * @throws RelayError `ERR_RELAY_CONFIG`
 */
export function parseCidr(s: string): Cidr {
  const [a, p] = s.split('/', 2) as [string, string | undefined];
  const parsed = addressBytes(a);
  if (parsed === undefined) throw new RelayError('ERR_RELAY_CONFIG', `mynetworks: bad address ${JSON.stringify(s)}`);
  const max = parsed.family === 4 ? 32 : 128;
  const prefix = p === undefined ? max : Number(p);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (p !== undefined && !/^\d+$/.test(p))) {
    throw new RelayError('ERR_RELAY_CONFIG', `mynetworks: bad prefix in ${JSON.stringify(s)}`);
  }
  return { family: parsed.family, bytes: parsed.bytes, prefix };
}

/** Whether `addr` lies in `net`. */
export function cidrContains(net: Cidr, addr: string): boolean {
  const a = addressBytes(addr);
  if (a === undefined || a.family !== net.family) return false;
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a.bytes[i]! & mask) !== (net.bytes[i]! & mask)) return false;
  }
  return true;
}

export type { Cidr };
