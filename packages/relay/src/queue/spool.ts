/**
 * `accept: 'spool'` (the default): a durable, Postfix-like message store.
 *
 * ```
 * <dir>/tmp/       messages being received (and metadata being rewritten)
 * <dir>/queue/     <id>.msg (content) + <id>.json (envelope, retry state)
 * <dir>/corrupt/   metadata that failed validation, kept for the operator
 * ```
 *
 * A message exists once `queue/<id>.json` does: the writer renames the body
 * first and the metadata last, then fsyncs `queue/` (see `spool-writer.ts`).
 * `update` rewrites the metadata by the same write-fsync-rename-fsync steps,
 * so a crash leaves either the old or the new state. `remove` unlinks the
 * metadata first. `recover` deletes `tmp/` leftovers and bodies without
 * metadata, quarantines invalid metadata in `corrupt/`, and never throws for
 * one bad message.
 *
 * Bound: the spool holds what the file system holds; ENOSPC is reported as
 * `QueueError('ENOSPC')` (the relay answers 452 4.3.1). One process per
 * spool directory: there is no lock file.
 * @module
 */
import { join } from 'node:path';
import { createQueueIdGenerator, isQueueId, type QueueIdGenerator } from './queue-id.js';
import { decodeMeta, encodeMeta } from './spool-meta.js';
import { errnoOf, nodeSpoolFs, type SpoolFs, syncDir, toQueueError, unlinkQuiet } from './spool-fs.js';
import { SpoolWriter, writeFileDurably } from './spool-writer.js';
import { type MessageStore, QueueError, type QueuedMessage, type StoreWriter } from './types.js';

/** Octets per chunk yielded by {@link SpoolStore.readBody}. */
export const SPOOL_READ_CHUNK = 64 * 1024;

/** Logger the spool reports recovery findings to. */
export interface SpoolLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SpoolStoreOptions {
  /** fsync files and directories (default true; false only for benchmarks on tmpfs). */
  fsync?: boolean;
  /** File-system calls (default `node:fs/promises`); tests inject faults here. */
  fs?: SpoolFs;
  /** Wall clock for queue ids (default `Date.now`). */
  wallClock?: () => number;
  /** Where recovery reports quarantined and incomplete messages. */
  logger?: SpoolLogger;
}

/** A durable {@link MessageStore} in a directory (see the module doc). */
export class SpoolStore implements MessageStore {
  readonly kind = 'spool' as const;
  readonly tmpDir: string;
  readonly queueDir: string;
  readonly corruptDir: string;
  private readonly fs: SpoolFs;
  private readonly fsync: boolean;
  private readonly logger: SpoolLogger | undefined;
  private readonly nextId: QueueIdGenerator;
  /** Ids being received by this instance: recovery leaves their tmp files alone. */
  private readonly receiving = new Set<string>();
  /** Body length of each committed message, for metadata rewrites. */
  private readonly bodyLengths = new Map<string, number>();
  private updateSeq = 0;

  private constructor(
    readonly dir: string,
    opts: SpoolStoreOptions,
  ) {
    this.tmpDir = join(dir, 'tmp');
    this.queueDir = join(dir, 'queue');
    this.corruptDir = join(dir, 'corrupt');
    this.fs = opts.fs ?? nodeSpoolFs;
    this.fsync = opts.fsync ?? true;
    this.logger = opts.logger;
    this.nextId = createQueueIdGenerator(opts.wallClock);
  }

  /**
   * Opens (creating if needed) the spool in `dir`. Does not recover: call
   * {@link recover} (the queue manager's `start()` does) before trusting it.
   * @throws QueueError `EIO`/`ENOSPC` if the directories cannot be created
   */
  static async open(dir: string, opts: SpoolStoreOptions = {}): Promise<SpoolStore> {
    const store = new SpoolStore(dir, opts);
    try {
      for (const d of [store.tmpDir, store.queueDir, store.corruptDir]) await store.fs.mkdir(d);
    } catch (err) {
      throw toQueueError(err, `spool ${dir}`);
    }
    return store;
  }

  begin(): StoreWriter {
    const id = this.nextId();
    this.receiving.add(id);
    return new SpoolWriter(
      {
        fs: this.fs,
        fsync: this.fsync,
        tmpDir: this.tmpDir,
        queueDir: this.queueDir,
        finished: (done, bodyLength) => {
          this.receiving.delete(done);
          if (bodyLength !== undefined) this.bodyLengths.set(done, bodyLength);
        },
      },
      id,
    );
  }

  async recover(): Promise<QueuedMessage[]> {
    const fs = this.fs;
    let changed = false;
    for (const name of await this.list(this.tmpDir)) {
      if (this.receiving.has(name.replace(/\..*$/, ''))) continue;
      await unlinkQuiet(fs, join(this.tmpDir, name));
    }
    const names = new Set(await this.list(this.queueDir));
    const out: QueuedMessage[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -'.json'.length);
      const bodyName = `${id}.msg`;
      if (!isQueueId(id)) {
        await this.quarantine(name, undefined, 'metadata file name is not a queue id');
        continue;
      }
      if (!names.has(bodyName)) {
        // The rename of the body was not durable: the crash came before the 250.
        this.logger?.warn({ queueId: id }, 'spool: metadata without body (incomplete commit), removed');
        await unlinkQuiet(fs, join(this.queueDir, name));
        changed = true;
        continue;
      }
      try {
        const meta = decodeMeta(await fs.readFile(join(this.queueDir, name)), id);
        const { size } = await fs.stat(join(this.queueDir, bodyName));
        if (size !== meta.bodyLength) {
          throw new QueueError('CORRUPT', `${bodyName}: ${size} octets, metadata says ${meta.bodyLength}`);
        }
        this.bodyLengths.set(id, meta.bodyLength);
        out.push(meta.msg);
      } catch (err) {
        await this.quarantine(name, bodyName, err instanceof Error ? err.message : String(err));
      }
    }
    for (const name of names) {
      if (!name.endsWith('.msg')) continue;
      const id = name.slice(0, -'.msg'.length);
      if (names.has(`${id}.json`)) continue;
      this.logger?.warn({ queueId: id }, 'spool: body without metadata (incomplete commit or remove), removed');
      await unlinkQuiet(fs, join(this.queueDir, name));
      changed = true;
    }
    if (changed && this.fsync) await syncDir(fs, this.queueDir).catch(() => undefined);
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async *readBody(msg: QueuedMessage): AsyncIterable<Uint8Array> {
    let fh;
    try {
      fh = await this.fs.open(this.bodyPath(msg.id), 'r');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw new QueueError('NOT_FOUND', `queue id ${msg.id} is not in the spool`);
      throw toQueueError(err, `spool read ${msg.id}`);
    }
    try {
      for (let pos = 0; ; ) {
        const buf = new Uint8Array(SPOOL_READ_CHUNK);
        let n: number;
        try {
          n = (await fh.read(buf, 0, buf.length, pos)).bytesRead;
        } catch (err) {
          throw toQueueError(err, `spool read ${msg.id}`);
        }
        if (n === 0) return;
        pos += n;
        yield n === buf.length ? buf : buf.subarray(0, n);
      }
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  async update(msg: QueuedMessage): Promise<void> {
    const fs = this.fs;
    let bodyLength = this.bodyLengths.get(msg.id);
    const tmp = join(this.tmpDir, `${msg.id}.json.${++this.updateSeq}`);
    try {
      if (bodyLength === undefined) {
        bodyLength = (await fs.stat(this.bodyPath(msg.id))).size;
        this.bodyLengths.set(msg.id, bodyLength);
      }
      this.receiving.add(msg.id); // keep a concurrent recover() off our tmp file
      await writeFileDurably(fs, tmp, encodeMeta(msg, bodyLength), this.fsync);
      await fs.rename(tmp, join(this.queueDir, `${msg.id}.json`));
      if (this.fsync) await syncDir(fs, this.queueDir);
    } catch (err) {
      await unlinkQuiet(fs, tmp);
      if (errnoOf(err) === 'ENOENT') throw new QueueError('NOT_FOUND', `queue id ${msg.id} is not in the spool`);
      throw toQueueError(err, `spool update ${msg.id}`);
    } finally {
      this.receiving.delete(msg.id);
    }
  }

  async remove(msg: QueuedMessage): Promise<void> {
    const fs = this.fs;
    try {
      await unlinkExisting(fs, join(this.queueDir, `${msg.id}.json`));
      await unlinkExisting(fs, this.bodyPath(msg.id));
      if (this.fsync) await syncDir(fs, this.queueDir);
    } catch (err) {
      throw toQueueError(err, `spool remove ${msg.id}`);
    }
    this.bodyLengths.delete(msg.id);
  }

  private bodyPath(id: string): string {
    return join(this.queueDir, `${id}.msg`);
  }

  private async list(dir: string): Promise<string[]> {
    try {
      return await this.fs.readdir(dir);
    } catch (err) {
      throw toQueueError(err, `spool readdir ${dir}`);
    }
  }

  /** Moves a bad metadata file (and its body) to `corrupt/`; logs; never throws. */
  private async quarantine(metaName: string, bodyName: string | undefined, why: string): Promise<void> {
    this.logger?.error({ file: join(this.queueDir, metaName), reason: why }, 'spool: corrupt metadata quarantined');
    for (const name of [metaName, bodyName]) {
      if (name === undefined) continue;
      try {
        await this.fs.rename(join(this.queueDir, name), join(this.corruptDir, name));
      } catch (err) {
        if (errnoOf(err) !== 'ENOENT') {
          this.logger?.error({ file: name, reason: String(err) }, 'spool: could not quarantine');
        }
      }
    }
    if (this.fsync) await syncDir(this.fs, this.queueDir).catch(() => undefined);
  }
}

async function unlinkExisting(fs: SpoolFs, path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
}
