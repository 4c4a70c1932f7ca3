/**
 * The default profile: what the backquoted init command (`defaults.sh`) means.
 * packetdrill scripts assume these sysctls; the runner does not execute shell,
 * it maps each sysctl onto a `@netlayers/tcp` tunable where one exists and
 * reports the rest as not applied (they explain FAILs, never PASS anything).
 *
 * @module
 */
import { defaultTcpConfig, type TcpConfig } from '@netlayers/tcp';

/** One sysctl of `defaults.sh` and the TcpConfig key that models it. */
interface ProfileEntry {
  sysctl: string;
  value: string;
  key: string | undefined;
  apply: unknown;
}

/** The `defaults.sh` values (google and linux variants agree on everything that matters here). */
export const DEFAULT_PROFILE: readonly ProfileEntry[] = [
  { sysctl: 'net.ipv4.tcp_rmem', value: '4096 540000 15728640', key: 'rcvbuf', apply: 540000 },
  { sysctl: 'net.ipv4.tcp_rmem[max]', value: '15728640', key: 'rcvbufMax', apply: 15 * 1024 * 1024 },
  { sysctl: 'net.ipv4.tcp_wmem', value: '4096 262144 4194304', key: 'sndbuf', apply: 262144 },
  { sysctl: 'net.ipv4.tcp_wmem[max]', value: '4194304', key: 'sndbufMax', apply: 4194304 },
  { sysctl: 'net.ipv4.tcp_timestamps', value: '1', key: 'timestamps', apply: true },
  { sysctl: 'net.ipv4.tcp_syn_retries', value: '5', key: 'synRetries', apply: 5 },
  { sysctl: 'net.ipv4.tcp_synack_retries', value: '5', key: 'synAckRetries', apply: 5 },
  { sysctl: 'net.ipv4.tcp_frto', value: '2', key: 'frto', apply: 2 },
  { sysctl: 'net.ipv4.tcp_sack', value: '1', key: 'sack', apply: true },
  { sysctl: 'net.ipv4.tcp_dsack', value: '1', key: 'dsack', apply: true },
  { sysctl: 'net.ipv4.tcp_reordering', value: '3', key: 'dupThresh', apply: 3 },
  { sysctl: 'net.ipv4.tcp_congestion_control', value: 'cubic', key: 'congestionControl', apply: 'cubic' },
  { sysctl: 'net.ipv4.tcp_slow_start_after_idle', value: '0', key: 'slowStartAfterIdle', apply: false },
  { sysctl: 'net.ipv4.tcp_early_retrans', value: '4', key: 'earlyRetrans', apply: 4 },
  { sysctl: 'net.ipv4.tcp_recovery', value: '1', key: 'recovery', apply: 1 },
  { sysctl: 'net.ipv4.tcp_ecn', value: '0', key: 'ecn', apply: 0 },
  { sysctl: 'net.ipv4.tcp_syncookies', value: '1', key: 'syncookies', apply: true },
];

/** The TcpConfig of the default profile and the sysctls our TCP has no knob for. */
export function defaultProfileConfig(): { config: Partial<TcpConfig>; notApplied: string[] } {
  const config: Record<string, unknown> = {};
  const notApplied: string[] = [];
  for (const e of DEFAULT_PROFILE) {
    // applied only where our TcpConfig has the knob with the same value type
    const current = e.key === undefined ? undefined : (defaultTcpConfig as unknown as Record<string, unknown>)[e.key];
    if (e.key !== undefined && current !== undefined && typeof current === typeof e.apply) config[e.key] = e.apply;
    else notApplied.push(`${e.sysctl}=${e.value}`);
  }
  return { config: config as Partial<TcpConfig>, notApplied };
}
