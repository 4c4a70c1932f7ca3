/**
 * TCP connection states (RFC 9293 §3.3.2) with Linux's numbering (`include/net/tcp_states.h`).
 *
 * @module
 */

/** The eleven RFC 9293 states. */
export const TcpState = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;
/** A TCP state value. */
export type TcpState = (typeof TcpState)[keyof typeof TcpState];

const NAMES: Record<number, string> = {
  1: 'ESTABLISHED',
  2: 'SYN-SENT',
  3: 'SYN-RECEIVED',
  4: 'FIN-WAIT-1',
  5: 'FIN-WAIT-2',
  6: 'TIME-WAIT',
  7: 'CLOSED',
  8: 'CLOSE-WAIT',
  9: 'LAST-ACK',
  10: 'LISTEN',
  11: 'CLOSING',
};

/** RFC 9293 name of a state (`SYN-RECEIVED`, …). */
export function tcpStateName(s: TcpState): string {
  return NAMES[s] ?? `UNKNOWN(${s})`;
}

/** Shutdown bits (Linux `RCV_SHUTDOWN` / `SEND_SHUTDOWN`). */
export const RCV_SHUTDOWN = 1;
export const SEND_SHUTDOWN = 2;
export const SHUTDOWN_MASK = 3;
