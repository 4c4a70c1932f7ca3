/**
 * Request/reply over a child process's IPC channel or a worker's port: the
 * first message is the peer's `ready`; every later reply carries the `id` of
 * its request. Bounded: one outstanding request per id, each with a timeout.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Node flags that run our TypeScript sources directly (tsx, source condition). */
export const TS_EXEC_ARGV = ['--import', 'tsx', '--conditions=@netlayers/source'];

/** A peer that answers requests. */
export interface Peer<Ready> {
  readonly ready: Ready;
  request<R>(msg: Record<string, unknown>, timeoutMs: number): Promise<R>;
  /** Kills the peer (after a graceful stop, or on failure). */
  kill(): Promise<void>;
}

type Msg = { op: string; id?: number; message?: string };

function makePeer<Ready>(
  on: (cb: (m: Msg) => void) => void,
  onExit: (cb: (why: string) => void) => void,
  post: (m: unknown) => void,
  kill: () => Promise<void>,
  what: string,
  readyTimeoutMs: number,
): Promise<Peer<Ready>> {
  const pending = new Map<number, { resolve: (m: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let seq = 0;
  let dead: string | undefined;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
    onExit((why) => {
      dead = why;
      clearTimeout(t);
      reject(new Error(`${what} exited before it was ready: ${why}`));
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${what} exited: ${why}`));
      }
      pending.clear();
    });
    on((m) => {
      if (m.op === 'ready') {
        clearTimeout(t);
        resolve({
          ready: m as unknown as Ready,
          request<R>(msg: Record<string, unknown>, timeoutMs: number): Promise<R> {
            if (dead !== undefined) return Promise.reject(new Error(`${what} exited: ${dead}`));
            const id = ++seq;
            return new Promise<R>((res, rej) => {
              const timer = setTimeout(() => {
                pending.delete(id);
                rej(new Error(`${what}: no reply to ${String(msg.op)} in ${timeoutMs} ms`));
              }, timeoutMs);
              pending.set(id, { resolve: res as (m: unknown) => void, reject: rej, timer });
              post({ ...msg, id });
            });
          },
          kill,
        });
        return;
      }
      const p = m.id !== undefined ? pending.get(m.id) : undefined;
      if (p === undefined) return;
      pending.delete(m.id as number);
      clearTimeout(p.timer);
      if (m.op === 'error') p.reject(new Error(`${what}: ${m.message ?? 'error'}`));
      else p.resolve(m);
    });
  });
}

/** Forks `file` (a .ts module next to this one) with IPC, optionally inside network namespace `netns`; resolves on its `ready`. */
export function forkPeer<Ready>(file: URL, env: Record<string, string>, what: string, netns?: string): Promise<Peer<Ready>> {
  // in a network namespace: `ip netns exec NS node …` keeps the IPC channel's fd and environment
  const child: ChildProcess = fork(fileURLToPath(file), [], {
    ...(netns !== undefined ? { execPath: 'ip', execArgv: ['netns', 'exec', netns, process.execPath, ...TS_EXEC_ARGV] } : { execArgv: TS_EXEC_ARGV }),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return makePeer<Ready>(
    (cb) => child.on('message', (m) => cb(m as Msg)),
    (cb) => child.once('exit', (code, sig) => cb(`code ${String(code)} signal ${String(sig)}`)),
    (m) => child.send(m as never),
    () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill('SIGKILL');
      }),
    what,
    30_000,
  );
}

/** Starts a worker thread on `file` (an .mjs bootstrap) with `workerData`; resolves on its `ready`. */
export function workerPeer<Ready>(file: URL, workerData: unknown, what: string): Promise<Peer<Ready>> {
  const w = new Worker(file, { workerData, execArgv: ['--conditions=@netlayers/source'] });
  return makePeer<Ready>(
    (cb) => w.on('message', (m) => cb(m as Msg)),
    (cb) => {
      w.once('exit', (code) => cb(`code ${code}`));
      w.once('error', (e) => cb(e.stack ?? e.message));
    },
    (m) => w.postMessage(m),
    async () => {
      await w.terminate();
    },
    what,
    30_000,
  );
}
