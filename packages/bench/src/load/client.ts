/**
 * The orchestrator's handle on a load agent (a child process or a worker).
 * @module
 */
import type { Peer } from '../ipc.js';
import type { AgentReply } from './agent.js';
import type { RunResult, RunSpec } from './run.js';

/** A load generator: its sink's address and runs on demand. */
export interface LoadClient {
  readonly sink: { host: string; port: number };
  run(spec: RunSpec): Promise<RunResult>;
  stop(): Promise<void>;
}

/** Wraps a started agent peer. */
export function loadClient(peer: Peer<Extract<AgentReply, { op: 'ready' }>>): LoadClient {
  return {
    sink: peer.ready.sink,
    async run(spec: RunSpec): Promise<RunResult> {
      const timeout = (spec.mode === 'window' ? spec.windowMs : 0) + spec.drainTimeoutMs + 30_000;
      const r = await peer.request<Extract<AgentReply, { op: 'result' }>>({ op: 'run', spec }, timeout);
      return r.result;
    },
    async stop(): Promise<void> {
      await peer.request({ op: 'stop' }, 10_000).catch(() => undefined);
      await peer.kill();
    },
  };
}
