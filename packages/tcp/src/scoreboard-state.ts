/**
 * The per-connection state of the sender scoreboard and PRR (`sk.sb`): plain
 * counters, no imports, so `TcpSock` can own one without an import cycle. The
 * functions that keep it exact are in scoreboard.ts, sacktag.ts and prr.ts.
 *
 * @module
 */

/** Scoreboard counters and PRR state of one connection (a field of `TcpSock`: `sk.sb`). */
export class Scoreboard {
  /** Bytes SACKed (or dup-ACKed without SACK), `sacked_out`. */
  sackedOut = 0;
  /** Bytes marked lost and not SACKed, `lost_out`. */
  lostOut = 0;
  /** Bytes retransmitted and still in flight, `retrans_out`. */
  retransOut = 0;
  /** Highest end_seq SACKed so far (`highest_sack`), valid while `sackedOut > 0`. */
  highSacked = 0;
  /** PRR (RFC 6937): bytes delivered and sent since recovery began (`prr_delivered`, `prr_out`). */
  prrDelivered = 0;
  prrOut = 0;
  /** DSACK blocks seen, and those that covered a retransmitted segment (for undo, R2's undo.ts). */
  dsacks = 0;
  dsackRetrans = 0;

  /** Forgets everything (connection reuse, `tcp_clear_retrans`). */
  clear(): void {
    this.sackedOut = 0;
    this.lostOut = 0;
    this.retransOut = 0;
    this.highSacked = 0;
    this.prrDelivered = 0;
    this.prrOut = 0;
  }
}
