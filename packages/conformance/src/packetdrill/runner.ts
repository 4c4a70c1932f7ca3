/**
 * The packetdrill runner: executes a parsed script against a fresh
 * {@link ScriptHost} in virtual time and reports PASS, FAIL (with the script
 * line, and for packets the expected and actual packet side by side) or SKIP
 * (naming the construct the runner does not implement). A script runs in
 * milliseconds of real time whatever its virtual duration.
 *
 * Timing: every event has a scheduled time (absolute, or relative to the
 * previous event — for outbound packets, to the time the packet was actually
 * seen). Inbound packets and syscalls run at their time; an outbound packet
 * must appear within `max(tolerance_usecs, tolerance_percent · Δ)` of its time,
 * in its `a~b` range, or at any time for `*`. Blocking calls (`t...E`) start
 * at `t`, the script continues while they wait, and they must return at `E`.
 *
 * @module
 */
import type { ScriptEvent, Script, SyscallSpec, TcpPacketSpec } from './ast.js';
import { describeErrno } from './errno.js';
import { PacketdrillCheckError, PacketdrillParseError, PacketdrillUnsupportedError } from './errors.js';
import { ScriptHost } from './harness.js';
import { actualAsSpec, buildInbound, checkOutbound, decodeOutbound, mergeSegs, type OutboundSeg, type SeqState } from './packets.js';
import { parseScript } from './parser.js';
import { printTcpPacket } from './printer.js';
import { defaultProfileConfig } from './profile.js';
import { parsePython, runPython, type PyStmt } from './python.js';
import { exprText, SyscallContext, type CallResult } from './syscalls.js';

/** Outcome of one script. */
export interface RunResult {
  path: string;
  status: 'PASS' | 'FAIL' | 'SKIP';
  reason: string;
  /** Script line the FAIL/SKIP refers to. */
  line: number | undefined;
  /** On packet FAILs: expected and actual side by side. */
  diff: string | undefined;
  /** Virtual time the script took, ms. */
  virtualMs: number;
  /** Default-profile sysctls our TCP has no knob for. */
  notApplied: string[];
}

/** Runner options (command-line options override script options of the same name). */
export interface RunOptions {
  localIp?: string;
  remoteIp?: string;
  /** Extra `-D` definitions. */
  defines?: ReadonlyMap<string, string>;
}

function ipv4(text: string, what: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (m === null) throw new PacketdrillUnsupportedError(0, `${what} ${text}`, 'only IPv4 addresses are supported');
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** Script options the runner reads. Others are tolerated only if listed as harmless. */
interface Settings {
  toleranceUs: number;
  tolerancePct: number;
  strictSegments: boolean;
  mss: number;
  tsTickUs: number;
  localIp: string;
  remoteIp: string;
  netmaskBits: number;
  bindPort: number;
  connectPort: number;
  mtu: number;
}

const HARMLESS = new Set(['define', 'gateway_ip', 'verbose', 'non_fatal', 'wire_client', 'wire_server', 'dry_run', 'send_omit_free', 'speculative_connect']);

function settingsOf(script: Script, o: RunOptions): Settings {
  const s: Settings = { toleranceUs: 4000, tolerancePct: 12.5, strictSegments: false, mss: 0, tsTickUs: 0, localIp: '192.168.0.1', remoteIp: '192.0.2.1', netmaskBits: 16, bindPort: 8080, connectPort: 8080, mtu: 1500 };
  for (const opt of script.options) {
    const v = opt.value ?? '';
    switch (opt.name) {
      case 'tolerance_usecs': s.toleranceUs = Number(v); break;
      case 'tolerance_percent': s.tolerancePct = Number(v); break;
      case 'strict_segments': s.strictSegments = true; break;
      case 'mss': s.mss = Number(v); break;
      case 'tcp_ts_tick_usecs': s.tsTickUs = Number(v); break;
      case 'local_ip': s.localIp = v; break;
      case 'remote_ip': s.remoteIp = v; break;
      case 'bind_port': s.bindPort = Number(v); break;
      case 'connect_port': s.connectPort = Number(v); break;
      case 'mtu': s.mtu = Number(v); break;
      case 'netmask_ip': s.netmaskBits = v.split('.').reduce((n, p) => n + (Number(p) >>> 0).toString(2).replace(/0/g, '').length, 0); break;
      case 'ip_version':
        if (v !== 'ipv4') throw new PacketdrillUnsupportedError(opt.line, `--ip_version=${v}`, 'only ipv4 (no IPv6 stack yet)');
        break;
      default:
        if (!HARMLESS.has(opt.name)) throw new PacketdrillUnsupportedError(opt.line, `option --${opt.name}`);
    }
  }
  if (o.localIp !== undefined) s.localIp = o.localIp;
  if (o.remoteIp !== undefined) s.remoteIp = o.remoteIp;
  return s;
}

/**
 * Rejects constructs the runner cannot execute before anything runs (SKIP).
 * @returns the parsed python statements of each code event
 */
function precheck(script: Script): Map<ScriptEvent, PyStmt[]> {
  const code = new Map<ScriptEvent, PyStmt[]>();
  for (const ev of script.events) {
    const a = ev.action;
    if (a.kind === 'code') code.set(ev, parsePython(a.code, ev.line));
    if (a.kind === 'command') throw new PacketdrillUnsupportedError(ev.line, 'shell command', `\`${a.command}\` mid-script`);
    if (a.kind === 'packet' && a.packet.proto !== 'tcp') throw new PacketdrillUnsupportedError(ev.line, `${a.packet.proto} packet`, a.packet.text);
    if (a.kind === 'packet' && a.packet.proto === 'tcp' && a.packet.options !== 'any' && a.packet.options !== undefined) {
      for (const o of a.packet.options) {
        if (o.kind === 'md5' || o.kind === 'FO' || o.kind === 'ecn') throw new PacketdrillUnsupportedError(ev.line, `TCP option '${o.kind}'`);
      }
    }
  }
  return code;
}

interface Pending {
  ev: ScriptEvent;
  call: SyscallSpec;
  endUs: number;
}

class Run {
  readonly host: ScriptHost;
  readonly ctx: SyscallContext;
  readonly st: SeqState;
  private lastUs = 0;
  private pending: Pending | undefined;
  private readonly queue: OutboundSeg[] = [];
  private readonly times: number[] = [];
  private readonly snapshots: { stmts: PyStmt[]; info: Record<string, number> }[] = [];

  constructor(
    readonly script: Script,
    readonly s: Settings,
    config: ReturnType<typeof defaultProfileConfig>['config'],
    private readonly code: Map<ScriptEvent, PyStmt[]>,
  ) {
    const local = ipv4(s.localIp, '--local_ip');
    const remote = ipv4(s.remoteIp, '--remote_ip');
    this.host = new ScriptHost({ localIp: local, prefixLen: s.netmaskBits, mtu: s.mtu, config });
    this.ctx = new SyscallContext(this.host.api, local, remote, s.bindPort, s.connectPort, () => this.host.nowUs(), (us) => {
      this.host.clock.setTimeout(() => {}, Math.max(0, us / 1000 - this.host.clock.now()));
    });
    this.st = { localIsn: undefined, tsOffset: undefined, localAddr: local, remoteAddr: remote, localPort: undefined, remotePort: 48_879, remotePortFixed: false };
  }

  private tolerance(deltaUs: number): number {
    return Math.max(this.s.toleranceUs, (this.s.tolerancePct / 100) * Math.abs(deltaUs));
  }

  private scheduled(ev: ScriptEvent): number {
    const t = ev.time;
    if (t.kind === 'absolute') return t.usecs;
    if (t.kind === 'relative') return this.lastUs + t.usecs;
    if (t.kind === 'range') return t.relative ? this.lastUs + t.start : t.start;
    return this.host.nowUs();
  }

  /** Moves captured datagrams of the connection into the segment queue. */
  private drainCapture(): void {
    for (const c of this.host.captured.splice(0)) {
      const seg = decodeOutbound(c.bytes);
      if (seg === undefined || seg.daddr !== this.st.remoteAddr) continue; // other protocols / hosts ignored
      if (this.st.localPort !== undefined && seg.sport !== this.st.localPort) continue;
      this.queue.push(seg);
      this.times.push(c.timeUs);
    }
  }

  /** Advances virtual time to `us`, completing a waiting blocking call on the way. */
  private advance(us: number): void {
    for (;;) {
      const next = this.host.nextDeadlineUs();
      if (next === undefined || next > us) break;
      this.host.advanceTo(next);
      this.tryPending();
    }
    this.host.advanceTo(us);
    this.tryPending();
  }

  private tryPending(): void {
    const p = this.pending;
    if (p === undefined) return;
    const r = this.ctx.attempt(p.call, p.ev.line);
    if (r === 'block') return;
    this.pending = undefined;
    const now = this.host.nowUs();
    const tol = this.tolerance(p.endUs - this.lastUs);
    if (Math.abs(now - p.endUs) > tol) {
      throw new PacketdrillCheckError(p.ev.line, `timing error: blocking ${p.call.name}() returned at ${fmt(now)} s, expected at ${fmt(p.endUs)} s`);
    }
    this.checkReturn(p.ev, p.call, r);
  }

  private checkReturn(ev: ScriptEvent, c: SyscallSpec, r: Exclude<CallResult, 'block'>): void {
    const want = c.ret;
    if (want.kind !== 'int') throw new PacketdrillUnsupportedError(ev.line, `return value ${exprText(want)}`);
    if (want.value >= 0 && r.ret < 0) {
      throw new PacketdrillCheckError(ev.line, `runtime error in ${c.name} call: Expected non-negative result but got ${r.ret} with ${describeErrno(r.errno ?? '')}`);
    }
    if (r.ret !== want.value) {
      const why = r.errno === undefined ? '' : ` with ${describeErrno(r.errno)}`;
      throw new PacketdrillCheckError(ev.line, `runtime error in ${c.name} call: Expected result ${want.value} but got ${r.ret}${why}`);
    }
    if (c.errno !== undefined && r.errno !== c.errno) {
      throw new PacketdrillCheckError(ev.line, `runtime error in ${c.name} call: Expected errno ${c.errno} but got ${r.errno === undefined ? 'none' : r.errno}`);
    }
  }

  private syscall(ev: ScriptEvent, c: SyscallSpec, t: number): void {
    this.advance(t);
    if (c.blockingEnd !== undefined) {
      if (this.pending !== undefined) throw new PacketdrillUnsupportedError(ev.line, 'two blocking calls at once');
      // E is measured from the same base as t: the previous event for a relative start
      // (`+.1...0.200`), time zero for an absolute one; `+E` is relative to the start.
      const base = ev.time.kind === 'relative' ? this.lastUs : 0;
      const endUs = c.blockingEnd.relative ? t + c.blockingEnd.usecs : base + c.blockingEnd.usecs;
      this.pending = { ev, call: c, endUs };
      this.tryPending();
      return;
    }
    const r = this.ctx.attempt(c, ev.line);
    if (r === 'block') throw new PacketdrillCheckError(ev.line, `${c.name}() would block, but the script expects it to return at once`);
    this.checkReturn(ev, c, r);
    this.tryPending();
  }

  private inbound(ev: ScriptEvent, p: TcpPacketSpec, t: number): void {
    this.advance(t);
    this.drainCapture();
    const dg = buildInbound(p, this.st, ev.line);
    const payload = p.len;
    this.host.inject(dg, this.s.mss > 0 && payload > this.s.mss ? this.s.mss : 0);
    this.tryPending();
  }

  /** Waits (in virtual time) for the next segment, up to `deadlineUs`. */
  private nextSeg(deadlineUs: number): { seg: OutboundSeg; timeUs: number } | undefined {
    for (;;) {
      this.drainCapture();
      const seg = this.queue.shift();
      if (seg !== undefined) return { seg, timeUs: this.times.shift()! };
      const next = this.host.nextDeadlineUs();
      if (next === undefined || next > deadlineUs) {
        this.advance(deadlineUs);
        this.drainCapture();
        const late = this.queue.shift();
        return late === undefined ? undefined : { seg: late, timeUs: this.times.shift()! };
      }
      this.advance(next);
    }
  }

  private outbound(ev: ScriptEvent, p: TcpPacketSpec, t: number): void {
    let lo: number;
    let hi: number;
    const tm = ev.time;
    if (tm.kind === 'any') {
      lo = -Infinity;
      hi = this.host.nowUs() + 600_000_000;
    } else if (tm.kind === 'range') {
      lo = t;
      hi = (tm.relative ? this.lastUs : 0) + tm.end;
      const tol = this.tolerance(0);
      lo -= tol;
      hi += tol;
    } else {
      const tol = this.tolerance(t - this.lastUs);
      lo = t - tol;
      hi = t + tol;
    }
    const first = this.nextSeg(hi);
    const expected = `${fmt(t)} ${printTcpPacket(p)}`;
    if (first === undefined) {
      throw new PacketdrillCheckError(ev.line, `timed out waiting for an outbound packet (expected by ${fmt(hi)} s)`, sideBySide(expected, '(no packet)'));
    }
    let seg = first.seg;
    // TSO tolerance: consecutive segments merge until the script's length is reached
    while (!this.s.strictSegments && seg.payloadLen < p.len && seg.payloadLen > 0) {
      const more = this.nextSeg(Math.max(hi, this.host.nowUs()));
      if (more === undefined) break;
      if ((more.seg.seq - seg.seq) >>> 0 !== seg.payloadLen) {
        this.queue.unshift(more.seg);
        this.times.unshift(more.timeUs);
        break;
      }
      seg = mergeSegs(seg, more.seg);
    }
    const bad = checkOutbound(p, seg, this.st, { checkTsVal: this.s.tsTickUs > 0 });
    const actual = `${fmt(first.timeUs)} ${actualAsSpec(seg, this.st, p)}`;
    if (bad.length > 0) throw new PacketdrillCheckError(ev.line, `outbound packet differs: ${bad.join('; ')}`, sideBySide(expected, actual));
    if (first.timeUs < lo || first.timeUs > hi) {
      throw new PacketdrillCheckError(ev.line, `timing error: outbound packet at ${fmt(first.timeUs)} s, expected in [${fmt(Math.max(lo, 0))}, ${fmt(hi)}] s`, sideBySide(expected, actual));
    }
    this.lastUs = first.timeUs;
  }

  /** TCP_INFO of the socket under test now, for the block's assertions after the script. */
  private snapshot(ev: ScriptEvent, t: number): void {
    this.advance(t);
    const fd = this.ctx.current;
    if (fd === undefined) throw new PacketdrillUnsupportedError(ev.line, 'python block before any socket');
    const info = this.host.api.tcpInfo(fd) as unknown as Record<string, number>;
    this.snapshots.push({ stmts: this.code.get(ev) ?? [], info });
  }

  execute(): void {
    let prevInbound = false;
    let prevScheduled = 0;
    for (const ev of this.script.events) {
      const a = ev.action;
      const isInbound = a.kind === 'packet' && a.packet.direction === 'inbound';
      if (isInbound && prevInbound && ev.time.kind === 'relative') this.lastUs = prevScheduled;
      const t = this.scheduled(ev);
      if (a.kind === 'packet' && a.packet.proto === 'tcp') {
        if (a.packet.direction === 'inbound') this.inbound(ev, a.packet, t);
        else this.outbound(ev, a.packet, t);
      } else if (a.kind === 'syscall') this.syscall(ev, a.call, t);
      else if (a.kind === 'code') this.snapshot(ev, t);
      if (!(a.kind === 'packet' && a.packet.direction === 'outbound')) this.lastUs = t;
      prevInbound = isInbound;
      prevScheduled = t;
    }
    if (this.pending !== undefined) {
      this.advance(Math.max(this.pending.endUs + this.tolerance(0), this.host.nowUs()));
      if (this.pending !== undefined) {
        throw new PacketdrillCheckError(this.pending.ev.line, `blocking ${this.pending.call.name}() never returned (expected at ${fmt(this.pending.endUs)} s)`);
      }
    }
    // packetdrill runs the python after the script: every assertion must be answered and hold
    for (const snap of this.snapshots) {
      const f = runPython(snap.stmts, snap.info);
      if (f !== undefined) throw new PacketdrillCheckError(f.line, f.message);
    }
  }
}

function fmt(us: number): string {
  return (us / 1e6).toFixed(6).replace(/0+$/, '').replace(/\.$/, '.0');
}

/** Two columns: expected | actual. */
export function sideBySide(expected: string, actual: string): string {
  const w = Math.max(expected.length, 'expected'.length);
  return `${'expected'.padEnd(w)} | actual\n${expected.padEnd(w)} | ${actual}`;
}

/** Runs one script text. Never throws for script problems: they become FAIL/SKIP results. */
export function runScriptText(text: string, path: string, o: RunOptions = {}): RunResult {
  const { config, notApplied } = defaultProfileConfig();
  const result = (status: RunResult['status'], reason: string, line?: number, diff?: string, virtualMs = 0): RunResult => ({ path, status, reason, line, diff, virtualMs, notApplied });
  let script: Script;
  try {
    script = parseScript(text, path, o.defines);
  } catch (e) {
    if (e instanceof PacketdrillParseError) {
      const msg = e.message.replace(/^line \d+: /, '');
      return result('SKIP', e.code === 'UNSUPPORTED' ? `line ${e.line}: unsupported ${e.construct}` : `line ${e.line}: unparsed ${e.construct}: ${msg}`, e.line);
    }
    throw e;
  }
  let run: Run | undefined;
  try {
    const code = precheck(script);
    run = new Run(script, settingsOf(script, o), config, code);
    run.execute();
    const ms = run.host.clock.now();
    if (script.expectedFailure !== undefined) return result('FAIL', `expected failure did not happen: ${script.expectedFailure}`, undefined, undefined, ms);
    return result('PASS', '', undefined, undefined, ms);
  } catch (e) {
    const ms = run?.host.clock.now() ?? 0;
    if (e instanceof PacketdrillUnsupportedError) return result('SKIP', e.message, e.line, undefined, ms);
    if (e instanceof PacketdrillCheckError) {
      const ef = script.expectedFailure;
      if (ef !== undefined && safeRegex(ef).test(e.message)) return result('PASS', `failed as expected: ${e.message}`, e.line, undefined, ms);
      return result('FAIL', e.message, e.line, e.diff, ms);
    }
    if (e instanceof Error) return result('FAIL', `runner error: ${e.name}: ${e.message}`, undefined, undefined, ms);
    throw e;
  } finally {
    run?.host.destroy();
  }
}

function safeRegex(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}
