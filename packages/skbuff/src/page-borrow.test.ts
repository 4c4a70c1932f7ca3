/**
 * `Page.borrow`: a page over memory someone else owns (an skb's linear area),
 * shared as a fragment without copying, released through its hook.
 */
import { expect, it } from 'vitest';
import { Page, SkbError, allocSkb, skbStats } from './index.js';

it('a borrowed page over an skb buffer: frags read it in place, writes are refused, the last put releases', () => {
  const live0 = skbStats().live;
  const c0 = skbStats().bytesCopied;
  const src = allocSkb(64);
  src.putData(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  const keep = src.clone();
  let released = 0;
  const page = Page.borrow(keep.buf, () => {
    released++;
    keep.free();
  });
  expect(page.refcount).toBe(2); // the caller's and the owner's
  const a = allocSkb(16);
  a.addFrag(page.get(), src.data + 2, 4);
  const b = allocSkb(16);
  b.addFrag(page.get(), src.data + 6, 2);
  page.put(); // our own reference
  const out = new Uint8Array(4);
  a.forEachChunk(0, 4, (bytes, s, e) => out.set(bytes.subarray(s, e)));
  expect([...out]).toEqual([3, 4, 5, 6]);
  // never private, even with one user left: the owner's bytes cannot be written through it
  b.free();
  expect(page.refcount).toBe(2);
  expect(() => a.storeBits(0, new Uint8Array([9]))).toThrow(SkbError);
  expect(released).toBe(0);
  a.free();
  expect(released).toBe(1);
  expect(page.refcount).toBe(0);
  expect(() => page.get()).toThrow(SkbError);
  expect(src.bytes()[2]).toBe(3);
  src.free();
  expect(skbStats().live).toBe(live0);
  expect(skbStats().bytesCopied - c0).toBe(8); // the putData only
});
