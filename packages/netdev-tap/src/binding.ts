/**
 * Loader of the native addon (`build/Release/netlayers_tap.node`, built by
 * node-gyp when the package is installed). When it is missing the package
 * still loads: {@link tapSupport} says why, and opening a device throws
 * {@link TapError} `ERR_TAP_UNAVAILABLE` with the same explanation.
 *
 * @module
 * @internal
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TapError } from './errors.js';

/** The addon's functions (see `src/native/tap.c`). */
export interface TapBinding {
  /** Opens `/dev/net/tun`, TUNSETIFF (IFF_TAP | IFF_NO_PI [| IFF_VNET_HDR]), TUNSETOFFLOAD. @returns [fd, ifname] */
  open(name: string, vnetHdrLen: number, offload: number): [number, string];
  /** Reads up to `max` frames, frame i into `bufs[i]` (receive pages), until EAGAIN. @returns frames or -errno */
  readIntoBatch(fd: number, bufs: readonly Uint8Array[], max: number, lens: Int32Array): number;
  /** Writes `count` frames `buf[offs[i], offs[i]+lens[i])` until EAGAIN. @returns frames written or -errno */
  writeBatch(fd: number, buf: Uint8Array, offs: Int32Array, lens: Int32Array, count: number): number;
  /**
   * Writes `count` frames, frame i being the next `counts[i]` views concatenated (one
   * `writev()` each, at most 64 views), until EAGAIN. @returns frames written or -errno
   */
  writevBatch(fd: number, views: readonly Uint8Array[], counts: Int32Array, count: number): number;
  /** Creates a libuv poll watcher on `fd` (inactive until {@link setEvents}). */
  watch(fd: number, cb: (status: number, events: number) => void): unknown;
  /** Sets the watched events (0 = stop, 1 = readable, 2 = writable). @returns 0 or a libuv error */
  setEvents(handle: unknown, events: number): number;
  /** Whether the watcher keeps the event loop alive. */
  ref(handle: unknown, on: boolean): void;
  /** Stops and closes a watcher. */
  unwatch(handle: unknown): void;
  /** close(2). @returns 0 or -errno */
  close(fd: number): number;
}

/** libuv poll event bits. */
export const UV_READABLE = 1;
export const UV_WRITABLE = 2;

/** Whether TAP devices can be used here, and if not, why. */
export interface TapSupport {
  /** True when the addon loaded and `/dev/net/tun` exists. */
  readonly ok: boolean;
  /** Explanation when `ok` is false. */
  readonly reason: string;
}

let cached: { binding: TapBinding | null; reason: string } | undefined;

function packageRoot(): string {
  // src/binding.ts and dist/*.js (the ESM build; the .cjs entries require it) both sit one
  // level below the package root.
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, '..');
}

function load(): { binding: TapBinding | null; reason: string } {
  if (cached !== undefined) return cached;
  const root = packageRoot();
  const file = join(root, 'build', 'Release', 'netlayers_tap.node');
  if (process.platform !== 'linux') {
    cached = { binding: null, reason: `TAP devices need Linux (this is ${process.platform})` };
  } else if (!existsSync(file)) {
    const failed = join(root, 'build', 'BUILD_FAILED.txt');
    const why = existsSync(failed) ? `; the install-time build failed:\n${readFileSync(failed, 'utf8').slice(-1500)}` : '';
    cached = {
      binding: null,
      reason:
        `the native addon ${file} is not built (it needs a C compiler, make and python3 at install time; ` +
        `rebuild with \`npm rebuild @netlayers/netdev-tap\` or \`node scripts/install.cjs\` in the package)${why}`,
    };
  } else {
    try {
      const req = createRequire(join(root, 'package.json'));
      cached = { binding: req(file) as TapBinding, reason: '' };
    } catch (e) {
      cached = { binding: null, reason: `the native addon ${file} failed to load: ${(e as Error).message}` };
    }
  }
  return cached;
}

/**
 * Reports whether TAP devices can be opened on this machine (addon built and
 * loaded, `/dev/net/tun` present). Permission (CAP_NET_ADMIN) is only known
 * when opening.
 */
export function tapSupport(): TapSupport {
  const l = load();
  if (l.binding === null) return { ok: false, reason: l.reason };
  if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun does not exist (load the tun module: modprobe tun)' };
  return { ok: true, reason: '' };
}

/** @internal the addon, or a TapError explaining its absence. */
export function tapBinding(): TapBinding {
  const l = load();
  if (l.binding === null) throw new TapError('ERR_TAP_UNAVAILABLE', `@netlayers/netdev-tap: ${l.reason}`);
  return l.binding;
}
