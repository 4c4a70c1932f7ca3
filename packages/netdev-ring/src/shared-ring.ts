/**
 * `SharedRing` — a single-producer / single-consumer ring of variable-length
 * frames in a `SharedArrayBuffer`, for carrying frames between
 * `worker_threads` (each stack instance may live in its own thread).
 *
 * Layout (all offsets in bytes; the control words sit on separate 64-byte
 * lines so producer and consumer do not false-share):
 *
 * ```
 *   0  magic | version | byteCapacity | flags(suppress)      (immutable)
 *  64  head          — producer's free-running byte index (u32, wraps)
 * 128  tail          — consumer's free-running byte index (u32, wraps)
 * 192  consumerArmed — consumer asked for a doorbell (1) or not (0)
 * 196  dataSeq       — doorbell word the consumer Atomics.waits on
 * 256  producerArmed — producer asked for a "space available" doorbell
 * 260  spaceSeq      — word the producer Atomics.waits on
 * 320  counters: doorbells rung, doorbells suppressed, space doorbells,
 *      frames produced, frames consumed, produce refusals (ring full)
 * 512  data area: byteCapacity bytes (power of two)
 * ```
 *
 * Each frame is a record `[u32 length][bytes][pad to 4]` in the data area.
 * A record never straddles the end of the data area: when it does not fit,
 * the producer writes the marker `0xffffffff` and continues at offset 0 (the
 * consumer skips the rest of the area when it reads the marker).
 *
 * Publication: the producer writes records with plain stores, then publishes
 * them with one `Atomics.store` of `head` per batch; the consumer reads
 * `head` with `Atomics.load`, reads the records, and releases the space with
 * one `Atomics.store` of `tail`. Atomics are sequentially consistent, so the
 * record bytes are visible before the index that covers them.
 *
 * Doorbells and notification suppression (virtio's "event index" / NIC
 * interrupt mitigation, seed 003 "interrupt coalescing"): with suppression on,
 * the producer rings the consumer (`Atomics.notify`) only when the consumer
 * *armed* the doorbell before going to sleep — a consumer that is busy
 * polling costs the producer nothing. The arm/recheck protocol is the classic
 * Dekker pattern on sequentially consistent atomics: the consumer stores
 * `armed = 1` then re-reads `head`; the producer stores `head` then reads
 * `armed`. At least one of them sees the other's store, so no wake-up is
 * lost. With suppression off, every publish rings the doorbell (one
 * "interrupt" per produce call) — the baseline the benchmark compares with.
 *
 * Linux counterparts: virtio vring with `VIRTIO_RING_F_EVENT_IDX`,
 * `vring_need_event()`, `ptr_ring`; the doorbell is the NIC's tail register
 * write (PIO) in seed 003 figure 8.
 *
 * @module
 */
import { NetdevError } from './errors.js';
import { assertPow2Capacity } from './ring.js';

/** `Atomics.waitAsync` (ES2024; present in Node ≥ 16) typed locally since our lib is ES2023. */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult;
}).waitAsync.bind(Atomics);

/**
 * Awaits an `Atomics.waitAsync` result, or `timeoutMs`, whichever comes first.
 * A pending waitAsync neither keeps Node's event loop alive nor reliably
 * fires its own timeout in an otherwise idle worker, so a real timer bounds
 * (and holds the loop open during) the wait.
 */
async function settle(w: WaitAsyncResult, timeoutMs: number): Promise<void> {
  if (!w.async) return;
  let hold: ReturnType<typeof setTimeout> | undefined;
  const timer = new Promise<void>((resolve) => {
    hold = setTimeout(resolve, Math.max(0, Math.min(timeoutMs, 2 ** 31 - 1)));
  });
  try {
    await Promise.race([w.value, timer]);
  } finally {
    clearTimeout(hold);
  }
}

/**
 * A frame offered to the ring: one view, or its parts in order (scatter-gather:
 * an skb's linear area and its page fragments, written back to back into one record).
 */
export type RingFrame = Uint8Array | readonly Uint8Array[];

function frameLength(f: RingFrame): number {
  if (f instanceof Uint8Array) return f.length;
  let n = 0;
  for (const p of f) n += p.length;
  return n;
}

const MAGIC = 0x4e4c5352; // "NLSR"
const VERSION = 1;
const HEADER_BYTES = 512;
// Int32 word indices in the control area.
const W_MAGIC = 0;
const W_VERSION = 1;
const W_CAP = 2;
const W_FLAGS = 3;
const W_HEAD = 16;
const W_TAIL = 32;
const W_C_ARMED = 48;
const W_DATA_SEQ = 49;
const W_P_ARMED = 64;
const W_SPACE_SEQ = 65;
const W_DOORBELLS = 80;
const W_SUPPRESSED = 81;
const W_SPACE_DOORBELLS = 82;
const W_PRODUCED = 96; // written only by the producer
const W_FULL = 97;
const W_CONSUMED = 112; // written only by the consumer
const FLAG_SUPPRESS = 1;
const WRAP = -1; // 0xffffffff as int32

/** Options for {@link SharedRing.create}. */
export interface SharedRingOptions {
  /** Size of the data area in bytes, a power of two (default 1 MiB). */
  byteCapacity?: number;
  /**
   * Notification suppression (default true): ring the consumer's doorbell
   * only when it armed it. False rings on every publish.
   */
  suppressNotifications?: boolean;
}

/** Counters of a {@link SharedRing} (shared by both sides). */
export interface SharedRingStats {
  /** Data doorbells rung by the producer (`Atomics.notify` calls). */
  doorbells: number;
  /** Publishes that did not ring because the consumer had not armed the doorbell. */
  suppressed: number;
  /** "Space available" doorbells rung by the consumer. */
  spaceDoorbells: number;
  /** Frames produced. */
  produced: number;
  /** Frames consumed. */
  consumed: number;
  /** Frames refused because the ring was full. */
  full: number;
}

/** Result of a blocking wait. */
export type RingWaitResult = 'ready' | 'timed-out';

/**
 * One end's view of a shared frame ring. Create it on one thread with
 * {@link SharedRing.create}, pass {@link SharedRing.buffer} to the other thread
 * (`postMessage` shares a `SharedArrayBuffer` without copying), and
 * {@link SharedRing.attach} there. Exactly one thread may produce and exactly
 * one may consume.
 *
 * @example
 * ```ts
 * const ring = SharedRing.create({ byteCapacity: 1 << 16 });
 * worker.postMessage(ring.buffer);            // the worker attaches and consumes
 * ring.produceBatch([frameA, frameB]);        // one index store, at most one doorbell
 * ```
 */
export class SharedRing {
  /** The shared memory; send it to the other thread. */
  readonly buffer: SharedArrayBuffer;
  /** Size of the data area in bytes. */
  readonly byteCapacity: number;
  /** Largest frame this ring accepts (a quarter of the data area, minus the record header). */
  readonly maxFrame: number;
  /** Whether notification suppression is on. */
  readonly suppressNotifications: boolean;
  private readonly ctl: Int32Array;
  private readonly data: Uint8Array;
  private readonly words: Int32Array;
  private readonly mask: number;
  // Locally cached indices (each side owns one; the other is refreshed lazily).
  private localHead: number;
  private localTail: number;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.ctl = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    if (this.ctl[W_MAGIC] !== MAGIC || this.ctl[W_VERSION] !== VERSION) {
      throw new NetdevError('ERR_RING_LAYOUT', 'buffer is not a SharedRing (bad magic/version)');
    }
    const cap = this.ctl[W_CAP] ?? 0;
    if (buffer.byteLength !== HEADER_BYTES + cap) {
      throw new NetdevError('ERR_RING_LAYOUT', 'SharedRing buffer length does not match its header');
    }
    this.byteCapacity = cap;
    this.mask = cap - 1;
    this.maxFrame = cap / 4 - 4;
    this.suppressNotifications = ((this.ctl[W_FLAGS] ?? 0) & FLAG_SUPPRESS) !== 0;
    this.data = new Uint8Array(buffer, HEADER_BYTES, cap);
    this.words = new Int32Array(buffer, HEADER_BYTES, cap / 4);
    this.localHead = Atomics.load(this.ctl, W_HEAD);
    this.localTail = Atomics.load(this.ctl, W_TAIL);
  }

  /**
   * Allocates and initialises a new ring.
   * @throws NetdevError `ERR_RING_CAPACITY` if `byteCapacity` is not a power of two ≥ 64
   */
  static create(opts: SharedRingOptions = {}): SharedRing {
    const cap = opts.byteCapacity ?? 1 << 20;
    assertPow2Capacity(cap, 'SharedRing byteCapacity');
    if (cap < 64) throw new NetdevError('ERR_RING_CAPACITY', 'SharedRing byteCapacity must be ≥ 64');
    const sab = new SharedArrayBuffer(HEADER_BYTES + cap);
    const ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
    ctl[W_MAGIC] = MAGIC;
    ctl[W_VERSION] = VERSION;
    ctl[W_CAP] = cap;
    ctl[W_FLAGS] = opts.suppressNotifications === false ? 0 : FLAG_SUPPRESS;
    return new SharedRing(sab);
  }

  /**
   * Attaches to a ring created (possibly on another thread) by {@link create}.
   * @throws NetdevError `ERR_RING_LAYOUT` if `buffer` is not a SharedRing
   */
  static attach(buffer: SharedArrayBuffer): SharedRing {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES) {
      throw new NetdevError('ERR_RING_LAYOUT', 'SharedRing.attach needs a SharedArrayBuffer from SharedRing.create');
    }
    return new SharedRing(buffer);
  }

  /** Bytes currently occupied (records, padding and wrap gaps). */
  get usedBytes(): number {
    return (Atomics.load(this.ctl, W_HEAD) - Atomics.load(this.ctl, W_TAIL)) >>> 0;
  }

  /** True when the consumer has nothing to read. */
  get isEmpty(): boolean {
    return Atomics.load(this.ctl, W_HEAD) === Atomics.load(this.ctl, W_TAIL);
  }

  // ---------------------------------------------------------------- producer

  /** Bytes a frame of `len` bytes needs when written at byte index `head`. */
  private need(head: number, len: number): number {
    const rec = 4 + ((len + 3) & ~3);
    const pos = head & this.mask;
    return pos + rec > this.byteCapacity ? this.byteCapacity - pos + rec : rec;
  }

  /** Writes one record at localHead (space already checked); advances localHead. */
  private writeRecord(frame: RingFrame): void {
    const len = frameLength(frame);
    const rec = 4 + ((len + 3) & ~3);
    let pos = this.localHead & this.mask;
    if (pos + rec > this.byteCapacity) {
      this.words[pos >> 2] = WRAP;
      this.localHead = (this.localHead + (this.byteCapacity - pos)) | 0;
      pos = 0;
    }
    this.words[pos >> 2] = len;
    if (frame instanceof Uint8Array) this.data.set(frame, pos + 4);
    else {
      // scatter-gather: the parts land back to back in the record (like a NIC's SG DMA)
      let at = pos + 4;
      for (const part of frame) {
        this.data.set(part, at);
        at += part.length;
      }
    }
    this.localHead = (this.localHead + rec) | 0;
  }

  private checkFrame(frame: RingFrame): void {
    const len = frameLength(frame);
    if (len > this.maxFrame) {
      throw new NetdevError(
        'ERR_RING_FRAME_TOO_LARGE',
        `frame of ${len} bytes exceeds this SharedRing's maxFrame ${this.maxFrame}`,
      );
    }
  }

  /**
   * Copies one frame into the ring and publishes it.
   * @returns false (counted in `full`) if there is no room now
   * @throws NetdevError `ERR_RING_FRAME_TOO_LARGE` if the frame can never fit (> {@link maxFrame})
   */
  produce(frame: RingFrame): boolean {
    return this.produceBatch([frame]) === 1;
  }

  /**
   * Copies as many frames of `frames[start..end)` as fit, in order, then
   * publishes them with one index store and at most one doorbell.
   * @returns how many frames were written (a prefix); refused ones are counted in `full`
   * @throws NetdevError `ERR_RING_FRAME_TOO_LARGE` if a frame can never fit (nothing of it is written;
   *   frames before it are published)
   */
  produceBatch(frames: ArrayLike<RingFrame>, start = 0, end = frames.length): number {
    const ctl = this.ctl;
    let tail = Atomics.load(ctl, W_TAIL);
    this.localHead = Atomics.load(ctl, W_HEAD);
    let n = 0;
    let threw = true;
    try {
      for (let i = start; i < end; i++) {
        const f = frames[i] as RingFrame;
        this.checkFrame(f);
        const need = this.need(this.localHead, frameLength(f));
        if ((((this.localHead - tail) >>> 0) + need) > this.byteCapacity) {
          tail = Atomics.load(ctl, W_TAIL); // refresh once before giving up
          if ((((this.localHead - tail) >>> 0) + need) > this.byteCapacity) break;
        }
        this.writeRecord(f);
        n++;
      }
      threw = false;
    } finally {
      if (n > 0) this.publish(n);
      const refused = end - start - n;
      if (refused > 0 && !threw) Atomics.add(ctl, W_FULL, refused);
    }
    return n;
  }

  private publish(n: number): void {
    const ctl = this.ctl;
    Atomics.store(ctl, W_HEAD, this.localHead);
    Atomics.add(ctl, W_PRODUCED, n);
    if (!this.suppressNotifications) {
      this.ringData();
    } else if (Atomics.load(ctl, W_C_ARMED) !== 0) {
      Atomics.store(ctl, W_C_ARMED, 0);
      this.ringData();
    } else {
      Atomics.add(ctl, W_SUPPRESSED, 1);
    }
  }

  private ringData(): void {
    Atomics.add(this.ctl, W_DOORBELLS, 1);
    Atomics.add(this.ctl, W_DATA_SEQ, 1);
    Atomics.notify(this.ctl, W_DATA_SEQ);
  }

  /** True if a frame of `len` bytes would fit right now. */
  canProduce(len: number): boolean {
    const head = Atomics.load(this.ctl, W_HEAD);
    const tail = Atomics.load(this.ctl, W_TAIL);
    return len <= this.maxFrame && ((head - tail) >>> 0) + this.need(head, len) <= this.byteCapacity;
  }

  /**
   * Producer side: blocks (Atomics.wait) until at least `len` bytes of frame fit or
   * `timeoutMs` passes. Only for worker threads (the main thread must use {@link waitForSpaceAsync}).
   */
  waitForSpace(len: number, timeoutMs: number): RingWaitResult {
    const ctl = this.ctl;
    if (this.canProduce(len)) return 'ready';
    const seq = Atomics.load(ctl, W_SPACE_SEQ);
    Atomics.store(ctl, W_P_ARMED, 1);
    if (this.canProduce(len)) {
      Atomics.store(ctl, W_P_ARMED, 0);
      return 'ready';
    }
    Atomics.wait(ctl, W_SPACE_SEQ, seq, timeoutMs);
    Atomics.store(ctl, W_P_ARMED, 0);
    return this.canProduce(len) ? 'ready' : 'timed-out';
  }

  /** Async variant of {@link waitForSpace} (`Atomics.waitAsync`; usable on the main thread). */
  async waitForSpaceAsync(len: number, timeoutMs: number): Promise<RingWaitResult> {
    const ctl = this.ctl;
    if (this.canProduce(len)) return 'ready';
    const seq = Atomics.load(ctl, W_SPACE_SEQ);
    Atomics.store(ctl, W_P_ARMED, 1);
    if (this.canProduce(len)) {
      Atomics.store(ctl, W_P_ARMED, 0);
      return 'ready';
    }
    await settle(waitAsync(ctl, W_SPACE_SEQ, seq, timeoutMs), timeoutMs);
    Atomics.store(ctl, W_P_ARMED, 0);
    return this.canProduce(len) ? 'ready' : 'timed-out';
  }

  // ---------------------------------------------------------------- consumer

  /**
   * Visits up to `max` frames in order, handing `fn` a view into shared memory
   * that is valid only during the call (copy it or parse it in place), then
   * releases their space with one index store. Zero-copy.
   * If `fn` throws, frames visited so far (including the throwing one) are consumed.
   * @returns number of frames visited
   */
  consumeWith(max: number, fn: (frame: Uint8Array) => void): number {
    const ctl = this.ctl;
    const head = Atomics.load(ctl, W_HEAD);
    let tail = Atomics.load(ctl, W_TAIL);
    let n = 0;
    try {
      while (n < max && tail !== head) {
        let pos = tail & this.mask;
        let len = this.words[pos >> 2] as number;
        if (len === WRAP) {
          tail = (tail + (this.byteCapacity - pos)) | 0;
          if (tail === head) break;
          pos = 0;
          len = this.words[0] as number;
        }
        const rec = 4 + ((len + 3) & ~3);
        const view = this.data.subarray(pos + 4, pos + 4 + len);
        tail = (tail + rec) | 0;
        n++;
        fn(view);
      }
    } finally {
      if (tail !== Atomics.load(ctl, W_TAIL)) this.release(tail, n);
    }
    return n;
  }

  private release(tail: number, n: number): void {
    const ctl = this.ctl;
    Atomics.store(ctl, W_TAIL, tail);
    if (n > 0) Atomics.add(ctl, W_CONSUMED, n);
    if (Atomics.load(ctl, W_P_ARMED) !== 0) {
      Atomics.store(ctl, W_P_ARMED, 0);
      Atomics.add(ctl, W_SPACE_DOORBELLS, 1);
      Atomics.add(ctl, W_SPACE_SEQ, 1);
      Atomics.notify(ctl, W_SPACE_SEQ);
    }
  }

  /** Removes and returns one frame (a copy), or `undefined` if empty. */
  consume(): Uint8Array | undefined {
    let out: Uint8Array | undefined;
    this.consumeWith(1, (f) => {
      out = f.slice();
    });
    return out;
  }

  /** Removes up to `max` frames, returned as copies. */
  consumeBatch(max: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.consumeWith(max, (f) => {
      out.push(f.slice());
    });
    return out;
  }

  /**
   * Consumer side: arms the doorbell, so the producer's next publish rings it.
   * @returns false if frames are already waiting (the doorbell is then left
   *   disarmed: poll instead of sleeping)
   */
  armDoorbell(): boolean {
    Atomics.store(this.ctl, W_C_ARMED, 1);
    if (!this.isEmpty) {
      Atomics.store(this.ctl, W_C_ARMED, 0);
      return false;
    }
    return true;
  }

  /** Consumer side: disarms the doorbell (e.g. while busy polling). */
  disarmDoorbell(): void {
    Atomics.store(this.ctl, W_C_ARMED, 0);
  }

  /**
   * Consumer side: blocks (Atomics.wait) until a frame is available or
   * `timeoutMs` passes. Worker threads only (Node allows it on the main thread too,
   * but it blocks the event loop); see {@link waitForDataAsync}.
   */
  waitForData(timeoutMs: number): RingWaitResult {
    if (!this.isEmpty) return 'ready';
    const seq = Atomics.load(this.ctl, W_DATA_SEQ);
    if (!this.armDoorbell()) return 'ready';
    Atomics.wait(this.ctl, W_DATA_SEQ, seq, timeoutMs);
    this.disarmDoorbell();
    return this.isEmpty ? 'timed-out' : 'ready';
  }

  /** Async variant of {@link waitForData} using `Atomics.waitAsync`. */
  async waitForDataAsync(timeoutMs: number): Promise<RingWaitResult> {
    if (!this.isEmpty) return 'ready';
    const seq = Atomics.load(this.ctl, W_DATA_SEQ);
    if (!this.armDoorbell()) return 'ready';
    await settle(waitAsync(this.ctl, W_DATA_SEQ, seq, timeoutMs), timeoutMs);
    this.disarmDoorbell();
    return this.isEmpty ? 'timed-out' : 'ready';
  }

  /** Snapshot of the shared counters. */
  stats(): SharedRingStats {
    const c = this.ctl;
    return {
      doorbells: Atomics.load(c, W_DOORBELLS),
      suppressed: Atomics.load(c, W_SUPPRESSED),
      spaceDoorbells: Atomics.load(c, W_SPACE_DOORBELLS),
      produced: Atomics.load(c, W_PRODUCED) >>> 0,
      consumed: Atomics.load(c, W_CONSUMED) >>> 0,
      full: Atomics.load(c, W_FULL),
    };
  }
}
