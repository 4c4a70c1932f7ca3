/**
 * Congestion-control selection for the benches and the loss tests, written
 * against what the stack exports: `tcpCaFind(name)` / `tcpSetCongestionControl(sk, name)`
 * and the `congestionControl` tunable when the build has them, else Reno (the
 * stack's only module before pluggable CC) and nothing to select.
 *
 * @module
 */
import * as tcpApi from '../src/index.js';
import type { TcpSock } from '../src/sock.js';
import type { TcpConfig } from '../src/stack.js';

const api = tcpApi as Record<string, unknown>;

/** The modules of `wanted` this build of the stack offers, in that order. */
export function availableCongestionControls(wanted: readonly string[] = ['cubic', 'reno', 'vegas']): string[] {
  const find = api['tcpCaFind'];
  if (typeof find !== 'function') return wanted.filter((n) => n === tcpApi.renoCongestionOps.name);
  return wanted.filter((n) => (find as (name: string) => unknown)(n) != null);
}

/** The preferred module of `wanted` available in this build (CUBIC, else Reno). */
export function preferredCongestionControl(wanted: readonly string[] = ['cubic', 'reno']): string {
  return availableCongestionControls(wanted)[0] ?? tcpApi.renoCongestionOps.name;
}

/** TCP tunables making `cc` every new socket's module (throws if this build lacks it). */
export function ccConfig(cc: string): Partial<TcpConfig> {
  if (!availableCongestionControls([cc]).includes(cc)) throw new Error(`congestion control ${cc} is not in this build`);
  return ('congestionControl' in tcpApi.defaultTcpConfig ? { congestionControl: cc } : {}) as Partial<TcpConfig>;
}

/** `setsockopt(TCP_CONGESTION)` on one socket, when the stack exports it. */
export function setCongestionControl(sk: TcpSock, cc: string): void {
  const set = api['tcpSetCongestionControl'];
  if (typeof set !== 'function') return;
  const r = (set as (sk: TcpSock, name: string) => unknown)(sk, cc);
  if (r instanceof Error) throw r;
}

/** The name of the module a socket runs. */
export function congestionControlOf(sk: TcpSock): string {
  return sk.ca.name;
}
