import { skbStats } from '@netlayers/skbuff';
import { expect, it } from 'vitest';
import { runRouterExample } from '../examples/router.js';

it('README router example runs: ping through the router, UDP fragmented and reassembled, no leaks', () => {
  const live0 = skbStats().live;
  const lines: string[] = [];
  const r = runRouterExample((l) => lines.push(l));
  expect(r).toEqual({ pingReplies: 1, udpBytes: 3000 });
  expect(lines).toEqual([
    'echo reply from 198.18.2.2 ident=16962 seq=1',
    'B received 3000 bytes from 198.18.1.2:32768',
    'router: ForwDatagrams=5 FragOKs=2 FragCreates=4; B: ReasmOKs=1',
  ]);
  expect(skbStats().live).toBe(live0);
});
