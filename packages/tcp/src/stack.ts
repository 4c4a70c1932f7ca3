/**
 * One TCP instance (Linux `struct proto tcp_prot` + `tcp_hashinfo` + per-netns
 * sysctls): the connection table, the timer wheel, the configuration, SNMP-like
 * counters, and the narrow network-layer interface TCP sits on (like
 * `inet_connection_sock_af_ops`): {@link TcpNetOps}`.queueXmit` down, and
 * {@link TcpStack.tcpV4Rcv} up.
 *
 * @module
 */

import { defaultSkbPool, type SkBuff, type SkbPool } from '@netlayers/skbuff';
import type { TimerService } from './clock.js';
import type { CongestionOps } from './cong/ops.js';
import { tcpCaFind } from './cong/registry.js';
import { TcpError } from './errors.js';
import { ConnTable } from './conn-table.js';
import { makeHashKey, secureTcpSeq, type HashKey } from './hash.js';
import { tcpProcessBacklog, tcpV4Rcv } from './input.js';
import { tcpSetState } from './proto.js';
import { TcpSock } from './sock.js';
import { TcpState } from './state.js';
import { tcpTimers, type TcpTimerOps } from './timers.js';
import { TimerWheel } from './timer-wheel.js';

/** What TCP needs to know about the route to a destination (`dst_entry` + `sk_route_caps`). */
export interface TcpRoute {
  /** Source address to use. */
  saddr: number;
  /** Path MTU (IP packet size). */
  mtu: number;
  /** The device computes the TCP checksum (NETIF_F_HW_CSUM): send CHECKSUM_PARTIAL. */
  csumOffload: boolean;
  /** The device segments large TCP skbs (NETIF_F_TSO). */
  tso: boolean;
  /** Largest GSO skb the device takes (`gso_max_size`). */
  gsoMaxSize: number;
}

/**
 * The network layer below TCP (Linux `inet_connection_sock_af_ops`: `queue_xmit`,
 * route lookup). `queueXmit` takes ownership of the skb, whose `data` points at the
 * TCP header, with at least `maxHeader` bytes of headroom for lower headers.
 */
export interface TcpNetOps {
  queueXmit(skb: SkBuff, saddr: number, daddr: number): void;
  /** Route to `daddr` (from `saddr` if non-zero); undefined = unreachable. */
  route(daddr: number, saddr: number): TcpRoute | undefined;
  /** Headroom the lower layers need (IP + link headers). */
  readonly maxHeader: number;
}

/** Tunables (Linux sysctls under `net.ipv4.tcp_*`). All times in ms. */
export interface TcpConfig {
  /** RTO floor (`TCP_RTO_MIN`, 200). */
  rtoMin: number;
  /** RTO ceiling (`TCP_RTO_MAX`, 120 000). */
  rtoMax: number;
  /** Initial RTO before an RTT sample (`TCP_TIMEOUT_INIT`, 1000). */
  rtoInit: number;
  /** Data retransmissions before ETIMEDOUT (`tcp_retries2`, 15). */
  retries2: number;
  /** SYN retransmissions (`tcp_syn_retries`, 6). */
  synRetries: number;
  /** SYN-ACK retransmissions (`tcp_synack_retries`, 5). */
  synAckRetries: number;
  /** Initial SYN-ACK timeout (1000). */
  synAckTimeout: number;
  /** TIME-WAIT duration, 2·MSL (`TCP_TIMEWAIT_LEN`, 60 000). */
  timeWaitMs: number;
  /** Orphaned FIN-WAIT-2 lifetime (`tcp_fin_timeout`, 60 000). */
  finTimeoutMs: number;
  /** Delayed ACK timeout (`TCP_DELACK_MIN`, 40). */
  delackMs: number;
  /** Duplicate ACKs that trigger fast retransmit (`tcp_reordering`, 3). */
  dupThresh: number;
  /** Default send buffer (bytes). */
  sndbuf: number;
  /** Default receive buffer (bytes). */
  rcvbuf: number;
  /**
   * Largest receive buffer (Linux `tcp_rmem[2]`, 6 MiB): what SO_RCVBUF may set and
   * autotuning may grow to; sizes the window scale.
   */
  rcvbufMax: number;
  /**
   * Receive-buffer autotuning (`tcp_moderate_rcvbuf`, default true): a socket without
   * SO_RCVBUF grows its buffer up to `rcvbufMax` as the reader keeps up (DRS, rcv-space.ts).
   */
  moderateRcvbuf: boolean;
  /** Largest send buffer. */
  sndbufMax: number;
  /** RST instead of dropping the final ACK when the accept queue is full (`tcp_abort_on_overflow`). */
  abortOnOverflow: boolean;
  /** Minimum SYN queue bound. */
  minSynBacklog: number;
  /**
   * Answer SYNs with a SYN cookie when the SYN queue is full (RFC 4987,
   * `tcp_syncookies` = 1, the Linux default: true); false drops them.
   */
  syncookies: boolean;
  /** Challenge ACKs per second (`tcp_challenge_ack_limit`). */
  challengeAckLimit: number;
  /** Minimum gap between ACKs answering out-of-window segments (`tcp_invalid_ratelimit`, 500). */
  invalidRatelimitMs: number;
  /** Bypass the prequeue (`tcp_low_latency`). */
  lowLatency: boolean;
  /** Negotiate SACK-permitted (the recovery algorithm is a later issue: off). */
  sack: boolean;
  /**
   * Offer and answer RFC 7323 timestamps (`tcp_timestamps`; Linux's default is 1,
   * ours false for now): TSval in 1 ms ticks on every segment once negotiated,
   * TS.Recent kept and PAWS applied on receive.
   */
  timestamps: boolean;
  /**
   * Congestion control module of new sockets (`tcp_congestion_control`, Linux
   * default 'cubic'): a name in the registry (reno, cubic, vegas or one added with
   * `tcpRegisterCongestionControl`). A socket can switch with `TCP_CONGESTION`.
   */
  congestionControl: string;
  /**
   * Loss detection bits (`tcp_recovery`, Linux default 1): {@link TCP_RACK_LOSS_DETECTION}
   * turns RACK (RFC 8985) on for SACK connections, {@link TCP_RACK_STATIC_REO_WND} keeps the
   * reordering window at min_rtt/4 (no DSACK adaptation), {@link TCP_RACK_NO_DUPTHRESH} drops
   * the "dupThresh SACKed segments → zero window" rule. See rack.ts.
   */
  recovery: number;
  /** Tail loss probes (`tcp_early_retrans`, Linux default 3: TLP on; 0 off). Needs SACK, as in Linux. See tlp.ts. */
  earlyRetrans: number;
  /** F-RTO after an RTO (`tcp_frto`, RFC 5682, Linux default 2: on; 0 off). See undo.ts. */
  frto: number;
  /** Ephemeral port range. */
  portRange: readonly [number, number];
}

/** `tcp_recovery` bits (Linux `TCP_RACK_*`). */
export const TCP_RACK_LOSS_DETECTION = 1;
export const TCP_RACK_STATIC_REO_WND = 2;
export const TCP_RACK_NO_DUPTHRESH = 4;

/** Linux defaults. */
export const defaultTcpConfig: TcpConfig = {
  rtoMin: 200,
  rtoMax: 120_000,
  rtoInit: 1000,
  retries2: 15,
  synRetries: 6,
  synAckRetries: 5,
  synAckTimeout: 1000,
  timeWaitMs: 60_000,
  finTimeoutMs: 60_000,
  delackMs: 40,
  dupThresh: 3,
  sndbuf: 1 << 20,
  rcvbuf: 1 << 20,
  rcvbufMax: 6 << 20,
  moderateRcvbuf: true,
  sndbufMax: 4 << 20,
  abortOnOverflow: false,
  minSynBacklog: 8,
  syncookies: true,
  challengeAckLimit: 1000,
  invalidRatelimitMs: 500,
  lowLatency: false,
  sack: false,
  timestamps: false,
  congestionControl: 'cubic',
  recovery: 1,
  earlyRetrans: 3,
  frto: 2,
  portRange: [32768, 60999],
};

/** Counters in the spirit of `/proc/net/snmp` Tcp: and `/proc/net/netstat` TcpExt:. */
export class TcpMib {
  activeOpens = 0;
  passiveOpens = 0;
  attemptFails = 0;
  estabResets = 0;
  currEstab = 0;
  inSegs = 0;
  outSegs = 0;
  retransSegs = 0;
  inErrs = 0;
  inCsumErrors = 0;
  outRsts = 0;
  inRsts = 0;
  noPort = 0;
  listenOverflows = 0;
  listenDrops = 0;
  /** SYN cookies sent, valid cookie ACKs, invalid cookie ACKs (`SyncookiesSent/Recv/Failed`). */
  syncookiesSent = 0;
  syncookiesRecv = 0;
  syncookiesFailed = 0;
  synAckTimeouts = 0;
  challengeAcks = 0;
  backlogDrop = 0;
  backlogged = 0;
  prequeued = 0;
  prequeueTimeouts = 0;
  fastPathData = 0;
  fastPathAcks = 0;
  slowPath = 0;
  ofoQueued = 0;
  ofoDrop = 0;
  ofoPruned = 0;
  oowRateLimited = 0;
  inIcmpErrors = 0;
  outOfWindowIcmps = 0;
  ofoDup = 0;
  dupData = 0;
  outOfWindow = 0;
  rcvPruned = 0;
  dupAcks = 0;
  fastRetrans = 0;
  timeouts = 0;
  timeoutAborts = 0;
  probes = 0;
  keepaliveProbes = 0;
  delayedAcks = 0;
  abortOnData = 0;
  simultaneousOpens = 0;
  ackedBytes = 0;
  /** Tail loss probes sent, and episodes a probe repaired (`TCPLossProbes`, `TCPLossProbeRecovery`). */
  lossProbes = 0;
  lossProbeRecovery = 0;
  /** Segments RACK marked lost, and reordering-timer expiries (`TCPRACK…`; Linux counts these in `lost`). */
  rackLost = 0;
  rackReoTimeouts = 0;
  /** DSACK blocks received (`TCPDSACKRecv`, `TCPDSACKOfoRecv` included). */
  dsackRecv = 0;
  /** Undos of a cwnd reduction (`TCPDSACKUndo`, `TCPFullUndo`, `TCPPartialUndo`, `TCPLossUndo`). */
  dsackUndo = 0;
  fullUndo = 0;
  partialUndo = 0;
  lossUndo = 0;
  /** RTOs F-RTO found spurious (`TCPSpuriousRTOs`). */
  spuriousRtos = 0;
  /** Segments marked lost then retransmitted by RACK/undo-aware recovery (`TCPLostRetransmit`: a retransmission was lost). */
  lostRetransmit = 0;
}

/** Options of {@link TcpStack}. */
export interface TcpStackOptions {
  /** Time source and timers (a VirtualClock in tests). */
  clock: TimerService;
  /** The network layer. */
  net: TcpNetOps;
  /** Tunables overriding {@link defaultTcpConfig}. */
  config?: Partial<TcpConfig>;
  /** Seed for hash keys and ISNs (reproducible runs); random if omitted. */
  seed?: number;
  /** skb pool (default: skbuff's default pool). */
  pool?: SkbPool;
  /** Congestion control module of new sockets; overrides `config.congestionControl`. */
  congestion?: CongestionOps;
  /** State-transition tracer (`old => new` lines). */
  trace?: (line: string) => void;
}

/** A TCP instance. */
export class TcpStack {
  readonly clock: TimerService;
  readonly net: TcpNetOps;
  readonly config: TcpConfig;
  readonly wheel: TimerWheel;
  readonly table: ConnTable<TcpSock, TcpSock>;
  readonly mib = new TcpMib();
  readonly pool: SkbPool;
  readonly timers: TcpTimerOps = tcpTimers;
  readonly maxTcpHeader: number;
  congestion: CongestionOps;
  trace: ((line: string) => void) | undefined;
  private readonly isnKey: HashKey;
  /** @internal secret of the SYN cookies (`syncookie_secret`). */
  readonly cookieKey: HashKey;
  private nextId = 1;
  /** Live sockets by id (the "file descriptor table"). */
  readonly sockets = new Map<number, TcpSock>();
  private challengeWindowStart = 0;
  private challengeCount = 0;
  /** @internal addresses of the segment being demultiplexed to a listener */
  rxSaddr = 0;
  rxDaddr = 0;
  rxSport = 0;
  rxDport = 0;

  constructor(opts: TcpStackOptions) {
    this.clock = opts.clock;
    this.net = opts.net;
    this.config = { ...defaultTcpConfig, ...opts.config };
    this.wheel = new TimerWheel(opts.clock);
    this.table = new ConnTable<TcpSock, TcpSock>({
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      portRange: this.config.portRange,
    });
    this.pool = opts.pool ?? defaultSkbPool;
    const ca = opts.congestion ?? tcpCaFind(this.config.congestionControl);
    if (ca === undefined) throw new TcpError('ENOENT', `no congestion control ${this.config.congestionControl}`, 'TcpStack');
    this.congestion = ca;
    this.config.congestionControl = ca.name;
    this.trace = opts.trace;
    this.isnKey = makeHashKey(opts.seed === undefined ? undefined : opts.seed ^ 0x15a);
    this.cookieKey = makeHashKey(opts.seed === undefined ? undefined : opts.seed ^ 0xc00c1e);
    this.maxTcpHeader = 60 + opts.net.maxHeader;
  }

  /** Receive entry from the network layer (`tcp_v4_rcv`); takes ownership of `skb`. */
  tcpV4Rcv(skb: SkBuff, saddr: number, daddr: number): void {
    tcpV4Rcv(this, skb, saddr, daddr);
  }

  /** Creates a socket in CLOSED state (`tcp_v4_init_sock`). */
  newSock(): TcpSock {
    const sk = new TcpSock(this, this.nextId++, this.congestion, this.config.sndbuf, this.config.rcvbuf);
    sk.rto = this.config.rtoInit;
    this.sockets.set(sk.id, sk);
    return sk;
  }

  /** @internal removes a destroyed socket. */
  forget(sk: TcpSock): void {
    this.sockets.delete(sk.id);
  }

  /** @internal unhash a socket (on CLOSE) and release its port. */
  unhash(sk: TcpSock): void {
    if (sk.hashed) {
      if (sk.state === TcpState.LISTEN || this.table.lookupListener(sk.laddr, sk.lport) === sk) this.table.removeListener(sk);
      this.table.remove(sk);
      sk.hashed = false;
    }
    if (sk.portBound) {
      this.table.unbindPort(sk.lport);
      sk.portBound = false;
    }
  }

  /** RFC 6528 ISN for a 4-tuple. */
  isn(laddr: number, raddr: number, lport: number, rport: number): number {
    return secureTcpSeq(this.isnKey, this.clock.now(), laddr, raddr, lport, rport);
  }

  /** Scaled peer window. */
  winScaled(raw: number, wscale: number): number {
    return raw * 2 ** wscale;
  }

  /** @internal */
  setRxTuple(saddr: number, daddr: number, sport: number, dport: number): void {
    this.rxSaddr = saddr;
    this.rxDaddr = daddr;
    this.rxSport = sport;
    this.rxDport = dport;
  }

  /** RFC 5961 §7 rate limit for challenge ACKs. */
  challengeAckAllowed(): boolean {
    const now = this.clock.now();
    if (now - this.challengeWindowStart >= 1000) {
      this.challengeWindowStart = now;
      this.challengeCount = 0;
    }
    return ++this.challengeCount <= this.config.challengeAckLimit;
  }

  /** `lock_sock`: input for `sk` goes to its backlog until {@link releaseSock}. */
  lockSock(sk: TcpSock): void {
    sk.lockDepth++;
  }

  /**
   * `release_sock`: the outermost release processes the backlog, then releases
   * ownership; a nested release only drops one level (and an unbalanced one is ignored).
   */
  releaseSock(sk: TcpSock): void {
    if (sk.lockDepth > 1) {
      sk.lockDepth--;
      return;
    }
    while (sk.backlog.qlen > 0) tcpProcessBacklog(sk);
    sk.lockDepth = 0;
  }

  /** Moves a socket to a new state through the single choke point. */
  setState(sk: TcpSock, state: TcpState): void {
    tcpSetState(sk, state);
  }

  /** Number of live sockets. */
  get socketCount(): number {
    return this.sockets.size;
  }
}
