/**
 * Builds the {@link AckSample} of one cumulative ACK while `tcp_clean_rtx_queue`
 * frees the segments it covers, then calls the module's `pktsAcked`. Like Linux
 * (`ca_rtt_us` from `last_ackt`): the RTT sample is the age of the newest
 * segment acknowledged, and there is none (−1, Karn's rule) when any
 * acknowledged segment was retransmitted. The SYN does not count.
 *
 * The accumulator is reused (no allocation per ACK): the calls are synchronous
 * and a module's `pktsAcked` must not process ACKs itself.
 *
 * @module
 */
import type { SkBuff } from '@netlayers/skbuff';
import { CB_FLAGS, CB_RETRANS, CB_WHEN } from '../skb-cb.js';
import type { TcpSock } from '../sock.js';
import { TcpFlags } from '../wire/tcp.js';
import type { AckSample } from './ops.js';

const sample: AckSample = { pktsAcked: 0, rttMs: -1, inFlight: 0 };
let newestSent = -1;
let retransAcked = false;

/** Starts the sample of an ACK on `sk` (before any segment is freed). */
export function tcpCaAckBegin(sk: TcpSock): void {
  sample.pktsAcked = 0;
  sample.inFlight = sk.inFlight;
  newestSent = -1;
  retransAcked = false;
}

/** A segment of the retransmit queue the ACK covers. */
export function tcpCaAckSkb(sk: TcpSock, skb: SkBuff): void {
  if ((skb.cb[CB_FLAGS]! & TcpFlags.SYN) !== 0) return;
  sample.pktsAcked += Math.max(1, Math.ceil(skb.len / Math.max(1, sk.mss)));
  if (skb.cb[CB_RETRANS]! > 0) retransAcked = true;
  else newestSent = skb.cb[CB_WHEN]!;
}

/** Ends the sample: `pktsAcked` when the ACK covered data. */
export function tcpCaAckEnd(sk: TcpSock): void {
  if (sample.pktsAcked === 0 || sk.ca.pktsAcked === undefined) return;
  sample.rttMs = retransAcked || newestSent < 0 ? -1 : Math.max(0, sk.stack.clock.now() - newestSent);
  sk.ca.pktsAcked(sk, sample);
}
