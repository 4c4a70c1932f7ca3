/**
 * Where a configuration's relay runs, as the orchestrator sees it: its
 * address, and a measurement bracket (`begin`/`end`) around each run that
 * returns the relay thread's busy time and the relay's counters.
 * @module
 */
import type { RelayStats } from '@netlayers/relay';

/** Relay counters and busy time over one run. */
export interface RelayMeasure {
  /** Event-loop active time of the relay's thread (ms): its CPU time when CPU-bound. */
  busyMs: number;
  /** Process CPU time (ms) when the relay has its process to itself, else NaN. */
  cpuMs: number;
  /** Counter deltas over the run. */
  delivered: number;
  bytesCopied: number;
  /** Of those, payload bytes (`payloadBytesCopied`: without protocol headers GSO/GRO copy into new heads). */
  payloadBytesCopied: number;
  /** `bytesCopied` by kind of skbuff operation. */
  copies: Record<string, number>;
  headerBytesCopied: number;
  bytesForwarded: number;
}

/** A relay under test. */
export interface RelayHost {
  readonly host: string;
  readonly port: number;
  begin(): Promise<void>;
  end(): Promise<RelayMeasure>;
  close(): Promise<void>;
}

/** IPC with a relay child process. */
export type RelayHostRequest = { op: 'begin' | 'end' | 'close'; id: number };
export type RelayHostReply =
  | { op: 'ready'; host: string; port: number }
  | { op: 'begun'; id: number; stats: RelayStats }
  | { op: 'ended'; id: number; busyMs: number; cpuMs: number; stats: RelayStats }
  | { op: 'closed'; id: number };

/** Counter deltas between two `stats()` snapshots. */
export function statsDelta(a: RelayStats, b: RelayStats): Omit<RelayMeasure, 'busyMs' | 'cpuMs'> {
  return {
    delivered: b.delivered - a.delivered,
    bytesCopied: b.bytesCopied - a.bytesCopied,
    payloadBytesCopied: (b.payloadBytesCopied ?? b.bytesCopied) - (a.payloadBytesCopied ?? a.bytesCopied),
    copies: Object.fromEntries(Object.entries(b.copies ?? {}).map(([k, v]) => [k, v - ((a.copies as unknown as Record<string, number> | undefined)?.[k] ?? 0)])),
    headerBytesCopied: b.headerBytesCopied - a.headerBytesCopied,
    bytesForwarded: b.bytesForwarded - a.bytesForwarded,
  };
}
