// What `inspect` returns is user code: a wrong shape (string content, the
// mistake the old CONFORMANCE.md example made) fails the items that need it
// with a detail naming the problem, instead of throwing an untyped error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmtpConformance } from '../src/testing/index.js';
import type { InspectedMessage } from '../src/testing/index.js';
import { HOST, inspectorFor, startOurServer } from './interop/helpers.js';
import type { OurServer } from './interop/helpers.js';

let ours: OurServer | undefined;
beforeAll(async () => {
  ours = await startOurServer({ size: 100_000 });
});
afterAll(async () => {
  await ours?.close();
});

const BOUNDS = { timeoutMs: 20_000, replyTimeoutMs: 5_000, quietMs: 100, maxRecipientsProbe: 120 };

describe('runSmtpConformance validates what inspect returned', () => {
  it('string content fails the inspecting items with a typed detail; nothing throws', async () => {
    const s = ours!;
    const good = inspectorFor(s.messages);
    const inspect = (token: string): InspectedMessage | undefined => {
      const m = good(token);
      if (m === undefined) return undefined;
      // the mistake: text where the type says raw octets
      return { ...m, content: Buffer.from(m.content).toString('latin1') } as unknown as InspectedMessage;
    };
    const r = await runSmtpConformance({ host: HOST, port: s.port, inspect, ...BOUNDS });
    const bad = r.items.filter((i) => i.status === 'fail');
    expect(bad.length).toBeGreaterThan(0);
    for (const i of bad) expect(i.detail).toMatch(/content of type string, expected a Uint8Array/);
  });

  it('a well-typed inspector makes the same items pass', async () => {
    const s = ours!;
    const r = await runSmtpConformance({ host: HOST, port: s.port, inspect: inspectorFor(s.messages), ...BOUNDS });
    expect(r.items.filter((i) => /expected a Uint8Array/.test(i.detail))).toEqual([]);
  });
});
