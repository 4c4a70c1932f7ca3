/**
 * HalfSipHash-2-4 over 32-bit words: the keyed PRF Linux uses (`hsiphash`) for
 * connection-table hashing and, with a full key, for `secure_tcp_seq` (RFC 6528).
 * Keys come from `crypto.getRandomValues` unless a seed is given (deterministic tests).
 *
 * @module
 */

function rotl(x: number, b: number): number {
  return (x << b) | (x >>> (32 - b));
}

/** A 64-bit HalfSipHash key as two 32-bit words. */
export type HashKey = readonly [number, number];

/** Random key from the platform CSPRNG, or derived from `seed` (splitmix32) for reproducible runs. */
export function makeHashKey(seed?: number): HashKey {
  if (seed !== undefined) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    return [next(), next()];
  }
  const a = new Uint32Array(2);
  globalThis.crypto.getRandomValues(a);
  return [a[0]!, a[1]!];
}

/**
 * HalfSipHash-2-4 of three or four 32-bit words (`hsiphash_3u32` / `_4u32`).
 * @returns an unsigned 32-bit hash
 */
export function hsiphash(key: HashKey, a: number, b: number, c: number, d?: number): number {
  let v0 = key[0] | 0;
  let v1 = key[1] | 0;
  let v2 = 0x6c796765 ^ v0;
  let v3 = 0x74656462 ^ v1;
  const n = d === undefined ? 3 : 4;
  for (let i = 0; i < n + 1; i++) {
    const m = i === 0 ? a : i === 1 ? b : i === 2 ? c : i === 3 && n === 4 ? (d as number) : (n * 4) << 24;
    const last = i === n;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 = (v0 + v1) | 0; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
      v2 = (v2 + v3) | 0; v3 = rotl(v3, 8); v3 ^= v2;
      v0 = (v0 + v3) | 0; v3 = rotl(v3, 7); v3 ^= v0;
      v2 = (v2 + v1) | 0; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
    }
    v0 ^= m;
    if (last) break;
  }
  v2 ^= 0xff;
  for (let r = 0; r < 4; r++) {
    v0 = (v0 + v1) | 0; v1 = rotl(v1, 5); v1 ^= v0; v0 = rotl(v0, 16);
    v2 = (v2 + v3) | 0; v3 = rotl(v3, 8); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = rotl(v3, 7); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = rotl(v1, 13); v1 ^= v2; v2 = rotl(v2, 16);
  }
  return (v1 ^ v3) >>> 0;
}

/**
 * RFC 6528 initial sequence number: `ISN = M + F(localip, localport, remoteip, remoteport, secretkey)`
 * with M a 4 µs clock (Linux `secure_tcp_seq` + `seq_scale`).
 */
export function secureTcpSeq(key: HashKey, nowMs: number, saddr: number, daddr: number, sport: number, dport: number): number {
  const f = hsiphash(key, saddr, daddr, ((sport << 16) | dport) >>> 0, 0x5eed7c9);
  const m = Math.floor(nowMs * 250) >>> 0; // 4 µs ticks
  return (f + m) >>> 0;
}
