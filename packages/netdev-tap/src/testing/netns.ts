/**
 * Interop harness: a network namespace holding the kernel's end of a TAP
 * device, our stack on the other end, and a pcap of everything that crossed.
 *
 * ```
 *   this process (root namespace)              namespace nl-<pid>-<n>
 *   createTapHost ── fd ──▶ TAP nlt<..> ──(moved)──▶ 198.18.0.1/24, kernel TCP/IP
 *   198.18.0.2/24                                     ping, curl, python3, swaks, smtp-sink
 * ```
 * The TAP device is created by our process (TUNSETIFF in the root namespace)
 * and then moved into the namespace with `ip link set … netns` — the fd stays
 * attached, so the test process never has to enter the namespace. Everything
 * is torn down by {@link TapNetns.destroy} (deleting the namespace deletes the
 * device; our fd is closed first).
 *
 * Traffic stays inside the namespace (RFC 2544 range 198.18.0.0/15), every
 * peer command has a time limit.
 *
 * @module
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PcapWriter } from '@netlayers/netdev-ring';
import { createTapHost, tapSupport, type TapHost, type TapHostOptions } from '../index.js';

/** Kernel side and our side of the link. */
export const KERNEL_ADDR = '198.18.0.1';
export const OUR_ADDR = '198.18.0.2';

/** Where a tool lives, or undefined. */
export function findTool(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin', '/usr/local/sbin']) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * What is missing for the interop suite: root, TAP support (addon + /dev/net/tun),
 * `ip`, and the given tools. Empty when everything is there.
 */
export function missingPrerequisites(tools: readonly string[] = []): string[] {
  const missing: string[] = [];
  if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root (CAP_NET_ADMIN for ip netns and TAP)');
  const t = tapSupport();
  if (!t.ok) missing.push(`TAP: ${t.reason}`);
  for (const tool of ['ip', ...tools]) if (findTool(tool) === undefined) missing.push(tool);
  return missing;
}

/**
 * Decides whether an interop test runs: with everything present it runs; with
 * something missing it is skipped — except under `CI=true`, where it fails
 * (throws) naming what is missing.
 * @returns true when the test should be skipped
 */
export function skipUnlessPeers(tools: readonly string[] = []): boolean {
  const missing = missingPrerequisites(tools);
  if (missing.length === 0) return false;
  if (process.env.CI === 'true') throw new Error(`interop prerequisites missing under CI=true: ${missing.join(', ')}`);
  return true;
}

let seq = 0;

/** Deletes `nl-<pid>-<n>` namespaces left by test processes that no longer exist (killed runs). */
function removeStaleNamespaces(): void {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const m = /^(nl-(\d+)-\d+)\b/.exec(line);
    if (m === null) continue;
    const pid = Number(m[2]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as { code?: string }).code !== 'ESRCH';
    }
    if (!alive) {
      try {
        ip(['netns', 'del', m[1] as string]);
      } catch {
        /* raced with another cleaner */
      }
    }
  }
}

/** Options of {@link createTapNetns}. */
export interface TapNetnsOptions extends Partial<Omit<TapHostOptions, 'ifname' | 'addr'>> {
  /** Write a pcap of every frame our device sends and receives to this file. */
  pcap?: string;
  /** Bytes kept per captured frame (default 262144: whole frames). */
  pcapSnaplen?: number;
  /**
   * Kernel-side `txqueuelen` of the TAP: the ring of frames the kernel queues
   * for us to read (default 10000; Linux's default 1000 overflows when 50
   * connections' ACKs arrive while our event loop is busy transmitting).
   */
  txQueueLenKernel?: number;
  /** Kernel-side MTU (default 1500). */
  mtu?: number;
}

/** A namespace with the kernel end of a TAP and our stack on the other end. */
export interface TapNetns {
  readonly ns: string;
  readonly host: TapHost;
  readonly pcap: PcapWriter | undefined;
  /** Runs `cmd args…` inside the namespace; resolves with stdout (rejects on exit ≠ 0 or timeout). */
  exec(cmd: string, args: readonly string[], opts?: { timeoutMs?: number; input?: string }): Promise<string>;
  /** Starts a long-running process inside the namespace (killed by {@link destroy}). */
  spawn(cmd: string, args: readonly string[]): ChildProcess;
  /** Kills spawned processes, closes our host and the pcap, deletes the namespace. Idempotent. */
  destroy(): void;
}

function ip(args: readonly string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

/**
 * Creates namespace `nl-<pid>-<n>`, our TAP device `nlt<pid><n>` moved into it
 * with the kernel address 198.18.0.1/24, IPv6 off (no router solicitations),
 * and our stack on 198.18.0.2/24.
 */
export function createTapNetns(opts: TapNetnsOptions = {}): TapNetns {
  if (seq === 0) removeStaleNamespaces();
  const n = seq++;
  const ns = `nl-${process.pid}-${n}`;
  const ifname = `nlt${process.pid % 100000}x${n}`.slice(0, 15);
  const children = new Set<ChildProcess>();
  ip(['netns', 'add', ns]);
  let host: TapHost | undefined;
  let pcap: PcapWriter | undefined;
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    try {
      host?.close();
    } finally {
      pcap?.close();
      try {
        ip(['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
  };
  try {
    const { pcap: pcapFile, pcapSnaplen, mtu, txQueueLenKernel, ...hostOpts } = opts;
    host = createTapHost({ ...hostOpts, ifname, addr: `${OUR_ADDR}/24` });
    if (pcapFile !== undefined) {
      pcap = new PcapWriter(pcapFile, { linkType: 'ethernet', snaplen: pcapSnaplen ?? 262144, clock: host.clock });
      pcap.attach(host.dev);
    }
    ip(['link', 'set', ifname, 'netns', ns]);
    const nsx = (...a: string[]): void => ip(['-n', ns, ...a]);
    nsx('link', 'set', 'lo', 'up');
    nsx('link', 'set', ifname, 'name', 'tap0');
    if (mtu !== undefined) nsx('link', 'set', 'tap0', 'mtu', String(mtu));
    nsx('link', 'set', 'tap0', 'txqueuelen', String(txQueueLenKernel ?? 10000));
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'], { stdio: 'ignore' });
    nsx('addr', 'add', `${KERNEL_ADDR}/24`, 'dev', 'tap0');
    nsx('link', 'set', 'tap0', 'up');
  } catch (e) {
    destroy();
    throw e;
  }
  const h = host;
  return {
    ns,
    host: h,
    pcap,
    exec(cmd, args, o = {}) {
      return new Promise((resolve, reject) => {
        const child = execFile(
          'ip',
          ['netns', 'exec', ns, cmd, ...args],
          { timeout: o.timeoutMs ?? 30_000, maxBuffer: 64 << 20, encoding: 'utf8' },
          (err, stdout, stderr) => {
            children.delete(child);
            if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
            else resolve(stdout);
          },
        );
        children.add(child);
        if (o.input !== undefined) child.stdin?.end(o.input);
      });
    },
    spawn(cmd, args) {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    destroy,
  };
}

/**
 * Reads a capture back with tshark (or tcpdump) and returns the decoded
 * packet summary lines matching `filter` (a tshark display filter, or a
 * tcpdump expression when only tcpdump exists). With `verifyChecksums`
 * tshark validates IPv4/TCP/UDP checksums, so `tcp.checksum.status == 0`
 * (bad) / `== 1` (good) filters work. @throws if neither tool can parse the file
 */
export function readPcapWithTool(file: string, filter?: string, opts: { verifyChecksums?: boolean } = {}): string[] {
  const tshark = findTool('tshark');
  const verify = opts.verifyChecksums === true ? ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE'] : [];
  if (verify.length > 0 && tshark === undefined) throw new Error('checksum verification needs tshark');
  const out =
    tshark !== undefined
      ? execFileSync(tshark, ['-r', file, '-n', ...verify, ...(filter !== undefined ? ['-Y', filter] : [])], {
          encoding: 'utf8',
          maxBuffer: 256 << 20,
          timeout: 60_000,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : execFileSync(findTool('tcpdump') ?? 'tcpdump', ['-r', file, '-nn', ...(filter !== undefined ? [filter] : [])], {
          encoding: 'utf8',
          maxBuffer: 256 << 20,
          timeout: 60_000,
          stdio: ['ignore', 'pipe', 'ignore'],
        });
  return out.split('\n').filter((l) => l.trim() !== '');
}
