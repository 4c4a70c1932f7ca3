/**
 * The congestion-control registry (Linux `net/ipv4/tcp_cong.c`): modules
 * register by name; a socket selects one with `TCP_CONGESTION`
 * ({@link tcpSetCongestionControl}); a stack's default is its
 * `congestionControl` tunable ('cubic', like Linux). Built in: `reno`,
 * `cubic`, `vegas`. The registry is process-wide (like the kernel's list) and
 * bounded by {@link TCP_CA_MAX_MODULES}.
 *
 * "Available" modules are all registered ones
 * (`tcp_available_congestion_control`); "allowed" ones carry
 * `TCP_CONG_NON_RESTRICTED` (`tcp_allowed_congestion_control`): a caller
 * without `capNetAdmin` may select only those.
 *
 * @module
 */
import { TcpError } from '../errors.js';
import type { TcpSock } from '../sock.js';
import { TcpState } from '../state.js';
import { cubicCongestionOps } from './cubic.js';
import { TCP_CA_NAME_MAX, TCP_CONG_NON_RESTRICTED, type CongestionOps } from './ops.js';
import { renoCongestionOps } from './reno.js';
import { vegasCongestionOps } from './vegas.js';

/** Most modules the registry holds (an explicit bound; 3 are built in). */
export const TCP_CA_MAX_MODULES = 32;

const modules = new Map<string, CongestionOps>();

/**
 * `tcp_register_congestion_control`: adds `ops` under `ops.name`.
 * @returns 0, or a TcpError: EINVAL (no `ssthresh`/`congAvoid`, bad name), EEXIST (name taken), ENOBUFS (registry full)
 */
export function tcpRegisterCongestionControl(ops: CongestionOps): 0 | TcpError {
  const op = 'tcp_register_congestion_control';
  if (typeof ops.ssthresh !== 'function' || typeof ops.congAvoid !== 'function') {
    return new TcpError('EINVAL', `${ops.name}: ssthresh and congAvoid are required`, op);
  }
  if (typeof ops.name !== 'string' || !/^[\w.-]+$/.test(ops.name) || ops.name.length > TCP_CA_NAME_MAX) {
    return new TcpError('EINVAL', `bad congestion control name ${JSON.stringify(ops.name)}`, op);
  }
  if (modules.has(ops.name)) return new TcpError('EEXIST', `${ops.name} is already registered`, op);
  if (modules.size >= TCP_CA_MAX_MODULES) return new TcpError('ENOBUFS', `at most ${TCP_CA_MAX_MODULES} modules`, op);
  modules.set(ops.name, ops);
  return 0;
}

/**
 * `tcp_unregister_congestion_control`: removes a module (sockets running it keep it).
 * Reno, the fallback, cannot be removed.
 * @returns 0, or a TcpError ENOENT (unknown) / EINVAL (reno)
 */
export function tcpUnregisterCongestionControl(name: string): 0 | TcpError {
  if (name === renoCongestionOps.name) return new TcpError('EINVAL', 'reno is built in', 'tcp_unregister_congestion_control');
  return modules.delete(name) ? 0 : new TcpError('ENOENT', `no congestion control ${name}`, 'tcp_unregister_congestion_control');
}

/** `tcp_ca_find`: the module registered as `name`, or undefined. */
export function tcpCaFind(name: string): CongestionOps | undefined {
  return modules.get(name);
}

/** `net.ipv4.tcp_available_congestion_control`: registered module names, in registration order. */
export function tcpGetAvailableCongestionControl(): string[] {
  return [...modules.keys()];
}

/** `net.ipv4.tcp_allowed_congestion_control`: modules any socket may select. */
export function tcpGetAllowedCongestionControl(): string[] {
  return [...modules.values()].filter((m) => ((m.flags ?? 0) & TCP_CONG_NON_RESTRICTED) !== 0).map((m) => m.name);
}

/** Connection states in which the module runs (and so is initialised on a switch). */
function caRunning(sk: TcpSock): boolean {
  return sk.state !== TcpState.CLOSE && sk.state !== TcpState.LISTEN && sk.state !== TcpState.SYN_SENT && sk.state !== TcpState.SYN_RECV;
}

/** `tcp_init_congestion_control`: the module's `init` (connection established). */
export function tcpInitCongestionControl(sk: TcpSock): void {
  sk.caPriv = null;
  sk.ca.init?.(sk);
}

/** `tcp_cleanup_congestion_control`: the module's `release` (switch or destroy). */
export function tcpCleanupCongestionControl(sk: TcpSock): void {
  sk.ca.release?.(sk);
  sk.caPriv = null;
}

/** `tcp_reinit_congestion_control`: runs `ops` on `sk` from now on. */
export function tcpReinitCongestionControl(sk: TcpSock, ops: CongestionOps): void {
  tcpCleanupCongestionControl(sk);
  sk.ca = ops;
  if (caRunning(sk)) tcpInitCongestionControl(sk);
}

/**
 * `setsockopt(TCP_CONGESTION, name)` (`tcp_set_congestion_control`): switches
 * `sk` to module `name`. A listener's children inherit it. `capNetAdmin`
 * false restricts the choice to the allowed modules.
 * @returns 0, or a TcpError: ENOENT (no such module), EPERM (not allowed)
 */
export function tcpSetCongestionControl(sk: TcpSock, name: string, capNetAdmin = true): 0 | TcpError {
  const ops = modules.get(name);
  if (ops === undefined) return new TcpError('ENOENT', `no congestion control ${name}`, 'setsockopt');
  if (!capNetAdmin && ((ops.flags ?? 0) & TCP_CONG_NON_RESTRICTED) === 0) {
    return new TcpError('EPERM', `${name} is not in tcp_allowed_congestion_control`, 'setsockopt');
  }
  if (ops !== sk.ca) tcpReinitCongestionControl(sk, ops);
  return 0;
}

for (const m of [renoCongestionOps, cubicCongestionOps, vegasCongestionOps]) tcpRegisterCongestionControl(m);
