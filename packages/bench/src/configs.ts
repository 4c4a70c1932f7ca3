/**
 * The configurations under test and the processes and threads behind them:
 *
 * | name | relay | sender and receiver |
 * |---|---|---|
 * | `direct` | none (the load generator's own ceiling) | `node:net`, one child process |
 * | `kernel` | `createRelay` on `node:net`, its own child process | `node:net`, another child process |
 * | `netlayers-copy-64k`, `netlayers-zerocopy-64k` | `createRelay` on our stack, main thread | our stack, a worker thread, joined by a 64K-MTU `SharedRing` link with checksum offload |
 * | `netlayers-copy-1500`, `netlayers-zerocopy-1500` | same | same, 1500-MTU link, software checksums |
 * | `tap-copy`, `tap-zerocopy` | skipped: `@netlayers/netdev-tap` does not exist yet | |
 *
 * Configurations sharing a link share the load generator (same code, same
 * thread) and the relay's stack; each has its own relay instance.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ForwardMode, Relay, RelayStats } from '@netlayers/relay';
import { forkPeer, workerPeer, type Peer } from './ipc.js';
import type { AgentReply } from './load/agent.js';
import { loadClient, type LoadClient } from './load/client.js';
import { ADDR, LINKS, newLink, startHost, type LinkProfile, type NlHost } from './netlayers/host.js';
import { SINK_PORT } from './netlayers/sink-port.js';
import { relayOptions } from './relay-options.js';
import { runProfiler } from './profile.js';
import { tapSupport } from '@netlayers/netdev-tap';
import { createTapNetns, KERNEL_ADDR, OUR_ADDR, type TapNetns } from '@netlayers/netdev-tap/testing';
import { statsDelta, type RelayHost, type RelayHostReply, type RelayMeasure } from './relay-host.js';

/** Longest wait for one relay, load generator or stack to close. */
export const CLOSE_TIMEOUT_MS = 6000;

/** Every configuration the bench knows, in report order. */
export const ALL_CONFIGS = [
  'direct',
  'kernel',
  'netlayers-copy-64k',
  'netlayers-zerocopy-64k',
  'netlayers-copy-1500',
  'netlayers-zerocopy-1500',
  'tap-copy',
  'tap-zerocopy',
] as const;
export type ConfigName = (typeof ALL_CONFIGS)[number];

/** A configuration ready to run. */
export interface LiveConfig {
  readonly name: string;
  readonly load: LoadClient;
  readonly target: { host: string; port: number };
  /** `Received:` fields per e-mail at the receiver. */
  readonly expectReceived: number;
  /** Emulated one-way delay the load generator adds (kernel sweep). */
  readonly loadDelayMs: number;
  readonly relay: RelayHost | undefined;
}

/** A configuration that cannot run here, with the reason. */
export interface SkippedConfig {
  name: string;
  reason: string;
}

/** Why a configuration is skipped on this machine, or undefined if it can run. */
export function skipReason(name: string): string | undefined {
  if (name.startsWith('tap-')) {
    if (process.platform !== 'linux') return 'TAP devices need Linux';
    if (process.getuid?.() !== 0) return 'TAP devices and network namespaces need root';
    const t = tapSupport();
    if (!t.ok) return t.reason;
  }
  return undefined;
}

/** The relay's own module: is it there yet? */
export function relayAvailable(): string | undefined {
  const f = new URL('../../relay/src/relay.ts', import.meta.url);
  return existsSync(fileURLToPath(f)) ? undefined : '@netlayers/relay has no createRelay yet (packages/relay/src/relay.ts is missing)';
}

/** The relay running in this thread (the netlayers configurations). */
function localRelayHost(relay: Relay, host: string, port: number, name: string): RelayHost {
  const prof = runProfiler();
  let elu0 = performance.eventLoopUtilization();
  let s0: RelayStats = relay.stats();
  return {
    host,
    port,
    begin() {
      elu0 = performance.eventLoopUtilization();
      s0 = relay.stats();
      prof.start();
      return Promise.resolve();
    },
    async end(): Promise<RelayMeasure> {
      const elu = performance.eventLoopUtilization(elu0);
      const m = { busyMs: elu.active, cpuMs: Number.NaN, ...statsDelta(s0, relay.stats()) };
      await prof.stop(name);
      return m;
    },
    close: () => relay.close(),
  };
}

/** Everything a run started; `close()` stops it all. */
export class Environment {
  readonly live = new Map<string, LiveConfig>();
  readonly skipped: SkippedConfig[] = [];
  private readonly closers: Array<() => Promise<void> | void> = [];

  /**
   * start - brings up the processes, threads, stacks and relays behind `names`.
   * @param links link profiles by suffix (`64k`, `1500`, or a sweep variant)
   * @param loadDelayMs one-way delay the kernel load generator adds (sweep)
   */
  static async start(names: readonly string[], opts: { links?: Record<string, LinkProfile>; loadDelayMs?: number } = {}): Promise<Environment> {
    const env = new Environment();
    try {
      await env.init(names, opts.links ?? LINKS, opts.loadDelayMs ?? 0);
    } catch (e) {
      await env.close();
      throw e;
    }
    return env;
  }

  private async init(names: readonly string[], links: Record<string, LinkProfile>, loadDelayMs: number): Promise<void> {
    const wanted = names.filter((n) => {
      const why = skipReason(n) ?? (n === 'direct' ? undefined : relayAvailable());
      if (why !== undefined) this.skipped.push({ name: n, reason: why });
      return why === undefined;
    });
    const needKernelLoad = wanted.some((n) => n === 'direct' || n === 'kernel');
    let kload: LoadClient | undefined;
    if (needKernelLoad) {
      const peer = await forkPeer<Extract<AgentReply, { op: 'ready' }>>(new URL('./kernel/load-child.ts', import.meta.url), {}, 'kernel load generator');
      kload = loadClient(peer);
      const k = kload;
      this.closers.push(() => k.stop());
    }
    if (wanted.includes('direct') && kload !== undefined) {
      this.live.set('direct', { name: 'direct', load: kload, target: kload.sink, expectReceived: 0, loadDelayMs, relay: undefined });
    }
    if (wanted.includes('kernel') && kload !== undefined) {
      const peer = await forkPeer<Extract<RelayHostReply, { op: 'ready' }>>(
        new URL('./kernel/relay-child.ts', import.meta.url),
        { BENCH_NEXT_HOP: `${kload.sink.host}:${kload.sink.port}` },
        'kernel relay',
      );
      const relay = childRelayHost(peer);
      this.closers.push(() => relay.close());
      this.live.set('kernel', { name: 'kernel', load: kload, target: { host: relay.host, port: relay.port }, expectReceived: 1, loadDelayMs, relay });
    }
    const tapWanted = wanted.filter((n) => n.startsWith('tap-'));
    if (tapWanted.length > 0) {
      // Only the relay changes, as in the thesis: the kernel configuration's load generator
      // (node:net, its own process) runs inside a namespace on the TAP's kernel side; the
      // relay runs on our stack in this thread, on the TAP device (offloads on: GSO/GRO and
      // checksum offload through the virtio-net header).
      const tap: TapNetns = createTapNetns({ offloads: true, rxHeadroom: 192 }); // headroom: see startHost
      this.closers.push(() => tap.destroy());
      const peer = await forkPeer<Extract<AgentReply, { op: 'ready' }>>(new URL('./kernel/load-child.ts', import.meta.url), { BENCH_LOAD_HOST: KERNEL_ADDR }, 'TAP load generator', tap.ns);
      const tload = loadClient(peer);
      this.closers.push(() => tload.stop());
      const { createRelay } = await import('@netlayers/relay');
      let port = 25;
      for (const name of tapWanted) {
        const forward: ForwardMode = name === 'tap-zerocopy' ? 'zerocopy' : 'copy';
        const relay = createRelay({ ...relayOptions(), transport: 'netlayers', stack: tap.host.tcp, forward, listen: `${OUR_ADDR}:${port++}`, nextHop: `${KERNEL_ADDR}:${tload.sink.port}` });
        const ep = await relay.listen();
        const rh = localRelayHost(relay, ep.host, ep.port, name);
        this.closers.push(() => rh.close());
        this.live.set(name, { name, load: tload, target: { host: rh.host, port: rh.port }, expectReceived: 1, loadDelayMs: 0, relay: rh });
      }
    }
    for (const [suffix, profile] of Object.entries(links)) {
      const mine = wanted.filter((n) => n.startsWith('netlayers-') && n.endsWith(`-${suffix}`));
      if (mine.length === 0) continue;
      const link = newLink();
      const host: NlHost = startHost(link, 'a', profile, 1);
      this.closers.push(() => host.close());
      const peer = await workerPeer<Extract<AgentReply, { op: 'ready' }>>(
        new URL('./netlayers/load-worker.mjs', import.meta.url),
        { link, profile },
        `netlayers load generator (${suffix})`,
      );
      const load = loadClient(peer);
      this.closers.push(() => load.stop());
      const { createRelay } = await import('@netlayers/relay');
      let port = 25;
      for (const name of mine) {
        const forward: ForwardMode = name.includes('-zerocopy-') ? 'zerocopy' : 'copy';
        const relay = createRelay({ ...relayOptions(), transport: 'netlayers', stack: host.tcp, forward, listen: `${ADDR.a}:${port++}`, nextHop: `${ADDR.b}:${SINK_PORT}` });
        const ep = await relay.listen();
        const rh = localRelayHost(relay, ep.host, ep.port, name);
        this.closers.push(() => rh.close());
        this.live.set(name, { name, load, target: { host: rh.host, port: rh.port }, expectReceived: 1, loadDelayMs: 0, relay: rh });
      }
    }
  }

  /** Stops relays, load generators, stacks and threads (in reverse order of start). */
  async close(): Promise<void> {
    for (const c of this.closers.splice(0).reverse()) {
      // bounded: a relay that does not close in time is left to the process exit
      let t: NodeJS.Timeout | undefined;
      await Promise.race([Promise.resolve().then(c).catch(() => undefined), new Promise<void>((r) => (t = setTimeout(r, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(t);
    }
  }
}

/** The relay in its own child process (the kernel configuration). */
function childRelayHost(peer: Peer<Extract<RelayHostReply, { op: 'ready' }>>): RelayHost {
  let s0: RelayStats | undefined;
  return {
    host: peer.ready.host,
    port: peer.ready.port,
    async begin() {
      s0 = (await peer.request<Extract<RelayHostReply, { op: 'begun' }>>({ op: 'begin' }, 10_000)).stats;
    },
    async end() {
      const b = await peer.request<Extract<RelayHostReply, { op: 'ended' }>>({ op: 'end' }, 10_000);
      return { busyMs: b.busyMs, cpuMs: b.cpuMs, ...statsDelta(s0 ?? b.stats, b.stats) };
    },
    async close() {
      await peer.request({ op: 'close' }, 10_000).catch(() => undefined);
      await peer.kill();
    },
  };
}
