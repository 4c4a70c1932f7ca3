// The README example, verbatim, with its printed output checked.
import { expect, it } from 'vitest';
import { allocSkb, csumFold, skbChecksum, skbStats, PagePool } from './index.js';

it('README example prints what the README says', () => {
  const logs: string[] = [];
  const console = { log: (...a: unknown[]) => logs.push(a.map(String).join(' ')) };
  const live0 = skbStats().live;

  const skb = allocSkb(256);                       // alloc_skb
  skb.reserve(54);                                 // skb_reserve: room for Eth + IP + TCP
  skb.putData(new TextEncoder().encode('hello'));  // skb_put_data
  const th = skb.push(20);                         // skb_push: a 20-byte "TCP header"
  th.fill(0);
  skb.resetTransportHeader();

  const pages = new PagePool({ pageSize: 4096 });
  const page = pages.alloc();
  page.bytes.set(new TextEncoder().encode(' world'), 100);
  skb.addFrag(page, 100, 6);                       // skb_add_rx_frag (takes our page ref)

  console.log(skb.len, skb.headlen, skb.dataLen, skb.nrFrags); // 31 25 6 1

  const clone = skb.clone();                       // skb_clone: shares data, dataref 2
  console.log(clone.isCloned(), skb.dataref);      // true 2
  clone.pull(20);                                  // skb_pull (head only: no copy)
  const out = new Uint8Array(clone.len);
  clone.copyBits(0, out, clone.len);               // skb_copy_bits across frags
  console.log(new TextDecoder().decode(out));      // hello world
  console.log(csumFold(skbChecksum(clone, 0, clone.len, 0)).toString(16)); // 6e31

  clone.free();                                    // kfree_skb
  skb.free();                                      // last ref: data + page back to pools
  console.log(skbStats().live - live0, pages.stats().live); // 0 0

  expect(logs).toEqual(['31 25 6 1', 'true 2', 'hello world', '6e31', '0 0']);
});
