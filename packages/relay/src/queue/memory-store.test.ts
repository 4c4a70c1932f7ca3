import { describe, expect, it } from 'vitest';
import { MemoryStore } from './memory-store.js';
import { QueueError, isNoSpace } from './types.js';

const meta = (size: number) => ({ from: 'a@example.org', recipients: [{ address: 'b@example.net', status: 'pending' as const }], size, arrival: 1 });

describe('MemoryStore', () => {
  it('roundtrips content (copied, so the caller may reuse its buffer) and state', async () => {
    const store = new MemoryStore();
    const w = store.begin();
    const buf = new Uint8Array([1, 2, 3]);
    w.write(buf);
    buf.fill(9);
    w.write(buf);
    const msg = await w.commit(meta(6));
    const got: number[] = [];
    for await (const c of store.readBody(msg)) got.push(...c);
    expect(got).toEqual([1, 2, 3, 9, 9, 9]);
    msg.attempts = 3;
    await store.update(msg);
    expect((await store.recover())[0]).toEqual(msg);
    await store.remove(msg);
    expect(store.bytesUsed).toBe(0);
    expect(await store.recover()).toEqual([]);
  });

  it('refuses content beyond maxBytes with QUEUE_FULL and frees aborted and removed messages', async () => {
    const store = new MemoryStore({ maxBytes: 100 });
    const a = store.begin();
    a.write(new Uint8Array(60));
    const b = store.begin();
    let err: unknown;
    try {
      b.write(new Uint8Array(41)); // 60 + 41 > 100, counting messages still being received
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(QueueError);
    expect((err as QueueError).code).toBe('QUEUE_FULL');
    expect(isNoSpace(err)).toBe(true);
    b.write(new Uint8Array(40));
    await b.abort();
    expect(store.bytesUsed).toBe(60);
    const m = await a.commit(meta(60));
    store.begin().write(new Uint8Array(40));
    await store.remove(m);
    expect(store.bytesUsed).toBe(40);
  });

  it('is volatile: a new instance recovers nothing', async () => {
    const store = new MemoryStore();
    await store.begin().commit(meta(0));
    expect(await store.recover()).toHaveLength(1);
    expect(await new MemoryStore().recover()).toEqual([]);
  });
});
