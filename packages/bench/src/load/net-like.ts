/**
 * The socket API the load generator is written against: the common subset of
 * `node:net` and `@netlayers/tcp`'s `createNet(stack)`, so the sender and the
 * receiver are the same code on kernel sockets and on our stack.
 * @module
 */
import type { DuplexLike } from '@netlayers/smtp-protocol';

/** A connected stream (a `net.Socket` or a `@netlayers/tcp` `TcpSocket`). */
export type LoadSocket = DuplexLike & {
  setNoDelay?(on?: boolean): unknown;
  once(event: 'connect', cb: () => void): unknown;
  once(event: 'error', cb: (e: Error) => void): unknown;
  once(event: 'drain' | 'close', cb: () => void): unknown;
};

/** A listening server. */
export interface LoadServer {
  listen(port: number, host: string, cb: () => void): unknown;
  close(cb?: () => void): unknown;
  address(): unknown;
}

/** `createServer` + `connect`, as `node:net` has them. */
export interface NetLike {
  createServer(onConnection: (s: LoadSocket) => void): LoadServer;
  connect(opts: { host: string; port: number }): LoadSocket;
}

/** Port of a listening server (`address()` of either API). */
export function boundPort(server: LoadServer): number {
  const a = server.address() as { port?: number } | null;
  if (a === null || typeof a.port !== 'number') throw new Error('server is not listening');
  return a.port;
}
