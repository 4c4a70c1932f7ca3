/**
 * skb debug mode: catching stale references to recycled heads.
 *
 * The pool recycles `SkBuff` heads, so after `a.free()` the next allocation may
 * return the very same object (`a === b`): a stale reference `a` kept by buggy code
 * then silently reads and writes the new owner's packet. `recycle: false` catches
 * that by never reusing anything (every use after free is `SKB_FREED`), at the
 * cost of all pooling. Debug mode keeps the pooling and catches it anyway, the way
 * KASAN or a generation-checked handle table would:
 *
 * - every head carries a generation, bumped each time the pool hands it out;
 * - each allocation (`allocSkb`, `allocSkbHead`, `clone`, `copy`, `pskbCopy`)
 *   returns a new *reference* (a Proxy over the head) remembering the generation
 *   it was handed out at;
 * - every property access and method call through a reference first compares the
 *   two: if the head was freed and handed out again since, it throws
 *   `SkbError('SKB_STALE')` naming the operation (`put`, `buf`, `free` …).
 *
 * A reference whose head was freed but not reallocated yet still gets the usual
 * `SKB_FREED` (use after free, double free). Limits: raw views taken before the
 * free (`skb.buf`, `skb.bytes()`) are plain typed arrays and are not checked;
 * `Page`s are not tracked (use `PagePool({ recycle: false })`).
 *
 * Enable it per pool (`new SkbPool({ debug: true })`) or for every pool created
 * in the process, including the default pool, with `NETLAYERS_SKB_DEBUG=1` in the
 * environment. When off nothing here runs: the pool returns the raw heads.
 *
 * @module
 * @internal
 */
import { skbThrow } from './errors.js';
import type { SkBuff } from './skbuff.js';

/** Reading this key through a debug reference returns the raw head (no check). */
const RAW: unique symbol = Symbol('@netlayers/skbuff.raw');

/** `NETLAYERS_SKB_DEBUG=1` in the environment (false where there is no `process`). */
export function skbDebugEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.['NETLAYERS_SKB_DEBUG'] === '1';
}

/**
 * An skb member accessed through a stale reference. Symbol keys, `constructor` and
 * names an skb does not have (`then`, `asymmetricMatch`, `toJSON` … asked by
 * promises, test matchers and printers) pass, so a stale reference can still be
 * compared and printed.
 */
function checked(t: SkBuff, key: PropertyKey): boolean {
  return typeof key === 'string' && key !== 'constructor' && key in t;
}

function stale(t: SkBuff, gen: number, key: PropertyKey): never {
  skbThrow(
    'SKB_STALE',
    `${String(key)} through a stale skb reference: its head was freed and handed out again (reference generation ${gen}, head generation ${t._gen})`,
  );
}

/** A new reference to `head`, which the pool has just handed out (its generation is bumped). */
export function skbDebugHandle(head: SkBuff): SkBuff {
  const gen = ++head._gen;
  return new Proxy(head, {
    get(t, key, receiver) {
      if (key === RAW) return t;
      if (t._gen !== gen && checked(t, key)) stale(t, gen, key);
      return Reflect.get(t, key, receiver) as unknown;
    },
    set(t, key, value) {
      if (t._gen !== gen) stale(t, gen, key);
      return Reflect.set(t, key, value);
    },
    has(t, key) {
      if (t._gen !== gen && checked(t, key)) stale(t, gen, key);
      return Reflect.has(t, key);
    },
  });
}

/** The head behind a debug reference (the argument itself if it is a raw head). */
export function skbDebugRaw(skb: SkBuff): SkBuff {
  return (skb as SkBuff & { [RAW]?: SkBuff })[RAW] ?? skb;
}
