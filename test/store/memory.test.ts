// Runs the ClusterStore conformance suite against MemoryStore, plus its feed retention.

import { expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory.js';
import type { ChangeEvent } from '../../src/store/store.js';
import { eventually, runStoreSuite } from './conformance.js';

runStoreSuite('memory', async () => new MemoryStore());

it('memory feed: a watcher from before the retained window starts at the oldest kept event', async () => {
  const s = new MemoryStore({ retainChanges: 2 });
  for (let i = 0; i < 5; i++) await s.put(`k${i}`, new Uint8Array([i]), 0);
  const first = await s.firstSeq();
  expect(first).toBeGreaterThan(1);
  const seen: ChangeEvent[] = [];
  s.watch('', 0, (ev) => seen.push(ev));
  await eventually(() => expect(seen.at(-1)?.seq).toBe(5));
  expect(seen[0]?.seq).toBe(first);
  await s.close();
});
