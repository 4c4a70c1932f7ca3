/**
 * The load agent: a sink plus on-demand runs, driven by messages from the
 * orchestrator. The same agent runs in a child process on `node:net` (the
 * kernel configurations) and in a worker thread on our stack (the netlayers
 * configurations).
 * @module
 */
import { startSink } from './sink.js';
import { runLoad, type RunResult, type RunSpec } from './run.js';
import type { NetLike } from './net-like.js';

/** Orchestrator → agent. */
export type AgentRequest = { op: 'run'; id: number; spec: RunSpec } | { op: 'stop'; id: number };

/** Agent → orchestrator. */
export type AgentReply =
  | { op: 'ready'; sink: { host: string; port: number } }
  | { op: 'result'; id: number; result: RunResult }
  | { op: 'stopped'; id: number }
  | { op: 'error'; id: number; message: string };

/** The two ends of a message channel (a `MessagePort` or a child process's IPC). */
export interface Channel {
  post(m: AgentReply): void;
  onMessage(cb: (m: AgentRequest) => void): void;
}

/**
 * serveAgent - starts the sink on `host:port` (0 picks), posts `ready`, then
 * answers requests one at a time until `stop`.
 * @param onStop called after `stopped` was posted (close the stack, exit)
 */
export async function serveAgent(net: NetLike, host: string, port: number, ch: Channel, onStop: () => void): Promise<void> {
  const sink = await startSink(net, host, port);
  let chain: Promise<void> = Promise.resolve();
  ch.onMessage((m) => {
    chain = chain.then(async () => {
      try {
        if (m.op === 'run') {
          const result: RunResult = await runLoad(net, sink, m.spec);
          ch.post({ op: 'result', id: m.id, result });
        } else {
          await sink.close();
          ch.post({ op: 'stopped', id: m.id });
          onStop();
        }
      } catch (e) {
        ch.post({ op: 'error', id: m.id, message: (e as Error).stack ?? String(e) });
      }
    });
  });
  ch.post({ op: 'ready', sink: { host: sink.host, port: sink.port } });
}
