/**
 * The TCP control block (Linux `struct tcp_sock` ⊃ `inet_connection_sock` ⊃ `sock`):
 * connection state, sequence variables (RFC 9293 §3.3.1), timers, the four receive
 * queues of the thesis §2.3.1 and the send queues of §2.4, memory accounting and
 * the listen queues. Behaviour lives in input.ts / output.ts / timers.ts; this file
 * only holds data and tiny helpers.
 *
 * ```
 *  send side:   snd_una ........ snd_nxt ........ write_seq
 *               |  rtxQueue (sent, unacked) | writeQueue (unsent) |
 *  receive side:  copied_seq ..... rcv_nxt ...... rcv_wup + rcv_wnd
 *               | receiveQueue (in order) |  ofoQueue (holes)   |
 * ```
 *
 * @module
 */

import { SkbQueue } from '@netlayers/skbuff';
import type { ConnEntry } from './conn-table.js';
import type { CongState, CongestionOps } from './cong.js';
import type { Errno } from './errors.js';
import { TcpState } from './state.js';
import type { TcpStack } from './stack.js';
import { OfoQueue } from './ofo-tree.js';
import { Scoreboard } from './scoreboard-state.js';
import { RcvSpace } from './rcv-space.js';
import { WheelTimer } from './timer-wheel.js';
import type { SackBlock } from './wire/tcp.js';

/** Shared empty accept queue: idle sockets allocate no array (replaced on first use). */
export const NO_SOCKS: TcpSock[] = [];

/** Per-segment TCP metadata (Linux `struct tcp_skb_cb`), kept in `skb.cb`. */
export interface TcpSkbCb {
  /** First sequence number. */
  seq: number;
  /** seq + SYN + FIN + payload length. */
  endSeq: number;
  /** TCP flags of the segment (TcpFlags bits). */
  tcpFlags: number;
  /** ACK number carried (received segments). */
  ackSeq: number;
  /** Time the segment was last sent (ms), 0 = never. */
  when: number;
  /** Times retransmitted. */
  retrans: number;
  /** Raw window field (received segments). */
  window: number;
  /** Cached one's-complement sum of the payload (NaN = not computed). */
  payloadCsum: number;
  /** Data may not be appended to this skb (it shares its buffer after a split/sendSkbs). */
  noCoalesce: boolean;
}

/** Callback invoked on socket events (the `sk_data_ready` family). */
export type SockCallback = (sk: TcpSock) => void;

/** Congestion-avoidance state (Linux `icsk_ca_state`). */
export const CaState = { OPEN: 0, DISORDER: 1, RECOVERY: 3, LOSS: 4 } as const;
export type CaState = (typeof CaState)[keyof typeof CaState];

/** A TCP socket. Created by {@link TcpStack.socket}. */
export class TcpSock implements ConnEntry, CongState {
  readonly stack: TcpStack;
  /** Socket id (file-descriptor-like, unique within the stack). */
  readonly id: number;
  state: TcpState = TcpState.CLOSE;

  // --- addressing (inet_sock) ---
  laddr = 0;
  lport = 0;
  raddr = 0;
  rport = 0;
  hashNext: ConnEntry | null = null;
  /** Whether this socket is linked in the established hash / listener table. */
  hashed = false;
  /** Whether lport is counted in the bound-port map. */
  portBound = false;

  // --- send sequence space (RFC 9293 §3.3.1) ---
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence sent (snd_nxt can go back on RTO; this does not). */
  sndMax = 0;
  /** Send window in bytes (already scaled). */
  sndWnd = 0;
  sndWl1 = 0;
  sndWl2 = 0;
  maxWindow = 0;
  /** Next sequence number to assign to queued data (Linux `write_seq`). */
  writeSeq = 0;
  /** write_seq when PSH was last marked (Linux `pushed_seq`, for `forced_push`). */
  pushedSeq = 0;
  /** End of the last small segment sent (Minshall's Nagle, `snd_sml`). */
  sndSml = 0;
  sndWscale = 0;
  rcvWscale = 0;
  wscaleOk = false;
  sackOk = false;
  tstampOk = false;
  /** Out-of-order ranges we report, most recent first (`rx_opt.selective_acks`, at most 4). */
  selectiveAcks: SackBlock[] = [];
  /** Duplicate range to report once (`duplicate_sack`, RFC 2883). */
  dsack: SackBlock | null = null;
  /** Peer's last valid TSval (RFC 7323 TS.Recent, Linux `rx_opt.ts_recent`). */
  tsRecent = 0;
  /** When TS.Recent was taken, ms (`ts_recent_stamp`, for the 24-day PAWS rule). */
  tsRecentStamp = 0;
  /** Added to our clock's ms to make TSval (Linux `tsoffset`, per connection). */
  tsOffset = 0;
  /** SO_RCVBUF was set (`SOCK_RCVBUF_LOCK`): the window clamp and scale follow it, no autotuning. */
  rcvbufLock = false;
  /** Receive-buffer autotuning state (DRS, rcv-space.ts). */
  readonly rcvSpace = new RcvSpace();
  /** Effective send MSS (Linux `mss_cache`). */
  mss = 536;
  /** MSS we advertise. */
  advMss = 1460;
  /** MSS the peer announced (0 = none). */
  peerMss = 0;
  /** User clamp (TCP_MAXSEG), 0 = none. */
  userMss = 0;
  /** Send size goal: MSS, or a multiple when the route has TSO (`tcp_send_mss`). */
  sizeGoal = 536;
  /** The route offloads the checksum (NETIF_F_HW_CSUM). */
  csumOffload = false;
  /** The route does TSO (NETIF_F_TSO). */
  tso = false;
  /** Path MTU of the route. */
  pmtu = 1500;

  // --- receive sequence space ---
  irs = 0;
  rcvNxt = 0;
  /** Right edge offered = rcvWup + rcvWnd. */
  rcvWnd = 0;
  rcvWup = 0;
  /** Next byte the application will read (Linux `copied_seq`). */
  copiedSeq = 0;
  /** Window clamp (largest window we will ever offer). */
  windowClamp = 0;
  /** Sequence of the FIN received (+1), 0 if none. */
  finSeen = false;

  // --- congestion control ---
  sndCwnd = 0;
  sndSsthresh = 0x7fffffff;
  bytesAcked = 0;
  private caStateValue: CaState = CaState.OPEN;
  /** Congestion state (`icsk_ca_state`); setting it calls the module's `setState` first (`tcp_set_ca_state`). */
  get caState(): CaState {
    return this.caStateValue;
  }
  set caState(v: CaState) {
    this.ca.setState?.(this, v);
    this.caStateValue = v;
  }
  /** The congestion module's per-connection state (`icsk_ca_priv`). */
  caPriv: object | null = null;
  /**
   * NewReno "recover" + 1 (RFC 6582): snd_max when recovery or loss started, ISS + 1
   * at establishment. A cumulative ACK ≥ highSeq "covers more than recover".
   */
  highSeq = 0;
  dupAcks = 0;
  /** cwnd when the last reduction started (`prior_cwnd`), restored by `undoCwnd`. */
  priorCwnd = 0;
  /** Sender SACK scoreboard counters and PRR state (scoreboard.ts, prr.ts). */
  readonly sb = new Scoreboard();
  /** The congestion-control module (`icsk_ca_ops`), see cong/registry.ts. */
  ca: CongestionOps;

  // --- RACK-TLP and undo (RFC 8985, RFC 2883/3522/5682; state of rack.ts, tlp.ts, undo.ts) ---
  /** RACK: send time (ms) and end_seq of the most recently sent segment delivered (`rack.mstamp`, `rack.end_seq`). */
  rackMstamp = 0;
  rackEndSeq = 0;
  /** RACK: RTT of that segment, ms (`rack.rtt_us`). */
  rackRtt = 0;
  /** RACK: delivery information advanced since the last loss scan (`rack.advanced`). */
  rackAdvanced = false;
  /** RACK: reordering window multiplier, 1…255 (`rack.reo_wnd_steps`), and recoveries it persists (`reo_wnd_persist`). */
  rackReoWndSteps = 1;
  rackReoWndPersist = 0;
  /** RACK: a DSACK arrived since the window was last adapted (`rack.dsack_seen`), and when it was adapted (ms). */
  rackDsackSeen = false;
  rackReoWndStamp = -Infinity;
  /** Reordering was observed on this connection (`reord_seen`): RACK keeps its window even in recovery. */
  reordSeen = 0;
  /** Windowed minimum RTT, ms (`tcp_min_rtt`, 300 s window), and when it was taken; 0 = no sample. */
  minRtt = 0;
  minRttStamp = 0;
  /** TLP: snd_nxt when the outstanding probe was sent (`tlp_high_seq`), valid while `tlpPending`. */
  tlpHighSeq = 0;
  tlpPending = false;
  /** TLP: the outstanding probe was a retransmission (`tlp_retrans`), not new data. */
  tlpRetrans = false;
  /** What lossTimer is armed for: 0 none, 3 loss probe, 4 RACK reordering timeout (`ICSK_TIME_LOSS_PROBE` / `REO_TIMEOUT`). */
  lossTimerKind: 0 | 3 | 4 = 0;
  /** When lossTimer is due (ms). */
  lossTimerAt = 0;
  /** Undo: snd_una when the recovery or loss episode began (`undo_marker`), valid while `undoPending`. */
  undoMarker = 0;
  undoPending = false;
  /** Undo: retransmissions not yet shown spurious by a DSACK (`undo_retrans`; −1 = none sent yet). */
  undoRetrans = -1;
  /** Undo: ssthresh before the episode (`prior_ssthresh`; 0 = nothing to restore); cwnd is `priorCwnd`. */
  priorSsthresh = 0;
  /** Undo: TSval of the episode's first retransmission (`retrans_stamp`, Eifel RFC 3522); valid while `retransStampSet`. */
  retransStamp = 0;
  retransStampSet = false;
  /** F-RTO (RFC 5682) is running for the current RTO episode (`frto`). */
  frto = false;
  /** F-RTO step 2b: retransmissions wait while new data goes out (set for one ACK, retransmit.ts honours it). */
  frtoHold = false;
  /** DSACK blocks received on this connection (`dsack_dups`, `tcpi_dsack_dups`). */
  dsackDups = 0;

  // --- RTT / RTO (RFC 6298) ---
  srtt = 0;
  rttvar = 0;
  rto = 1000;
  /** Number of RTO backoffs (icsk_backoff). */
  backoff = 0;
  /** Consecutive retransmissions of the head (icsk_retransmits). */
  retransmits = 0;
  /** Karn: sequence being timed and when it was sent (0 = none). */
  rttSeq = 0;
  rttTime = -1;
  /** Zero-window probes sent without response (icsk_probes_out). */
  probesOut = 0;
  /** Time of last data sent/received (keepalive idle, cwnd restart). */
  lastRcvTime = 0;
  lastSendTime = 0;

  // --- delayed ACK (icsk_ack) ---
  ackPending = false;
  /** Full-sized segments received since the last ACK. */
  rcvSegsSinceAck = 0;
  quickAcks = 0;
  pingpong = false;

  // --- queues ---
  /** In-order, fully processed data waiting for the reader (`sk_receive_queue`). */
  readonly receiveQueue = new SkbQueue();
  /** Segments that arrived while the socket was owned by the user (`sk_backlog`). */
  readonly backlog = new SkbQueue();
  /** Segments deferred to the waiting reader's context (`ucopy.prequeue`). */
  readonly prequeue = new SkbQueue();
  /** Out-of-order segments, ordered by seq (`out_of_order_queue`, an rbtree in Linux). */
  readonly ofoQueue = new OfoQueue();
  /** Unsent data (tail of Linux `sk_write_queue`, from `sk_send_head`). */
  readonly writeQueue = new SkbQueue();
  /** Sent, unacknowledged data (`tcp_rtx_queue`). */
  readonly rtxQueue = new SkbQueue();

  // --- memory accounting ---
  sndbuf: number;
  rcvbuf: number;
  /** Truesize of skbs in the write + retransmit queues (`sk_wmem_queued`). */
  wmemQueued = 0;
  /** Truesize of skbs charged to the receive side (`sk_rmem_alloc`). */
  rmemAlloc = 0;
  /** Bytes queued in the backlog (bounded like `sk_add_backlog`). */
  backlogLen = 0;
  /** Bytes in the prequeue. */
  prequeueLen = 0;
  /** Low watermark for write-space wakeups (`sk_stream_wspace` ≥ half of queued, like `sk_stream_write_space`). */
  sndLowat = 0;
  rcvLowat = 1;

  // --- flags & options ---
  nodelay = false;
  cork = false;
  keepalive = false;
  reuseAddr = false;
  /** SO_LINGER on/off. */
  lingerOn = false;
  /** SO_LINGER seconds. */
  lingerSecs = 0;
  keepIdleMs = 7_200_000;
  keepIntvlMs = 75_000;
  keepCnt = 9;
  nonblocking = true;
  /** RCV_SHUTDOWN / SEND_SHUTDOWN bits. */
  shutdownFlags = 0;
  /** Our FIN has been queued (sequence assigned). */
  finQueued = false;
  /** Pending error to report (`sk_err`). */
  err: Errno | undefined = undefined;
  /** Last error that ended the connection, kept for getsockopt(SO_ERROR). */
  softErr: Errno | undefined = undefined;
  /** A writer saw a full send buffer (`SOCK_NOSPACE`): wake it at the low watermark. */
  writeBlocked = false;
  /** Time of the last ACK sent for an out-of-window segment (rate limit). */
  lastOowAck = -Infinity;
  /** Keepalive probes sent without answer. */
  kaProbes = 0;
  /** len/truesize of received data skbs (Linux `scaling_ratio`), used to turn free buffer into window. */
  scalingRatio = 0.5;
  /** Largest segment payload seen from the peer (`rcv_mss`). */
  rcvMss = 536;
  /** Children of a listener still in SYN-RECV (only allocated on listeners). */
  synQueue: Set<TcpSock> | null = null;
  /**
   * Nesting depth of `lockSock` (a socket call may call another): input goes to the
   * backlog while it is above zero; the outermost `releaseSock` processes it.
   */
  lockDepth = 0;
  /** A reader is waiting (`ucopy.task`): eligible data goes to the prequeue. */
  readerWaiting = false;
  /** The user closed the socket (orphan: no more API calls, destroy when done). */
  orphan = false;
  /** The socket was destroyed and unhashed. */
  dead = false;

  // --- listen ---
  /** Listening parent of a SYN-RECV/accept-queue child. */
  parent: TcpSock | null = null;
  /** Max accept queue length (`sk_max_ack_backlog`). */
  maxAckBacklog = 0;
  /** Children in SYN-RECV (request socks). */
  synQueueLen = 0;
  /** When this listener last answered with a SYN cookie (ms; ACKs are checked for cookies for 2 minutes). */
  lastCookieMs = -Infinity;
  /** Established children waiting for accept(). */
  acceptQueue: TcpSock[] = NO_SOCKS;
  /** Child counted in parent's synQueue. */
  inSynQueue = false;
  /** Child in parent's accept queue. */
  inAcceptQueue = false;
  /** SYN-ACK retransmissions of a SYN-RECV child (`num_retrans`). */
  synRetrans = 0;

  // --- timers (all on the stack's wheel) ---
  /** Retransmit / zero-window probe / SYN(-ACK) timer (`icsk_retransmit_timer`). */
  readonly rtxTimer: WheelTimer<TcpSock>;
  /** Delayed ACK timer (`icsk_delack_timer`). */
  readonly delackTimer: WheelTimer<TcpSock>;
  /** Keepalive / FIN-WAIT-2 / TIME-WAIT timer (`sk_timer`). */
  readonly kaTimer: WheelTimer<TcpSock>;
  /** Tail-loss probe / RACK reordering timer (Linux shares `icsk_retransmit_timer`; here its own so RTO semantics stay), see tlp.ts. */
  readonly lossTimer: WheelTimer<TcpSock>;
  /** What rtxTimer is armed for. */
  pendingTimer: 0 | 1 | 2 = 0; // 0 none, 1 retransmit, 2 probe

  // --- event callbacks (set by the socket API layers) ---
  onDataReady: SockCallback | null = null;
  onWriteSpace: SockCallback | null = null;
  onStateChange: SockCallback | null = null;
  onError: SockCallback | null = null;
  onAcceptReady: SockCallback | null = null;
  /** Opaque user slot (the net-compat layer keeps its Duplex here). */
  userData: unknown = undefined;

  constructor(stack: TcpStack, id: number, ca: CongestionOps, sndbuf: number, rcvbuf: number) {
    this.stack = stack;
    this.id = id;
    this.ca = ca;
    this.sndbuf = sndbuf;
    this.rcvbuf = rcvbuf;
    this.rtxTimer = new WheelTimer<TcpSock>(stack.timers.retransmitTimer, this);
    this.delackTimer = new WheelTimer<TcpSock>(stack.timers.delackTimer, this);
    this.kaTimer = new WheelTimer<TcpSock>(stack.timers.keepaliveTimer, this);
    this.lossTimer = new WheelTimer<TcpSock>(stack.timers.lossTimer, this);
  }

  /** `sock_owned_by_user`: a socket call is running; input goes to the backlog. */
  get owned(): boolean {
    return this.lockDepth > 0;
  }

  /** Bytes in flight (RFC 5681 FlightSize, approximated as snd_nxt − snd_una). */
  get inFlight(): number {
    return (this.sndNxt - this.sndUna) >>> 0;
  }

  /** Free send-buffer space (`sk_stream_wspace`). */
  wspace(): number {
    return this.sndbuf - this.wmemQueued;
  }

  /** Bytes readable now (receive queue, from copied_seq). */
  readable(): number {
    return (this.rcvNxt - this.copiedSeq - (this.finSeen ? 1 : 0)) >>> 0;
  }

  /** Bytes written but not yet acknowledged (unsent + in flight). */
  unacked(): number {
    return (this.writeSeq - this.sndUna) >>> 0;
  }
}
