/**
 * Why the addon watches the fd with libuv (`uv_poll`) and reads in batches:
 * the kernel floods 1000-byte UDP frames into a TAP device and we count how
 * many frames per second reach JavaScript
 *   (a) uv_poll wake-up → readIntoBatch (read() into 64 buffers until EAGAIN), vs
 *   (b) `fs.read` on the same fd, one threadpool request per frame (EAGAIN: retry next tick).
 * Part of `npm run bench` (root needed).
 */
import { execFileSync, spawn } from 'node:child_process';
import { read } from 'node:fs';
import { tapBinding, UV_READABLE } from '../src/binding.js';

const N = Number(process.env.NETLAYERS_TAP_FLOOD ?? 200_000);
const binding = tapBinding();

function setup(tag: string): { fd: number; ns: string; done(): void } {
  const ns = `nlrp-${process.pid}-${tag.replace(/[^a-z]/g, '')}`;
  const [fd, name] = binding.open(`nlrp${tag.length}${tag.slice(0, 4).replace(/[^a-z]/g, '')}`, 0, 0);
  const ip = (...a: string[]): void => void execFileSync('ip', a, { stdio: 'ignore' });
  ip('netns', 'add', ns);
  ip('link', 'set', name, 'netns', ns);
  ip('-n', ns, 'addr', 'add', '198.18.0.1/24', 'dev', name);
  ip('-n', ns, 'link', 'set', name, 'up', 'txqueuelen', '10000');
  ip('-n', ns, 'neigh', 'add', '198.18.0.2', 'lladdr', '02:4e:4c:00:00:02', 'dev', name);
  return {
    fd,
    ns,
    done() {
      binding.close(fd);
      ip('netns', 'del', ns);
    },
  };
}

function flood(ns: string): Promise<void> {
  const c = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nm=b"x"*1000\nfor i in range(${N}): s.sendto(m,("198.18.0.2",9))`], { stdio: 'ignore' });
  return new Promise((r) => c.on('exit', () => r()));
}

async function measure(tag: string, start: (fd: number, onFrame: () => void) => () => void): Promise<string> {
  const env = setup(tag);
  let frames = 0;
  let t0 = 0;
  let t1 = 0;
  const stop = start(env.fd, () => {
    if (frames++ === 0) t0 = performance.now();
    t1 = performance.now();
  });
  await new Promise((r) => setTimeout(r, 100));
  await flood(env.ns);
  // wait until frames stop arriving
  let last = -1;
  while (frames !== last) {
    last = frames;
    await new Promise((r) => setTimeout(r, 300));
  }
  stop();
  env.done();
  const sec = (t1 - t0) / 1000;
  return `${tag}: ${frames} of ${N} frames in ${sec.toFixed(2)} s = ${(frames / sec / 1000).toFixed(0)} k frames/s`;
}

/** Runs both receive paths. @returns one summary line each */
export async function readPaths(): Promise<string[]> {
  const out: string[] = [];
  const bufs = Array.from({ length: 64 }, () => new Uint8Array(1600));
  const lens = new Int32Array(64);
  out.push(
    await measure('uv_poll + readIntoBatch', (fd, onFrame) => {
      const w = binding.watch(fd, () => {
        for (;;) {
          const n = binding.readIntoBatch(fd, bufs, 64, lens);
          for (let i = 0; i < n; i++) onFrame();
          if (n < 64) break;
        }
      });
      binding.setEvents(w, UV_READABLE);
      return () => binding.unwatch(w);
    }),
  );
  out.push(
    await measure('fs.read per frame', (fd, onFrame) => {
      let stopped = false;
      const one = Buffer.alloc(1600);
      const next = (): void => {
        if (stopped) return;
        read(fd, one, 0, one.length, null, (err, n) => {
          if (err) setImmediate(next);
          else {
            if (n > 0) onFrame();
            next();
          }
        });
      };
      next();
      return () => {
        stopped = true;
      };
    }),
  );
  return out;
}
