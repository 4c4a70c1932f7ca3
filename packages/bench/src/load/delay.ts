/**
 * An emulated one-way delay in the load generator, for the kernel
 * configuration of the concurrency sweep (where no link impairment exists):
 * every chunk written is handed to the socket `delayMs` later, and every chunk
 * received is delivered `delayMs` later. The sender and the receiver each wrap
 * their sockets, so every round trip between them and the relay gains
 * 2 × `delayMs`, as a link with a one-way delay of `delayMs` would add.
 *
 * Bound: bytes in flight inside the wrapper are at most what the peer can send
 * in `delayMs` (the wrapper reports back-pressure once more than
 * {@link DELAY_HIGH_WATER} octets wait to be written).
 * @module
 */
import { EventEmitter } from 'node:events';
import type { LoadSocket } from './net-like.js';

/** Octets waiting in a delayed writer before `write()` returns false. */
export const DELAY_HIGH_WATER = 1 << 20;

/**
 * delaySocket - wraps `s` so that writes and received data are each delayed by `delayMs`.
 * @returns a stream with the same subset of the socket API
 */
export function delaySocket(s: LoadSocket, delayMs: number): LoadSocket {
  const ee = new EventEmitter();
  let waiting = 0;
  let ended = false;
  const later = (fn: () => void): void => {
    setTimeout(fn, delayMs);
  };
  s.on('data', (c: Uint8Array) => {
    const copy = Buffer.from(c); // the source may reuse its buffer
    later(() => ee.emit('data', copy));
  });
  s.on('end', () => later(() => ee.emit('end')));
  s.on('close', () => later(() => ee.emit('close')));
  s.on('error', (e: Error) => ee.emit('error', e));
  const w: LoadSocket = {
    write(chunk: Uint8Array): boolean {
      const copy = Buffer.from(chunk);
      waiting += copy.length;
      later(() => {
        waiting -= copy.length;
        if (!ended) s.write(copy);
        if (waiting < DELAY_HIGH_WATER) ee.emit('drain');
      });
      return waiting < DELAY_HIGH_WATER;
    },
    end() {
      later(() => {
        ended = true;
        s.end();
      });
    },
    destroy(err?: Error) {
      ended = true;
      s.destroy(err);
    },
    pause: () => s.pause(),
    resume: () => s.resume(),
    on(event: string, cb: (...a: never[]) => void) {
      ee.on(event, cb as (...a: unknown[]) => void);
      return w;
    },
    once(event: string, cb: (...a: never[]) => void) {
      ee.once(event, cb as (...a: unknown[]) => void);
      return w;
    },
    removeListener(event: string, cb: (...a: never[]) => void) {
      ee.removeListener(event, cb as (...a: unknown[]) => void);
      return w;
    },
    get remoteAddress() {
      return s.remoteAddress;
    },
    get remotePort() {
      return s.remotePort;
    },
  } as LoadSocket;
  return w;
}
