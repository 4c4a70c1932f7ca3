/**
 * Test helpers: a {@link SpoolFs} over the real file system that counts
 * every call (handle methods included) and can fail one of them with an errno
 * (`ENOSPC`, `EIO`) or "crash" — fail it and every later call, as if the
 * process had died there (no cleanup reaches the disk).
 * @module
 */
import { nodeSpoolFs, type SpoolFileHandle, type SpoolFs } from '../spool-fs.js';

/** Thrown by every call after a simulated crash. */
export class CrashError extends Error {
  override readonly name = 'CrashError';
}

export class FaultFs implements SpoolFs {
  /** Calls made so far, e.g. `open tmp/X.msg`, `write`, `sync`, `rename queue/X.json`. */
  readonly calls: string[] = [];
  private failAt = -1;
  private failErrno = 'ENOSPC';
  private crashed = false;
  private crashAt = -1;

  /** Fails call number `n` (0-based, counted from now) with `errno`. */
  failNth(n: number, errno = 'ENOSPC'): void {
    this.failAt = this.calls.length + n;
    this.failErrno = errno;
  }

  /** Crashes at call number `n` (0-based, counted from now). */
  crashNth(n: number): void {
    this.crashAt = this.calls.length + n;
  }

  private step(what: string): void {
    const i = this.calls.length;
    this.calls.push(what);
    if (i === this.crashAt) this.crashed = true;
    if (this.crashed) throw new CrashError(`crashed (at ${what})`);
    if (i === this.failAt) {
      throw Object.assign(new Error(`${this.failErrno}: injected at ${what}`), { code: this.failErrno });
    }
  }

  private name(path: string): string {
    return path.split('/').slice(-2).join('/');
  }

  async open(path: string, flags: 'wx' | 'r', mode?: number): Promise<SpoolFileHandle> {
    this.step(`open ${this.name(path)}`);
    const fh = await nodeSpoolFs.open(path, flags, mode);
    return {
      write: async (b, o, l, p) => {
        this.step('write');
        return fh.write(b, o, l, p);
      },
      read: async (b, o, l, p) => {
        this.step('read');
        return fh.read(b, o, l, p);
      },
      sync: async () => {
        this.step(`sync ${this.name(path)}`);
        return fh.sync();
      },
      close: async () => {
        // A crash still releases the descriptor (the kernel closes it), but it counts as a call.
        try {
          this.step('close');
        } finally {
          await fh.close();
        }
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    this.step(`rename ${this.name(to)}`);
    return nodeSpoolFs.rename(from, to);
  }
  async unlink(path: string): Promise<void> {
    this.step(`unlink ${this.name(path)}`);
    return nodeSpoolFs.unlink(path);
  }
  async readdir(path: string): Promise<string[]> {
    this.step(`readdir ${this.name(path)}`);
    return nodeSpoolFs.readdir(path);
  }
  async readFile(path: string): Promise<Uint8Array> {
    this.step(`readFile ${this.name(path)}`);
    return nodeSpoolFs.readFile(path);
  }
  async mkdir(path: string): Promise<void> {
    this.step(`mkdir ${this.name(path)}`);
    return nodeSpoolFs.mkdir(path);
  }
  async stat(path: string): Promise<{ size: number }> {
    this.step(`stat ${this.name(path)}`);
    return nodeSpoolFs.stat(path);
  }
}
