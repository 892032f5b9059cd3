// Runs the ClusterStore conformance suite against EtcdStore on a real single-member etcd (each store
// in its own random namespace), then the behaviours that need real etcd: a three-member cluster
// losing members, unreachable endpoints, two stores following each other, compaction.
// Skipped when the etcd binary is missing (STRONGROOM_REQUIRE_ALL=1 makes that a failure).
// Must never talk to an etcd it did not start.

import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore, StoreHistoryCompactedError, StoreUnavailableError } from '../../src/store/etcd.js';
import type { EtcdStoreOptions } from '../../src/store/etcd.js';
import type { ChangeEvent } from '../../src/store/store.js';
import { freePort } from '../integration/harness.js';
import { haveEtcd, startEtcd, type EtcdCluster } from '../support/etcd.js';
import { eventually, runStoreSuite, sleep } from './conformance.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const namespace = (): string => `strongroom-test/${randomBytes(8).toString('hex')}/`;

/** Retries fn until it resolves (writes right after a member restart wait for a leader). */
async function until<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

describe.skipIf(!haveEtcd())('EtcdStore', () => {
  describe('on one etcd member', () => {
    let etcd: EtcdCluster;
    beforeAll(async () => {
      etcd = await startEtcd();
    }, 60_000);
    afterAll(async () => etcd?.stop());

    runStoreSuite('etcd', () => EtcdStore.open({ endpoints: etcd.endpoints, prefix: namespace() }));

    it('keeps to its namespace: another namespace sees none of its records or changes', async () => {
      const a = await EtcdStore.open({ endpoints: etcd.endpoints, prefix: namespace() });
      const b = await EtcdStore.open({ endpoints: etcd.endpoints, prefix: namespace() });
      try {
        const seenByB: ChangeEvent[] = [];
        b.watch('', 0, (ev) => seenByB.push(ev));
        await a.put('k', bytes('1'), 0);
        await b.put('other', bytes('1'), 0);
        await eventually(() => expect(seenByB).toHaveLength(1));
        expect(await b.list('')).toHaveLength(1);
        expect(await b.get('k')).toBeUndefined();
        expect(await a.head()).toBe(1);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('a watcher whose history was compacted reports it through onError and follows live changes', async () => {
      const errors: unknown[] = [];
      const prefix = namespace();
      const s = await EtcdStore.open({ endpoints: etcd.endpoints, prefix, onError: (e) => errors.push(e) });
      const admin = new Etcd3({ hosts: etcd.endpoints });
      try {
        for (let i = 0; i < 5; i++) await s.put('k', bytes(String(i)), i);
        const rev = (await admin.get('anything').exec()).header.revision;
        await admin.kv.compact({ revision: rev, physical: true });
        const seen: ChangeEvent[] = [];
        s.watch('', 1, (ev) => seen.push(ev));
        await eventually(() => expect(errors.some((e) => e instanceof StoreHistoryCompactedError)).toBe(true));
        await sleep(100);
        await s.put('k', bytes('live'), 5);
        await eventually(() => expect(seen.map((e) => e.seq)).toEqual([6]));
      } finally {
        admin.close();
        await s.close();
      }
    });

    it('lists more records than one range page holds, in id order, as one snapshot', async () => {
      const s = await EtcdStore.open({ endpoints: etcd.endpoints, prefix: namespace() });
      try {
        const ids = Array.from({ length: 150 }, (_, i) => `p/${String(i).padStart(3, '0')}`);
        await Promise.all(ids.map((id) => s.put(id, bytes(id), 0)));
        await s.put('q/after', bytes('x'), 0);
        expect((await s.list('p/')).map((r) => r.id)).toEqual(ids);
        expect(await s.list('')).toHaveLength(151);
      } finally {
        await s.close();
      }
    });

    it('an operation on a closed store fails; close is idempotent', async () => {
      const s = await EtcdStore.open({ endpoints: etcd.endpoints, prefix: namespace() });
      await s.close();
      await s.close();
      await expect(s.get('a')).rejects.toThrow(/closed/);
    });
  });

  it('open against endpoints where nothing listens fails within the deadline, saying unreachable', async () => {
    const endpoints = [`http://127.0.0.1:${await freePort()}`];
    const t0 = Date.now();
    const err = await EtcdStore.open({ endpoints, callTimeoutMs: 1500, dialTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/cluster store unreachable/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  describe('on a three-member etcd cluster', () => {
    let etcd: EtcdCluster;
    const open: EtcdStore[] = [];
    const prefix = namespace();
    const store = async (extra: Partial<EtcdStoreOptions> = {}): Promise<EtcdStore> => {
      const s = await EtcdStore.open({ endpoints: etcd.endpoints, prefix, callTimeoutMs: 3000, ...extra });
      open.push(s);
      return s;
    };
    beforeAll(async () => {
      etcd = await startEtcd({ members: 3 });
    }, 60_000);
    afterAll(async () => {
      for (const s of open.splice(0)) await s.close();
      await etcd?.stop();
    });

    // The steps below run in order on one cluster: each starts from the state the last one left.
    it('two stores on the cluster see each other’s changes through watch, in order', async () => {
      const a = await store();
      const b = await store();
      const seenByA: ChangeEvent[] = [];
      const seenByB: ChangeEvent[] = [];
      a.watch('k/', 0, (ev) => seenByA.push(ev));
      b.watch('k/', 0, (ev) => seenByB.push(ev));
      await a.put('k/1', bytes('a1'), 0);
      await b.put('k/1', bytes('b2'), 1);
      await a.put('k/2', bytes('a'), 0);
      await b.delete('k/1', 2);
      const expected = [
        [1, 'k/1', 'put', 1],
        [2, 'k/1', 'put', 2],
        [3, 'k/2', 'put', 1],
        [4, 'k/1', 'delete', 2],
      ];
      await eventually(() => expect(seenByA).toHaveLength(4));
      await eventually(() => expect(seenByB).toHaveLength(4));
      await sleep(100);
      expect(seenByA.map((e) => [e.seq, e.id, e.kind, e.version])).toEqual(expected);
      expect(seenByB.map((e) => [e.seq, e.id, e.kind, e.version])).toEqual(expected);
      await expect(a.put('k/2', bytes('x'), 0)).rejects.toMatchObject({ actual: 1 });
    });

    it('with one member killed (-9) writes and watches go on, nothing lost or repeated', async () => {
      const writer = await store();
      const watcher = await store({ endpoints: etcd.endpoints.slice(0, 2) });
      const seen: ChangeEvent[] = [];
      const from = await watcher.head();
      watcher.watch('w/', from, (ev) => seen.push(ev));
      await writer.put('w/a', bytes('1'), 0);
      await eventually(() => expect(seen).toHaveLength(1));
      await etcd.killMember(0);
      for (let v = 1; v <= 5; v++) await until(() => writer.put('w/a', bytes(String(v)), v).catch(retryUnlessConflict));
      expect((await writer.get('w/a'))?.version).toBe(6);
      await eventually(() => expect(seen).toHaveLength(6), 15_000);
      await sleep(200);
      expect(seen.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6]);
    }, 60_000);

    it('with two members killed a put and a linearizable get fail within the deadline; a serializable get still reads', async () => {
      const s = await store();
      const stale = await store({ readConsistency: 'serializable' });
      await etcd.killMember(1);
      const t0 = Date.now();
      const err = await s.put('lost', bytes('x'), 0).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/cluster store unreachable/);
      expect(Date.now() - t0).toBeLessThan(3000 + 1000);
      const t1 = Date.now();
      await expect(s.get('w/a')).rejects.toThrow(/cluster store unreachable/);
      expect(Date.now() - t1).toBeLessThan(3000 + 1000);
      // Served by the one live member from its own copy: may be stale, but answers.
      expect((await stale.get('w/a'))?.version).toBe(6);
    }, 60_000);

    it('after one member restarts the quorum is back and writes work again', async () => {
      await etcd.startMember(1);
      const s = await until(() => store()); // open() itself needs the quorum
      const v = await until(async () => {
        const cur = (await s.get('w/a'))?.version ?? 0;
        return s.put('w/a', bytes('back'), cur);
      });
      expect(v).toBeGreaterThanOrEqual(7);
      await etcd.startMember(0);
      expect((await s.get('w/a'))?.version).toBe(v);
    }, 60_000);
  });
});

/** A retried put may have been applied before its reply was lost: treat that conflict as done. */
function retryUnlessConflict(err: unknown): number {
  if (err instanceof Error && err.name === 'VersionConflictError') return -1;
  throw err;
}
