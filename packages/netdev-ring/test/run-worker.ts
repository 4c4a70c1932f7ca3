/**
 * Test helper: runs a worker script to its first message, bounded in time
 * (the worker is terminated on timeout, on its message, or after an error).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function runWorker<T>(url: URL, opts: WorkerOptions, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(url, opts);
    const timer = setTimeout(() => {
      void w.terminate();
      reject(new Error(`worker timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    w.once('message', (m: T) => {
      clearTimeout(timer);
      void w.terminate();
      resolve(m);
    });
    w.once('error', (e) => {
      clearTimeout(timer);
      void w.terminate();
      reject(e);
    });
  });
}
