import { VirtualClock } from '@netlayers/clock';
import { describe, expect, it } from 'vitest';
import { type DeliveryResult, QueueManager } from './manager.js';
import { MemoryStore } from './memory-store.js';
import type { QueuedMessage, QueuedRecipient } from './types.js';

const MIN = 300_000;
async function setup(replies: (rcpt: QueuedRecipient, attempt: number) => string, extra: { queueLifetimeMs?: number; destinationConcurrency?: number } = {}) {
  const clock = new VirtualClock();
  const store = new MemoryStore({ wallClock: () => 1e12 + clock.now() });
  const calls: Array<{ at: number; to: string[]; from: string }> = [];
  const bounces: QueuedMessage[] = [];
  const mgr = new QueueManager({
    store, timers: clock, wallClock: () => 1e12 + clock.now(), hostname: 'relay.test',
    destinationOf: (r) => r.split('@')[1]!,
    deliver: async (msg, rcpts): Promise<DeliveryResult> => {
      calls.push({ at: clock.now(), to: rcpts.map((r) => r.address), from: msg.from });
      return { recipients: rcpts.map((r) => { const reply = replies(r, msg.attempts); return { address: r.address, reply, outcome: reply.startsWith('2') ? 'sent' : reply.startsWith('4') ? 'deferred' : 'failed' }; }) };
    },
    onBounce: (d) => bounces.push(d),
    ...extra,
  });
  await mgr.start();
  return { clock, store, mgr, calls, bounces };
}
async function submit(store: MemoryStore, mgr: QueueManager, from: string, to: string[]) {
  const w = store.begin();
  w.write(new TextEncoder().encode('Subject: t\r\n\r\nbody\r\n'));
  mgr.enqueue(await w.commit({ from, recipients: to.map((address) => ({ address, status: 'pending' as const })), size: 21, arrival: 1e12 }));
}

describe('QueueManager (smoke)', () => {
  it('defers three times with doubling backoff, then sends and removes', async () => {
    const { clock, store, mgr, calls } = await setup((_r, n) => (n < 3 ? '451 4.3.0 try later' : '250 2.0.0 ok'));
    await submit(store, mgr, 'a@x.test', ['b@y.test']);
    await mgr.settled();
    for (let i = 0; i < 3; i++) { clock.runNext(); await mgr.settled(); }
    await mgr.idle();
    expect(calls.map((c) => c.at)).toEqual([0, MIN, 3 * MIN, 7 * MIN]);
    expect(mgr.stats).toMatchObject({ queued: 0, delivered: 1, deferred: 3, bounced: 0 });
    expect(store.size).toBe(0);
  });

  it('5xx: one DSN from <> to the sender for all failed recipients; never for the null sender', async () => {
    const { store, mgr, calls, bounces } = await setup((r) => (r.address.startsWith('bad') ? '550 5.1.1 no such user' : '250 ok'));
    await submit(store, mgr, 'a@x.test', ['bad1@y.test', 'bad2@z.test', 'ok@y.test']);
    await mgr.idle();
    expect(bounces).toHaveLength(1);
    expect(bounces[0]).toMatchObject({ from: '', isBounce: true, recipients: [{ address: 'a@x.test' }] });
    expect(calls.filter((c) => c.from === '')).toHaveLength(1);
    await submit(store, mgr, '', ['bad3@y.test']);
    await mgr.idle();
    expect(bounces).toHaveLength(1);
  });

  it('queue lifetime: a message deferred until its lifetime ends bounces once, on time, and leaves the queue', async () => {
    const LIFE = 3_600_000; // 1 h
    const { clock, store, mgr, calls, bounces } = await setup(() => '451 4.4.1 next hop down', { queueLifetimeMs: LIFE });
    await submit(store, mgr, 'a@x.test', ['b@y.test']);
    await mgr.settled();
    for (let i = 0; i < 20 && mgr.stats.queued > 0; i++) {
      clock.runNext();
      await mgr.settled();
    }
    expect(mgr.stats.queued).toBe(0);
    const original = calls.filter((c) => c.from === 'a@x.test');
    // 0, 5 min, 15 min, 35 min, then the last attempt moved to the end of the lifetime
    expect(original.map((c) => c.at)).toEqual([0, MIN, 3 * MIN, 7 * MIN, LIFE]);
    expect(bounces).toHaveLength(1);
    expect(bounces[0]).toMatchObject({ from: '', isBounce: true, recipients: [{ address: 'a@x.test' }] });
    expect(mgr.stats.bounced).toBe(1);
  });

  it('per-destination concurrency: at most destinationConcurrency deliveries in flight to one next hop', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore({ wallClock: () => 1e12 + clock.now() });
    let inFlight = 0;
    let peak = 0;
    const perDomain = new Map<string, number>();
    const release: Array<() => void> = [];
    const mgr = new QueueManager({
      store, timers: clock, wallClock: () => 1e12 + clock.now(), hostname: 'relay.test', destinationConcurrency: 2,
      destinationOf: (r) => r.split('@')[1]!,
      deliver: async (_msg, rcpts): Promise<DeliveryResult> => {
        const dom = rcpts[0]!.address.split('@')[1]!;
        perDomain.set(dom, (perDomain.get(dom) ?? 0) + 1);
        inFlight++;
        peak = Math.max(peak, perDomain.get(dom)!);
        await new Promise<void>((r) => release.push(r));
        inFlight--;
        perDomain.set(dom, perDomain.get(dom)! - 1);
        return { recipients: rcpts.map((r) => ({ address: r.address, reply: '250 ok', outcome: 'sent' as const })) };
      },
      onBounce: () => undefined,
    });
    await mgr.start();
    for (let i = 0; i < 6; i++) await submit(store, mgr, 'a@x.test', [`r${i}@y.test`]);
    await submit(store, mgr, 'a@x.test', ['other@z.test']);
    for (let i = 0; i < 50 && mgr.stats.queued > 0; i++) {
      await new Promise((r) => setImmediate(r));
      expect(perDomain.get('y.test') ?? 0).toBeLessThanOrEqual(2);
      release.shift()?.();
    }
    await mgr.idle();
    expect(peak).toBe(2);
    expect(inFlight).toBe(0);
    expect(mgr.stats).toMatchObject({ queued: 0, delivered: 7 });
  });
});
