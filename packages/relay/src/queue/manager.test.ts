import { VirtualClock } from '@netlayers/clock';
import { describe, expect, it } from 'vitest';
import { type DeliveryResult, QueueManager } from './manager.js';
import { MemoryStore } from './memory-store.js';
import type { QueuedMessage, QueuedRecipient } from './types.js';

const MIN = 300_000;
async function setup(replies: (rcpt: QueuedRecipient, attempt: number) => string) {
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
});
