// The ClusterStore conformance suite: one set of behaviours every engine must show, run by each
// engine's test file with its own factory. Must never depend on an engine's internals.

import { afterEach, describe, expect, it } from 'vitest';
import { VersionConflictError } from '../../src/store/store.js';
import type { ChangeEvent, ClusterStore } from '../../src/store/store.js';

/** Polls until check() stops throwing, or fails after timeoutMs. */
export async function eventually(check: () => void, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);

export function runStoreSuite(name: string, factory: () => Promise<ClusterStore>): void {
  describe(`ClusterStore conformance: ${name}`, () => {
    const open: ClusterStore[] = [];
    const make = async (): Promise<ClusterStore> => {
      const s = await factory();
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    it('creates a record at version 1 and reads it back', async () => {
      const s = await make();
      expect(await s.get('a')).toBeUndefined();
      expect(await s.put('a', bytes('one'), 0)).toBe(1);
      const rec = await s.get('a');
      expect(rec?.id).toBe('a');
      expect(rec?.version).toBe(1);
      expect(text(rec?.value)).toBe('one');
    });

    it('put with expectedVersion 0 on an existing record conflicts', async () => {
      const s = await make();
      await s.put('a', bytes('one'), 0);
      const err = await s.put('a', bytes('two'), 0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VersionConflictError);
      expect(err).toMatchObject({ id: 'a', expected: 0, actual: 1 });
      expect(text((await s.get('a'))?.value)).toBe('one');
    });

    it('put CAS succeeds on the current version and conflicts on a stale or future one', async () => {
      const s = await make();
      await s.put('a', bytes('v1'), 0);
      expect(await s.put('a', bytes('v2'), 1)).toBe(2);
      await expect(s.put('a', bytes('stale'), 1)).rejects.toBeInstanceOf(VersionConflictError);
      await expect(s.put('a', bytes('future'), 5)).rejects.toMatchObject({ expected: 5, actual: 2 });
      await expect(s.put('absent', bytes('x'), 1)).rejects.toMatchObject({ expected: 1, actual: 0 });
      const rec = await s.get('a');
      expect(rec?.version).toBe(2);
      expect(text(rec?.value)).toBe('v2');
    });

    it('delete CAS removes on the current version and conflicts otherwise', async () => {
      const s = await make();
      await s.put('a', bytes('v1'), 0);
      await s.put('a', bytes('v2'), 1);
      await expect(s.delete('a', 1)).rejects.toMatchObject({ id: 'a', expected: 1, actual: 2 });
      expect(await s.get('a')).toBeDefined();
      await s.delete('a', 2);
      expect(await s.get('a')).toBeUndefined();
      await expect(s.delete('a', 2)).rejects.toMatchObject({ expected: 2, actual: 0 });
      // Re-creation starts again at version 1.
      expect(await s.put('a', bytes('again'), 0)).toBe(1);
    });

    it('rejects malformed versions and ids', async () => {
      const s = await make();
      await expect(s.put('a', bytes('x'), -1)).rejects.toThrow();
      await expect(s.put('a', bytes('x'), 1.5)).rejects.toThrow();
      await expect(s.put('', bytes('x'), 0)).rejects.toThrow();
      await expect(s.delete('a', 0)).rejects.toThrow();
    });

    it('lists by prefix, ordered by id, and nothing outside the prefix', async () => {
      const s = await make();
      for (const id of ['key/b', 'user/a', 'key/a', 'key/c/1', 'ke', 'key0', 'key/é', 'key/z']) {
        await s.put(id, bytes(id), 0);
      }
      const ids = (await s.list('key/')).map((r) => r.id);
      expect(ids).toEqual(['key/a', 'key/b', 'key/c/1', 'key/z', 'key/é']);
      const all = await s.list('');
      expect(all.map((r) => r.id)).toEqual(['ke', 'key/a', 'key/b', 'key/c/1', 'key/z', 'key/é', 'key0', 'user/a']);
      expect(all.every((r) => r.version === 1 && text(r.value) === r.id)).toBe(true);
      expect(await s.list('nothing/')).toEqual([]);
    });

    it('round-trips binary values byte for byte (all byte values, empty, large)', async () => {
      const s = await make();
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const large = new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff);
      await s.put('bin', all, 0);
      await s.put('empty', new Uint8Array(0), 0);
      await s.put('large', large, 0);
      // A view into a larger buffer stores only the viewed bytes.
      const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
      await s.put('view', backing.subarray(2, 5), 0);
      expect(Buffer.from((await s.get('bin'))!.value).equals(Buffer.from(all))).toBe(true);
      expect((await s.get('empty'))!.value.length).toBe(0);
      expect(Buffer.from((await s.get('large'))!.value).equals(Buffer.from(large))).toBe(true);
      expect([...(await s.get('view'))!.value]).toEqual([1, 2, 3]);
    });

    it('head starts at 0 and moves by one per successful write only', async () => {
      const s = await make();
      expect(await s.head()).toBe(0);
      await s.put('a', bytes('1'), 0);
      await s.put('a', bytes('2'), 1);
      await s.put('a', bytes('x'), 1).catch(() => undefined);
      await s.delete('a', 2);
      expect(await s.head()).toBe(3);
    });

    it('watch delivers events in order, exactly once, filtered by prefix', async () => {
      const s = await make();
      const seen: ChangeEvent[] = [];
      const stop = s.watch('key/', await s.head(), (ev) => seen.push(ev));
      await s.put('key/a', bytes('1'), 0);
      await s.put('user/x', bytes('1'), 0);
      await s.put('key/a', bytes('2'), 1);
      await s.put('key/b', bytes('1'), 0);
      await s.delete('key/a', 2);
      await eventually(() => expect(seen).toHaveLength(4));
      await sleep(60); // several poll periods: nothing is delivered twice
      stop();
      expect(seen.map((e) => [e.id, e.kind, e.version])).toEqual([
        ['key/a', 'put', 1],
        ['key/a', 'put', 2],
        ['key/b', 'put', 1],
        ['key/a', 'delete', 2],
      ]);
      const seqs = seen.map((e) => e.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(4);
      expect(seqs[3]).toBe(await s.head());
    });

    it('watch from a past seq replays the events after it, then follows live ones', async () => {
      const s = await make();
      await s.put('a', bytes('1'), 0); // seq 1
      await s.put('b', bytes('1'), 0); // seq 2
      await s.put('a', bytes('2'), 1); // seq 3
      const seen: ChangeEvent[] = [];
      const stop = s.watch('', 1, (ev) => seen.push(ev));
      await eventually(() => expect(seen).toHaveLength(2));
      await s.put('c', bytes('1'), 0); // seq 4
      await eventually(() => expect(seen).toHaveLength(3));
      await sleep(60);
      stop();
      expect(seen.map((e) => [e.seq, e.id, e.version])).toEqual([
        [2, 'b', 1],
        [3, 'a', 2],
        [4, 'c', 1],
      ]);
    });

    it('a stopped watcher gets nothing more; other watchers are unaffected', async () => {
      const s = await make();
      const a: ChangeEvent[] = [];
      const b: ChangeEvent[] = [];
      const stopA = s.watch('', 0, (ev) => a.push(ev));
      const stopB = s.watch('', 0, (ev) => b.push(ev));
      await s.put('x', bytes('1'), 0);
      await eventually(() => expect(a).toHaveLength(1));
      stopA();
      await s.put('y', bytes('1'), 0);
      await eventually(() => expect(b).toHaveLength(2));
      await sleep(60);
      stopB();
      expect(a).toHaveLength(1);
    });

    it('a listener that throws does not stop the feed or cause redelivery', async () => {
      const s = await make();
      const seen: number[] = [];
      const stop = s.watch('', 0, (ev) => {
        seen.push(ev.seq);
        if (ev.seq === 1) throw new Error('listener bug');
      });
      const warn = process.emitWarning;
      process.emitWarning = () => undefined;
      try {
        await s.put('a', bytes('1'), 0);
        await s.put('b', bytes('1'), 0);
        await eventually(() => expect(seen).toEqual([1, 2]));
        await sleep(60);
        expect(seen).toEqual([1, 2]);
      } finally {
        process.emitWarning = warn;
        stop();
      }
    });

    it('concurrent puts with the same expected version: exactly one wins', async () => {
      const s = await make();
      await s.put('race', bytes('start'), 0);
      const results = await Promise.allSettled(
        Array.from({ length: 16 }, (_, i) => s.put('race', bytes(`w${i}`), 1)),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(15);
      for (const r of lost) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
      expect((await s.get('race'))?.version).toBe(2);
    });

    it('concurrent creates of the same id: exactly one wins', async () => {
      const s = await make();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => s.put('fresh', bytes(`c${i}`), 0)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    it('a value handed to put or returned by get is a copy, not the stored bytes', async () => {
      const s = await make();
      const v = bytes('abc');
      await s.put('a', v, 0);
      v[0] = 0x7a;
      const got = (await s.get('a'))!.value;
      expect(text(got)).toBe('abc');
      got[0] = 0x7a;
      expect(text((await s.get('a'))!.value)).toBe('abc');
    });
  });
}
