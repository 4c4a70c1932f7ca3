/**
 * ICMP errors about segments we sent (Linux `tcp_v4_err`, RFC 1122 §4.2.3.9,
 * RFC 5927): destination unreachable aborts a connection that is still opening
 * (hard error) and is recorded as a soft error otherwise; fragmentation needed
 * lowers the path MTU and retransmits what no longer fits
 * (`tcp_v4_mtu_reduced` + `tcp_simple_retransmit`). The quoted sequence number
 * must lie in [snd_una, snd_max] (RFC 5927 §4.1), so blind ICMP cannot reset us.
 *
 * @module
 */

import type { Errno } from './errors.js';
import { tcpSyncMss, tcpWriteXmit, TCP_NAGLE_PUSH } from './output.js';
import { tcpDone } from './proto.js';
import { seqGt, seqLt } from './seq.js';
import type { TcpStack } from './stack.js';
import { TcpState } from './state.js';

/** Linux `icmp_err_convert` for type 3 codes. */
function unreachErrno(code: number): { err: Errno; fatal: boolean } {
  switch (code) {
    case 0:
      return { err: 'ENETUNREACH', fatal: false };
    case 1:
      return { err: 'EHOSTUNREACH', fatal: false };
    case 2:
      return { err: 'ENOPROTOOPT', fatal: true };
    case 3:
      return { err: 'ECONNREFUSED', fatal: true };
    default:
      return { err: 'EHOSTUNREACH', fatal: code === 9 || code === 10 || code === 13 };
  }
}

/**
 * Handles an ICMP error quoting one of our segments.
 * @param laddr,raddr - addresses of the quoted (our outgoing) IP header
 * @param l4 - at least 8 bytes of the quoted TCP header
 * @param type,code,info - ICMP type, code and info (next-hop MTU for frag-needed)
 */
export function tcpV4Err(stack: TcpStack, laddr: number, raddr: number, l4: Uint8Array, type: number, code: number, info: number): void {
  if (l4.length < 8) return;
  const lport = (l4[0]! << 8) | l4[1]!;
  const rport = (l4[2]! << 8) | l4[3]!;
  const seq = ((l4[4]! << 24) | (l4[5]! << 16) | (l4[6]! << 8) | l4[7]!) >>> 0;
  const sk = stack.table.lookup(laddr, lport, raddr, rport);
  stack.mib.inIcmpErrors++;
  if (sk === undefined || sk.state === TcpState.LISTEN || sk.state === TcpState.TIME_WAIT) return;
  if (seqLt(seq, sk.sndUna) || seqGt(seq, sk.sndMax)) {
    stack.mib.outOfWindowIcmps++;
    return;
  }
  if (type === 3 && code === 4) {
    // fragmentation needed (RFC 1191): shrink the MSS, resend what no longer fits
    if (info > 0 && info < sk.pmtu) {
      tcpSyncMss(sk);
      if (sk.pmtu > info) {
        sk.pmtu = info;
        sk.mss = Math.max(64, Math.min(sk.mss, info - 40));
        sk.sizeGoal = sk.tso ? sk.sizeGoal : sk.mss;
      }
      if (sk.rtxQueue.qlen > 0) {
        sk.rtxQueue.spliceTail(sk.writeQueue);
        sk.writeQueue.spliceTail(sk.rtxQueue);
        sk.sndNxt = sk.sndUna;
        tcpWriteXmit(sk, TCP_NAGLE_PUSH);
      }
    }
    return;
  }
  let err: Errno;
  let fatal = false;
  if (type === 3) ({ err, fatal } = unreachErrno(code));
  else if (type === 11) err = 'EHOSTUNREACH';
  else return;
  if (sk.state === TcpState.SYN_SENT || sk.state === TcpState.SYN_RECV || fatal) {
    if (sk.state === TcpState.SYN_SENT || sk.state === TcpState.SYN_RECV) {
      sk.err = err;
      sk.softErr = err;
      sk.onError?.(sk);
      tcpDone(sk);
      return;
    }
  }
  sk.softErr = err; // established: soft error, the retransmission timer decides
}
