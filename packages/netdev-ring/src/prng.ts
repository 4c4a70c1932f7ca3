/**
 * Small seeded pseudo-random generators for reproducible link simulation.
 *
 * `splitmix32` expands a 32-bit seed into well-mixed state words;
 * `Xoshiro128ss` (xoshiro128** by Blackman and Vigna, 2018) is the generator
 * itself: 128 bits of state, period 2^128 − 1, fast 32-bit integer operations
 * only, so identical results on every JavaScript engine.
 *
 * @module
 */

/**
 * One step of splitmix32: returns the next state and a mixed output.
 * @internal
 */
function splitmix32Step(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z = z ^ (z >>> 15);
  return [s, z >>> 0];
}

/**
 * Returns a function yielding the splitmix32 sequence for `seed`.
 * @param seed any number; only its low 32 bits are used
 */
export function splitmix32(seed: number): () => number {
  let s = seed | 0;
  return () => {
    const [ns, out] = splitmix32Step(s);
    s = ns;
    return out;
  };
}

/** xoshiro128** — the seeded generator used by {@link Impairment}. */
export class Xoshiro128ss {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any number; only its low 32 bits are used (expanded with splitmix32) */
  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.a = sm() | 0;
    this.b = sm() | 0;
    this.c = sm() | 0;
    this.d = sm() | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const b = this.b;
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32 (rejection sampling, unbiased). */
  nextInt(n: number): number {
    if (n <= 1) return 0;
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Bernoulli trial with probability `p` (p ≤ 0 never, p ≥ 1 always; no draw is consumed then). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
