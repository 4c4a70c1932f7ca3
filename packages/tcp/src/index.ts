/**
 * `@netlayers/tcp` — TCP with Linux queue semantics (RFC 9293): the four receive
 * queues of the thesis (receive, backlog, prequeue, out-of-order), write and
 * retransmit queues of skbs sized to the route's size goal, listen SYN and accept
 * queues, RFC 6298 RTO, NewReno, delayed ACKs, persist and keepalive timers on a
 * hierarchical timer wheel, a BSD socket API with errno codes, a `node:net`
 * compatible Duplex layer, and the zero-copy `recvSkbs` / `sendSkbs` API.
 *
 * @packageDocumentation
 */
export { TcpError, TcpParseError, type Errno, type TcpParseErrorCode } from './errors.js';
export {
  TcpPacket,
  TcpRepr,
  TcpFlags,
  TcpOptionKind,
  parseTcpOptions,
  emitTcpOptions,
  tcpOptionsLen,
  field as tcpField,
  TCP_HEADER_LEN,
  TCP_MAX_HEADER_LEN,
  type TcpOptions,
  type SackBlock,
  type TcpTimestamps,
  type TcpChecksumCaps,
} from './wire/tcp.js';
export { csumBytes, pseudoHeaderSum, fold16, csumFinish } from './wire/checksum.js';
export { seqLt, seqLe, seqGt, seqGe, seqAdd, seqDiff, seqInWindow } from './seq.js';
export { TcpState, tcpStateName, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK } from './state.js';
export { TimerWheel, WheelTimer, type TimerWheelOptions } from './timer-wheel.js';
export { ConnTable, type ConnEntry, type ListenEntry, type ConnTableOptions } from './conn-table.js';
export { hsiphash, secureTcpSeq, makeHashKey, type HashKey } from './hash.js';
export {
  renoCongestionOps,
  cubicCongestionOps,
  vegasCongestionOps,
  initialWindow,
  tcpRegisterCongestionControl,
  tcpUnregisterCongestionControl,
  tcpCaFind,
  tcpSetCongestionControl,
  tcpGetAvailableCongestionControl,
  tcpGetAllowedCongestionControl,
  tcpSlowStart,
  tcpRenoCongAvoid,
  tcpRenoSsthresh,
  tcpRenoUndoCwnd,
  cubicW,
  cubicK,
  HystartState,
  TCP_CONG_NON_RESTRICTED,
  TCP_CA_MAX_MODULES,
  type CongestionOps,
  type CongState,
  type AckSample,
  type CaEvent,
} from './cong.js';
export { TcpSock, CaState, type SockCallback } from './sock.js';
export {
  TcpStack,
  TcpMib,
  defaultTcpConfig,
  type TcpConfig,
  type TcpNetOps,
  type TcpRoute,
  type TcpStackOptions,
} from './stack.js';
export { tcpV4Rcv, tcpV4DoRcv, tcpRcvStateProcess, tcpPrequeueProcess, tcpProcessBacklog, tcpRttEstimator } from './input.js';
export {
  tcpTransmitSkb,
  tcpWriteXmit,
  tcpPushPendingFrames,
  tcpSendAck,
  tcpSelectWindow,
  tcpSyncMss,
  TCP_NAGLE_OFF,
  TCP_NAGLE_CORK,
  TCP_NAGLE_PUSH,
} from './output.js';
export { tcpSetState, tcpDone } from './proto.js';
export {
  inetBind,
  inetListen,
  inetAccept,
  inetConnect,
  tcpSendmsg,
  tcpRecvmsg,
  tcpRecvSkbs,
  tcpShutdown,
  tcpClose,
  tcpAbort,
  SOMAXCONN,
} from './socket.js';
export { recvSkbs, sendSkbs } from './zero-copy.js';
export {
  SocketApi,
  SHUT_RD,
  SHUT_WR,
  SHUT_RDWR,
  POLLIN,
  POLLOUT,
  POLLERR,
  POLLHUP,
  type SockOpt,
  type Linger,
  type SockAddr,
} from './socket-api.js';
export {
  TcpSocket,
  TcpServer,
  createServer,
  connect,
  connect as createConnection,
  createNet,
  parseIpv4,
  formatIpv4,
  errnoException,
  type NetApi,
  type TcpConnectOptions,
  type TcpServerOptions,
  type TcpSocketOptions,
  type TcpListenOptions,
} from './net-compat.js';
export { attachTcp, type AttachTcpOptions } from './inet.js';
export { tcpV4Err } from './icmp-err.js';
export { DirectLink, mulberry32, type LinkImpairment, type DirectLinkOptions } from './link.js';
export type { Clock, TimerHandle, TimerService } from './clock.js';
export { tcpGetInfo, TCPI_OPT_TIMESTAMPS, TCPI_OPT_SACK, TCPI_OPT_WSCALE, TCP_INFINITE_SSTHRESH, type TcpInfo } from './tcp-info.js';
