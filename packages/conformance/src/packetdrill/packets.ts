/**
 * Packets between the script and the stack under test: building inbound
 * datagrams from script packets with the ipv4/tcp wire codecs (script sequence
 * numbers remapped into live ones), and checking captured outbound datagrams
 * strictly against the script (flags, seq/ack relative to the ISNs, window,
 * options in order, payload length and zero bytes, IPv4 header), producing a
 * side-by-side diff on mismatch.
 *
 * @module
 */
import { Ipv4Packet, Ipv4Repr } from '@netlayers/ipv4';
import { TcpPacket, TCP_HEADER_LEN } from '@netlayers/tcp';
import type { ScriptTcpOption, TcpPacketSpec } from './ast.js';
import { PacketdrillUnsupportedError } from './errors.js';
import { printTcpOption, printTcpPacket } from './printer.js';
import { decodeWireOptions, encodeScriptOptions, type WireTcpOption } from './tcp-options.js';

/** Flag letter → TCP header flag bit (byte 13); `A` (AE) lives in byte 12. */
const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, '.': 0x10, U: 0x20, E: 0x40, W: 0x80 };
const LETTER_ORDER = ['S', 'F', 'R', 'P', 'E', 'W', 'U', '.'];

/** The byte-13 flags of a script flag string. */
export function flagBits(flags: string): number {
  let b = 0;
  for (const c of flags) b |= FLAG_BITS[c] ?? 0;
  return b;
}

/** Flag bits back to letters in packetdrill's usual order (`S.`, `P.`, `F.`). */
export function flagLetters(bits: number, ae = false): string {
  let s = '';
  for (const c of LETTER_ORDER) if ((bits & FLAG_BITS[c]!) !== 0) s += c;
  if (ae) s += 'A';
  return s;
}

/** Live ↔ script sequence-space state of the connection under test. */
export interface SeqState {
  /** Live ISN of the stack under test minus its script ISN (learned from its SYN/SYN-ACK). */
  localIsn: number | undefined;
  /** Live TSval minus script TSval of the first outbound timestamp. */
  tsOffset: number | undefined;
  localAddr: number;
  remoteAddr: number;
  /** Port of the stack under test (8080 for listeners; learned for connects). */
  localPort: number | undefined;
  remotePort: number;
  /** An inbound packet fixed the remote port (else the first outbound packet's destination port sets it). */
  remotePortFixed: boolean;
}

/** Builds the IPv4 datagram of an inbound script packet. */
export function buildInbound(p: TcpPacketSpec, st: SeqState, line: number): Uint8Array {
  if (p.ip.flowlabel !== undefined) throw new PacketdrillUnsupportedError(line, 'flowlabel (IPv6 only)');
  const bits = flagBits(p.flags);
  const hasAck = (bits & FLAG_BITS['.']!) !== 0;
  const off = st.localIsn ?? 0;
  const opts = p.options === undefined || p.options === 'any' ? new Uint8Array(0) : encodeScriptOptions(p.options, {
    sack: (v) => (v + off) >>> 0,
    tsEcr: (v) => (v === 0 || st.tsOffset === undefined ? v : (v + st.tsOffset) >>> 0),
  }, line);
  const optLen = (opts.length + 3) & ~3;
  const tcpLen = TCP_HEADER_LEN + optLen + p.len;
  if (optLen > 40) throw new PacketdrillUnsupportedError(line, 'TCP options longer than 40 bytes');
  if (tcpLen + 20 > 0xffff) throw new PacketdrillUnsupportedError(line, 'inbound packet larger than an IPv4 datagram', `${p.len} payload bytes`);
  const ipr = new Ipv4Repr({ src: st.remoteAddr, dst: st.localAddr, protocol: 6, payloadLen: tcpLen, ttl: p.ip.ttl ?? 64, tos: (p.ip.tos ?? 0) | ecnBits(p.ip.ecn), dontFrag: true });
  const hl = ipr.bufferLen();
  const dg = new Uint8Array(hl + tcpLen);
  ipr.emit(Ipv4Packet.unchecked(dg));
  const tcp = TcpPacket.unchecked(dg, hl, tcpLen);
  st.remotePortFixed = true;
  tcp.srcPort = p.ports?.src ?? st.remotePort;
  tcp.dstPort = p.ports?.dst ?? st.localPort ?? 8080;
  tcp.seq = p.start >>> 0;
  tcp.ack = hasAck ? ((p.ack ?? 0) + off) >>> 0 : (p.ack ?? 0) >>> 0;
  tcp.headerLen = TCP_HEADER_LEN + optLen;
  tcp.flags = bits;
  if (p.flags.includes('A') || p.ace !== undefined) dg[hl + 12] = dg[hl + 12]! | 1;
  tcp.window = p.win ?? 0;
  tcp.urgentPtr = p.urg ?? 0;
  dg.set(opts, hl + TCP_HEADER_LEN);
  tcp.checksum = 0;
  tcp.fillChecksum(st.remoteAddr, st.localAddr);
  return dg;
}

function ecnBits(ecn: TcpPacketSpec['ip']['ecn']): number {
  return ecn === 'ect0' ? 2 : ecn === 'ect1' ? 1 : ecn === 'ce' ? 3 : 0;
}

/** A captured outbound segment, decoded (several merged when aggregated). */
export interface OutboundSeg {
  saddr: number;
  daddr: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  ae: boolean;
  reserved: number;
  window: number;
  urg: number;
  options: WireTcpOption[];
  payloadLen: number;
  payloadZero: boolean;
  ipProblems: string[];
  tos: number;
  ttl: number;
}

/** Decodes a captured datagram; undefined when it is not TCP over IPv4. */
export function decodeOutbound(dg: Uint8Array): OutboundSeg | undefined {
  let ipp: Ipv4Packet;
  try {
    ipp = Ipv4Packet.checked(dg);
  } catch {
    return undefined;
  }
  if (ipp.protocol !== 6) return undefined;
  const problems: string[] = [];
  if (ipp.headerLen !== 20) problems.push(`ihl ${ipp.headerLen / 4} (expected 5)`);
  if (ipp.totalLen !== dg.length) problems.push(`IP total length ${ipp.totalLen} but datagram is ${dg.length} bytes`);
  if (!ipp.verifyChecksum()) problems.push('bad IPv4 header checksum');
  const hl = ipp.headerLen;
  let tcp: TcpPacket;
  try {
    tcp = TcpPacket.checked(dg, hl, ipp.totalLen - hl);
  } catch {
    return undefined;
  }
  const payStart = tcp.payloadOffset;
  const payEnd = hl + tcp.length;
  let zero = true;
  for (let i = payStart; i < payEnd; i++) if (dg[i] !== 0) { zero = false; break; }
  return {
    saddr: ipp.src, daddr: ipp.dst, sport: tcp.srcPort, dport: tcp.dstPort, seq: tcp.seq, ack: tcp.ack,
    flags: tcp.flags, ae: (dg[hl + 12]! & 1) !== 0, reserved: (dg[hl + 12]! >>> 1) & 7, window: tcp.window, urg: tcp.urgentPtr,
    options: decodeWireOptions(dg, hl + TCP_HEADER_LEN, hl + tcp.headerLen), payloadLen: tcp.payloadLen, payloadZero: zero,
    ipProblems: problems, tos: ipp.tos, ttl: ipp.ttl,
  };
}

/** Merges consecutive segments (TSO tolerance): headers from the last, seq from the first. */
export function mergeSegs(first: OutboundSeg, next: OutboundSeg): OutboundSeg {
  return { ...next, seq: first.seq, payloadLen: first.payloadLen + next.payloadLen, payloadZero: first.payloadZero && next.payloadZero, ipProblems: [...first.ipProblems, ...next.ipProblems] };
}

/** Options of the check. */
export interface CheckOptions {
  /** Check outbound TS val (`--tcp_ts_tick_usecs` ≠ 0). */
  checkTsVal: boolean;
}

function optionText(o: WireTcpOption): string {
  return o.kind === 'unknown' ? `kind ${o.code} [${o.bytes.join(' ')}]` : printTcpOption(o as ScriptTcpOption);
}

/** The actual segment in script terms (seq relative to the local ISN). */
export function actualAsSpec(s: OutboundSeg, st: SeqState, expected: TcpPacketSpec): string {
  const off = st.localIsn ?? 0;
  const start = (s.seq - off) >>> 0;
  const segLen = s.payloadLen;
  const opts = s.options.map((o) => (o.kind === 'TS' && expected.options !== 'any' ? { ...o, val: o.val - (st.tsOffset ?? 0) } : o));
  const spec = printTcpPacket({
    proto: 'tcp', direction: 'outbound', ip: {}, ports: undefined, flags: flagLetters(s.flags, s.ae), ace: undefined,
    start, end: (start + segLen) >>> 0, len: segLen, ack: (s.flags & 0x10) !== 0 ? s.ack : undefined, win: s.window, urg: s.urg === 0 ? undefined : s.urg, options: undefined,
  });
  return opts.length === 0 ? spec : `${spec} <${opts.map(optionText).join(',')}>`;
}

/**
 * Compares an outbound segment with its script line. Learns the local ISN and
 * TS offset from the first SYN / timestamp. Returns the list of mismatches
 * (empty = match).
 */
export function checkOutbound(p: TcpPacketSpec, s: OutboundSeg, st: SeqState, o: CheckOptions): string[] {
  const bad: string[] = [];
  const want = flagBits(p.flags);
  if ((want & FLAG_BITS.S!) !== 0 && st.localIsn === undefined) st.localIsn = (s.seq - p.start) >>> 0;
  if (st.localPort === undefined) st.localPort = s.sport;
  if (!st.remotePortFixed) {
    st.remotePort = s.dport;
    st.remotePortFixed = true;
  }
  bad.push(...s.ipProblems);
  if (p.ip.tos !== undefined && s.tos !== p.ip.tos) bad.push(`tos 0x${s.tos.toString(16)} (expected 0x${p.ip.tos.toString(16)})`);
  if (p.ip.ttl !== undefined && s.ttl !== p.ip.ttl) bad.push(`ttl ${s.ttl} (expected ${p.ip.ttl})`);
  if (s.flags !== want) bad.push(`flags ${flagLetters(s.flags) || '-'} (expected ${p.flags || '-'})`);
  if (s.ae !== p.flags.includes('A')) bad.push(`AE bit ${s.ae ? 1 : 0}`);
  if (s.reserved !== 0) bad.push(`reserved bits ${s.reserved}`);
  const seq = (s.seq - (st.localIsn ?? 0)) >>> 0;
  if (seq !== p.start >>> 0) bad.push(`seq ${seq} (expected ${p.start})`);
  const ackOn = (want & FLAG_BITS['.']!) !== 0;
  const wantAck = ackOn ? (p.ack ?? s.ack) >>> 0 : 0;
  if (s.ack !== wantAck) bad.push(`ack ${s.ack} (expected ${wantAck})`);
  if (p.win !== undefined && s.window !== p.win) bad.push(`win ${s.window} (expected ${p.win})`);
  if (s.urg !== (p.urg ?? 0)) bad.push(`urg ${s.urg} (expected ${p.urg ?? 0})`);
  if (s.payloadLen !== p.len) bad.push(`payload ${s.payloadLen} bytes (expected ${p.len})`);
  if (!s.payloadZero) bad.push('payload is not all zero bytes');
  if (p.options !== 'any') bad.push(...compareOptions(p.options ?? [], s.options, st, o));
  return bad;
}

function compareOptions(want: readonly ScriptTcpOption[], got: readonly WireTcpOption[], st: SeqState, o: CheckOptions): string[] {
  const firstTs = got.find((g) => g.kind === 'TS');
  const wantTs = want.find((w) => w.kind === 'TS');
  if (firstTs?.kind === 'TS' && wantTs?.kind === 'TS' && st.tsOffset === undefined) st.tsOffset = (firstTs.val - wantTs.val) | 0;
  const n = Math.max(want.length, got.length);
  for (let i = 0; i < n; i++) {
    const w = want[i];
    const g = got[i];
    if (w === undefined || g === undefined || w.kind !== g.kind) {
      return [`options <${got.map(optionText).join(',')}> (expected <${want.map(printTcpOption).join(',')}>): option ${i + 1} differs`];
    }
    let same = true;
    if (w.kind === 'mss' && g.kind === 'mss') same = w.value === g.value;
    else if (w.kind === 'wscale' && g.kind === 'wscale') same = w.value === g.value;
    else if (w.kind === 'sack' && g.kind === 'sack') same = w.blocks.length === g.blocks.length && w.blocks.every((b, j) => b[0] >>> 0 === g.blocks[j]![0] && b[1] >>> 0 === g.blocks[j]![1]);
    else if (w.kind === 'TS' && g.kind === 'TS' && o.checkTsVal) same = Math.abs(((g.val - (st.tsOffset ?? 0)) | 0) - w.val) <= 1;
    if (!same) return [`option ${i + 1}: ${optionText(g)} (expected ${printTcpOption(w)})`];
  }
  return [];
}
