/**
 * Minimal UDP (RFC 768, RFC 1122 §4.1; Linux `net/ipv4/udp.c`): receive with
 * length/checksum validation and (address, port) demux, ICMP port unreachable
 * for closed ports, bounded socket receive queues, and `bind`/`sendto`/`recv`
 * sockets on top of {@link ipQueueXmit}.
 *
 * @module
 */
import { allocSkb, IpSummed, skbChecksum, type SkBuff } from '@netlayers/skbuff';
import { MAX_HEADER } from './device.js';
import { icmpSend } from './icmp.js';
import { ipQueueXmit, type XmitOptions, type XmitStatus } from './output.js';
import { DstCache, ipRouteOutput, type RouteError } from './route.js';
import type { IcmpErrorInfo, Stack } from './stack.js';
import type { Ipv4Addr } from './wire/addr.js';
import { IPV4_BROADCAST, isMulticast, readIpv4, readU16, writeU16 } from './wire/addr.js';
import { checksum16, fold16, pseudoHeaderSum, sum16 } from './wire/checksum.js';
import { IcmpType, IcmpUnreachCode } from './wire/icmpv4.js';
import { IPV4_FIELD, IpProtocol } from './wire/ipv4.js';
import { UDP_HEADER_LEN } from './wire/udp.js';

/** UDP socket errors. */
export class UdpError extends Error {
  constructor(readonly code: 'EADDRINUSE' | 'EINVAL' | 'EADDRNOTAVAIL' | 'EMSGSIZE' | 'ENOTCONN', message: string) {
    super(message);
    this.name = 'UdpError';
  }
}

/** A received datagram (payload copied out of the skb). */
export interface UdpDatagram {
  readonly data: Uint8Array;
  readonly saddr: Ipv4Addr;
  readonly sport: number;
  readonly daddr: Ipv4Addr;
  readonly dport: number;
}

/** Options of {@link UdpTable.socket}. */
export interface UdpSocketOptions {
  /** Receive buffer in bytes of skb truesize (`SO_RCVBUF`, default 212992). */
  rcvbuf?: number;
}

/** Linux `ip_local_port_range` default. */
const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;

/** A UDP socket. */
export class UdpSocket {
  localAddr: Ipv4Addr = 0;
  localPort = 0;
  /** Last asynchronous error from ICMP (ECONNREFUSED, EHOSTUNREACH, EMSGSIZE…), cleared by reading. */
  error: string | undefined;
  /** Called when a datagram was queued (the socket is readable). */
  onReadable: (() => void) | undefined;
  /** Datagrams dropped because the receive buffer was full. */
  drops = 0;
  readonly rcvbuf: number;
  private readonly queue: SkBuff[] = [];
  private rmem = 0;
  private closed = false;
  private readonly dst = new DstCache();

  constructor(
    private readonly table: UdpTable,
    opts: UdpSocketOptions = {},
  ) {
    this.rcvbuf = opts.rcvbuf ?? 212_992;
  }

  /** Datagrams waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Binds to `port` (0 = ephemeral) on `addr` (0 = any local address).
   * @throws UdpError `EADDRINUSE`, `EADDRNOTAVAIL`, `EINVAL` (already bound)
   */
  bind(port = 0, addr: Ipv4Addr = 0): this {
    if (this.localPort !== 0) throw new UdpError('EINVAL', 'socket already bound');
    this.table.bindSocket(this, port, addr >>> 0);
    return this;
  }

  /**
   * Sends `data` to `daddr:dport` (auto-binds an ephemeral port).
   * @returns `'OK'` or the errno-style reason
   * @throws UdpError `EMSGSIZE` for payloads over 65507 bytes
   */
  sendto(data: Uint8Array, daddr: Ipv4Addr, dport: number, opts: Omit<XmitOptions, 'daddr' | 'protocol' | 'dst'> = {}): XmitStatus {
    if (data.length > 0xffff - 20 - UDP_HEADER_LEN) throw new UdpError('EMSGSIZE', `payload ${data.length} > 65507`);
    if (this.localPort === 0) this.bind();
    return this.table.send(this, data, daddr >>> 0, dport, this.dst, opts);
  }

  /** Dequeues one datagram (copying its payload), or undefined. */
  recv(): UdpDatagram | undefined {
    const skb = this.queue.shift();
    if (!skb) return undefined;
    this.rmem -= skb.truesize;
    const data = new Uint8Array(skb.len - UDP_HEADER_LEN);
    skb.copyBits(UDP_HEADER_LEN, data, data.length);
    const nb = skb.buf;
    const nh = skb.networkHeader;
    const d: UdpDatagram = {
      data,
      saddr: readIpv4(nb, nh + IPV4_FIELD.SRC_ADDR),
      daddr: readIpv4(nb, nh + IPV4_FIELD.DST_ADDR),
      sport: readU16(nb, skb.data),
      dport: readU16(nb, skb.data + 2),
    };
    skb.free();
    return d;
  }

  /** Unbinds and frees queued datagrams. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.table.unbind(this);
    for (const skb of this.queue.splice(0)) skb.free();
    this.rmem = 0;
  }

  /** @internal */
  enqueue(skb: SkBuff): boolean {
    if (this.rmem + skb.truesize > this.rcvbuf) return false;
    this.rmem += skb.truesize;
    this.queue.push(skb);
    this.onReadable?.();
    return true;
  }
}

/** The UDP protocol instance of one stack (`udp_table`). */
export class UdpTable {
  private readonly byPort = new Map<number, UdpSocket[]>();
  private nextEphemeral = EPHEMERAL_LOW;

  constructor(private readonly stack: Stack) {}

  /** Opens a socket (`socket(AF_INET, SOCK_DGRAM)`). */
  socket(opts?: UdpSocketOptions): UdpSocket {
    return new UdpSocket(this, opts);
  }

  /** @internal */
  bindSocket(sk: UdpSocket, port: number, addr: Ipv4Addr): void {
    if (addr !== 0 && !this.stack.isLocal(addr) && addr >>> 24 !== 127) throw new UdpError('EADDRNOTAVAIL', 'not a local address');
    let p = port;
    if (p === 0) {
      for (let i = 0; i <= EPHEMERAL_HIGH - EPHEMERAL_LOW; i++) {
        const c = this.nextEphemeral;
        this.nextEphemeral = c >= EPHEMERAL_HIGH ? EPHEMERAL_LOW : c + 1;
        if (!this.conflicts(c, addr)) {
          p = c;
          break;
        }
      }
      if (p === 0) throw new UdpError('EADDRINUSE', 'no ephemeral port free');
    } else if (!Number.isInteger(p) || p < 1 || p > 0xffff) throw new UdpError('EINVAL', `port ${p}`);
    else if (this.conflicts(p, addr)) throw new UdpError('EADDRINUSE', `port ${p} in use`);
    sk.localAddr = addr;
    sk.localPort = p;
    const l = this.byPort.get(p) ?? [];
    l.push(sk);
    this.byPort.set(p, l);
  }

  private conflicts(port: number, addr: Ipv4Addr): boolean {
    const l = this.byPort.get(port);
    return !!l && l.some((s) => s.localAddr === 0 || addr === 0 || s.localAddr === addr);
  }

  /** @internal */
  unbind(sk: UdpSocket): void {
    const l = this.byPort.get(sk.localPort);
    if (!l) return;
    const i = l.indexOf(sk);
    if (i >= 0) l.splice(i, 1);
    if (!l.length) this.byPort.delete(sk.localPort);
  }

  /** `__udp4_lib_lookup`: exact local address first, then wildcard. */
  lookup(daddr: Ipv4Addr, dport: number): UdpSocket | undefined {
    const l = this.byPort.get(dport);
    if (!l) return undefined;
    let wild: UdpSocket | undefined;
    for (const s of l) {
      if (s.localAddr === daddr) return s;
      if (s.localAddr === 0) wild = s;
    }
    return wild;
  }

  /** @internal builds and sends one datagram. */
  send(sk: UdpSocket, data: Uint8Array, daddr: Ipv4Addr, dport: number, dst: DstCache, opts: Omit<XmitOptions, 'daddr' | 'protocol' | 'dst'>): XmitStatus {
    const ulen = UDP_HEADER_LEN + data.length;
    const skb = allocSkb(MAX_HEADER + ulen);
    skb.reserve(MAX_HEADER);
    const o = skb.putOff(ulen);
    const b = skb.buf;
    b.set(data, o + UDP_HEADER_LEN);
    writeU16(b, o, sk.localPort);
    writeU16(b, o + 2, dport);
    writeU16(b, o + 4, ulen);
    writeU16(b, o + 6, 0);
    skb.resetTransportHeader();
    let saddr = sk.localAddr || opts.saddr;
    if (!saddr) {
      const d = dst.check(this.stack, daddr);
      if (d) saddr = d.saddr;
      else {
        // Resolve the source now: the checksum covers it.
        const st = ipQueueXmitResolve(this.stack, daddr, dst);
        if (typeof st === 'string') {
          this.stack.ipMib.OutNoRoutes++;
          skb.free();
          return st;
        }
        saddr = st;
      }
    }
    const c = checksum16(sum16(b, o, ulen, pseudoHeaderSum(saddr, daddr, IpProtocol.UDP, ulen)));
    writeU16(b, o + 6, c === 0 ? 0xffff : c);
    this.stack.udpMib.OutDatagrams++;
    return ipQueueXmit(this.stack, skb, { ...opts, saddr, daddr, protocol: IpProtocol.UDP, dst });
  }

  /**
   * Receives a datagram (Linux `__udp4_lib_rcv`). `skb.data` at the UDP header.
   * Takes ownership.
   */
  rcv(skb: SkBuff): void {
    const mib = this.stack.udpMib;
    if (!skb.mayPull(UDP_HEADER_LEN)) {
      mib.InErrors++;
      skb.free();
      return;
    }
    const b = skb.buf;
    const d = skb.data;
    const ulen = readU16(b, d + 4);
    if (ulen < UDP_HEADER_LEN || ulen > skb.len) {
      mib.InErrors++;
      skb.free();
      return;
    }
    if (ulen < skb.len) skb.trimRcsum(ulen);
    const nh = skb.networkHeader;
    const saddr = readIpv4(skb.buf, nh + IPV4_FIELD.SRC_ADDR);
    const daddr = readIpv4(skb.buf, nh + IPV4_FIELD.DST_ADDR);
    const check = readU16(b, d + 6);
    if (check !== 0 && skb.ipSummed !== IpSummed.UNNECESSARY) {
      const s = skbChecksum(skb, 0, ulen, pseudoHeaderSum(saddr, daddr, IpProtocol.UDP, ulen));
      if (fold16(s) !== 0xffff) {
        mib.InCsumErrors++;
        mib.InErrors++;
        skb.free();
        return;
      }
    }
    const dport = readU16(b, d + 2);
    const sk = this.lookup(daddr, dport);
    if (!sk) {
      mib.NoPorts++;
      if (daddr !== IPV4_BROADCAST && !isMulticast(daddr) && (this.stack.isLocal(daddr) || daddr >>> 24 === 127)) {
        icmpSend(this.stack, skb, IcmpType.DEST_UNREACH, IcmpUnreachCode.PORT, 0);
      }
      skb.free();
      return;
    }
    if (!sk.enqueue(skb)) {
      mib.RcvbufErrors++;
      mib.InErrors++;
      sk.drops++;
      skb.free();
      return;
    }
    mib.InDatagrams++;
  }

  /** ICMP error about a datagram we sent (Linux `__udp4_lib_err`). */
  err(_skb: SkBuff, e: IcmpErrorInfo): void {
    const sport = readU16(e.quotedL4, 0);
    const sk = this.lookup(e.quoted.src, sport);
    if (!sk) return;
    if (e.type === IcmpType.DEST_UNREACH) {
      sk.error = e.code === IcmpUnreachCode.PORT ? 'ECONNREFUSED' : e.code === IcmpUnreachCode.FRAG_NEEDED ? 'EMSGSIZE' : 'EHOSTUNREACH';
    } else if (e.type === IcmpType.TIME_EXCEEDED) sk.error = 'EHOSTUNREACH';
  }

  /** Closes every socket. */
  closeAll(): void {
    for (const l of [...this.byPort.values()]) for (const s of [...l]) s.close();
  }
}

function ipQueueXmitResolve(stack: Stack, daddr: Ipv4Addr, cache: DstCache): Ipv4Addr | RouteError {
  const r = ipRouteOutput(stack, daddr);
  if (typeof r === 'string') return r;
  cache.set(r);
  return r.saddr;
}
