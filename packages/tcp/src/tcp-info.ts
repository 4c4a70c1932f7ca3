/**
 * `getsockopt(TCP_INFO)`: a snapshot of a connection in Linux's `struct
 * tcp_info` field names (`include/uapi/linux/tcp.h`, filled by
 * `tcp_get_info`), with Linux's units: times in µs, windows and thresholds in
 * segments. Only fields this stack keeps are present; a field Linux has and we
 * do not model is absent (never a made-up value), so tools such as the
 * packetdrill runner can tell "unknown" from "zero".
 *
 * @module
 */
import { tcpLostOut, tcpRetransOut } from './rack.js';
import type { TcpSock } from './sock.js';

/** `tcpi_options` bits (Linux `TCPI_OPT_*`). */
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;
/** ssthresh reported before the first loss (`TCP_INFINITE_SSTHRESH`). */
export const TCP_INFINITE_SSTHRESH = 0x7fffffff;

/** The fields of Linux `struct tcp_info` this stack answers. */
export interface TcpInfo {
  /** Linux `TCP_ESTABLISHED` = 1 … `TCP_CLOSING` = 11 (same numbering as {@link TcpState}). */
  tcpi_state: number;
  /** `TCP_CA_Open` 0, `TCP_CA_Disorder` 1, `TCP_CA_CWR` 2, `TCP_CA_Recovery` 3, `TCP_CA_Loss` 4. */
  tcpi_ca_state: number;
  tcpi_retransmits: number;
  tcpi_probes: number;
  tcpi_backoff: number;
  tcpi_options: number;
  tcpi_snd_wscale: number;
  tcpi_rcv_wscale: number;
  /** Retransmission timeout, µs. */
  tcpi_rto: number;
  tcpi_snd_mss: number;
  tcpi_rcv_mss: number;
  tcpi_pmtu: number;
  /** Smoothed RTT, µs (0 before the first sample). */
  tcpi_rtt: number;
  tcpi_rttvar: number;
  /** Slow-start threshold in segments. */
  tcpi_snd_ssthresh: number;
  /** Congestion window in segments. */
  tcpi_snd_cwnd: number;
  tcpi_advmss: number;
  /** Bytes acknowledged by the peer (RFC 4898 `tcpEStatsAppHCThruOctetsAcked`). */
  tcpi_bytes_acked: number;
  /** Bytes written but not yet sent. */
  tcpi_notsent_bytes: number;
  /** Peer's receive window, bytes. */
  tcpi_snd_wnd: number;
  /** Receiver-side RTT estimate, µs (DRS, `rcv_rtt_est`; 0 before a sample). */
  tcpi_rcv_rtt: number;
  /** Bytes the reader took in the last measured round (DRS `rcvq_space.space`). */
  tcpi_rcv_space: number;
  /** Segments marked lost and not yet retransmitted (`lost_out`). */
  tcpi_lost: number;
  /** Retransmitted segments in flight (`retrans_out`). */
  tcpi_retrans: number;
  /** Reordering degree in segments (`tp->reordering`; fixed here: `dupThresh`). */
  tcpi_reordering: number;
  /** Reordering events seen (`reord_seen`: DSACKs here). */
  tcpi_reord_seen: number;
  /** DSACK blocks received (`dsack_dups`). */
  tcpi_dsack_dups: number;
  /** Windowed minimum RTT, µs (RACK's min_rtt; 0 before a sample). */
  tcpi_min_rtt: number;
}

/** Snapshot of `sk` (`tcp_get_info`). */
export function tcpGetInfo(sk: TcpSock): TcpInfo {
  const mss = Math.max(1, sk.mss);
  let options = 0;
  if (sk.tstampOk) options |= TCPI_OPT_TIMESTAMPS;
  if (sk.sackOk) options |= TCPI_OPT_SACK;
  if (sk.wscaleOk) options |= TCPI_OPT_WSCALE;
  return {
    tcpi_state: sk.state,
    tcpi_ca_state: sk.caState,
    tcpi_retransmits: sk.retransmits,
    tcpi_probes: sk.probesOut,
    tcpi_backoff: sk.backoff,
    tcpi_options: options,
    tcpi_snd_wscale: sk.wscaleOk ? sk.sndWscale : 0,
    tcpi_rcv_wscale: sk.wscaleOk ? sk.rcvWscale : 0,
    tcpi_rto: Math.round(sk.rto * 1000),
    tcpi_snd_mss: sk.mss,
    tcpi_rcv_mss: sk.rcvMss,
    tcpi_pmtu: sk.pmtu,
    tcpi_rtt: Math.round(sk.srtt * 1000),
    tcpi_rttvar: Math.round(sk.rttvar * 1000),
    tcpi_snd_ssthresh: sk.sndSsthresh >= TCP_INFINITE_SSTHRESH ? TCP_INFINITE_SSTHRESH : Math.floor(sk.sndSsthresh / mss),
    tcpi_snd_cwnd: Math.floor(sk.sndCwnd / mss),
    tcpi_advmss: sk.advMss,
    tcpi_bytes_acked: (sk.sndUna - sk.iss - (sk.sndUna === sk.iss ? 0 : 1)) >>> 0,
    tcpi_notsent_bytes: (sk.writeSeq - sk.sndNxt) >>> 0 > 0x7fffffff ? 0 : (sk.writeSeq - sk.sndNxt) >>> 0,
    tcpi_snd_wnd: sk.sndWnd,
    tcpi_rcv_rtt: Math.round((sk.rcvSpace.rtt8 / 8) * 1000),
    tcpi_rcv_space: sk.rcvSpace.space,
    tcpi_lost: tcpLostOut(sk),
    tcpi_retrans: tcpRetransOut(sk),
    tcpi_reordering: sk.stack.config.dupThresh,
    tcpi_reord_seen: sk.reordSeen,
    tcpi_dsack_dups: sk.dsackDups,
    tcpi_min_rtt: Math.round(sk.minRtt * 1000),
  };
}
