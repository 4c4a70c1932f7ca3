/**
 * `ipDefrag` (Linux `ip_defrag`, net/ipv4/ip_fragment.c): the function form of
 * {@link IpDefrag.defrag} on a stack's reassembly state, as named in the API.
 */
import type { SkBuff } from '@netlayers/skbuff';
import type { Stack } from './stack.js';

/**
 * Queues a fragment for reassembly on `stack` (its bounded {@link IpDefrag}).
 * `skb.data` and `skb.networkHeader` must be at a validated IPv4 header
 * (as after {@link ipRcv}). Takes ownership of `skb`.
 *
 * @returns the reassembled datagram (data at its IPv4 header), or `null` while
 *   fragments are missing or when the datagram was dropped (overlap, limits).
 */
export function ipDefrag(stack: Stack, skb: SkBuff): SkBuff | null {
  return stack.defrag.defrag(skb);
}
