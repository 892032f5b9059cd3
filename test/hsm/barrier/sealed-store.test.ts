// SealedStore over a real engine: values are sealed at rest, CAS maps to CKR_STRONGROOM_CONFLICT,
// and a tampered, moved or rolled-back record is reported without hiding the others.

import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Barrier } from '../../../src/hsm/barrier/barrier.js';
import { SealedStore, isTampered } from '../../../src/hsm/barrier/sealed-store.js';
import { HsmError } from '../../../src/protocol/errors.js';
import { MemoryStore } from '../../../src/store/memory.js';

let raw: MemoryStore;
let sealed: SealedStore;
const secret = (s: string): Buffer => Buffer.from(s);

beforeEach(() => {
  raw = new MemoryStore();
  sealed = new SealedStore(raw, new Barrier(randomBytes(32), 'cluster-1'));
});
afterEach(async () => {
  await sealed.close();
});

describe('SealedStore', () => {
  it('round-trips and stores only sealed bytes', async () => {
    expect(await sealed.put('key/1', secret('plain-material'), 0)).toBe(1);
    expect(await sealed.put('key/1', secret('plain-material-2'), 1)).toBe(2);
    const got = await sealed.get('key/1');
    expect(got?.version).toBe(2);
    expect(got?.value.toString()).toBe('plain-material-2');
    const stored = await raw.get('key/1');
    expect(stored?.value[0]).toBe(0x01);
    expect(Buffer.from(stored!.value).includes('plain-material')).toBe(false);
    expect(await sealed.get('absent')).toBeUndefined();
  });

  it('a lost CAS is CKR_STRONGROOM_CONFLICT with the engine error as cause', async () => {
    await sealed.put('key/1', secret('a'), 0);
    const err = await sealed.put('key/1', secret('b'), 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HsmError);
    expect((err as HsmError).code).toBe('CKR_STRONGROOM_CONFLICT');
    await expect(sealed.delete('key/1', 7)).rejects.toMatchObject({ code: 'CKR_STRONGROOM_CONFLICT' });
    await sealed.delete('key/1', 1);
    expect(await sealed.get('key/1')).toBeUndefined();
  });

  it('get of a record altered in the store is CKR_STRONGROOM_RECORD_TAMPERED', async () => {
    await sealed.put('key/1', secret('a'), 0);
    const rec = (await raw.get('key/1'))!;
    const bad = Uint8Array.from(rec.value);
    bad[bad.length - 1]! ^= 1;
    await raw.put('key/1', bad, 1);
    await expect(sealed.get('key/1')).rejects.toMatchObject({ code: 'CKR_STRONGROOM_RECORD_TAMPERED' });
  });

  it('a record copied to another id, or replayed at a later version, fails to open', async () => {
    await sealed.put('key/1', secret('a'), 0);
    await sealed.put('key/2', secret('b'), 0);
    const v1 = (await raw.get('key/1'))!.value;
    await raw.put('key/3', v1, 0); // moved to a new id
    await expect(sealed.get('key/3')).rejects.toMatchObject({ code: 'CKR_STRONGROOM_RECORD_TAMPERED' });
    await sealed.put('key/1', secret('a2'), 1);
    await raw.put('key/1', v1, 2); // old v1 bytes written as v3
    await expect(sealed.get('key/1')).rejects.toMatchObject({
      code: 'CKR_STRONGROOM_RECORD_TAMPERED',
      message: expect.stringMatching(/^sealed record key\/1 v3 failed to open/),
    });
    const v2 = (await raw.get('key/2'))!.value;
    await raw.put('key/2', v1, 1); // swapped contents between ids
    await expect(sealed.get('key/2')).rejects.toMatchObject({ code: 'CKR_STRONGROOM_RECORD_TAMPERED' });
    expect(v2.length).toBeGreaterThan(0);
  });

  it('list returns the other records when one is tampered, and names the bad one', async () => {
    for (const id of ['key/a', 'key/b', 'key/c']) await sealed.put(id, secret(`value-${id}`), 0);
    const b = (await raw.get('key/b'))!;
    const bad = Uint8Array.from(b.value);
    bad[20]! ^= 0xff;
    await raw.put('key/b', bad, 1);
    const list = await sealed.list('key/');
    expect(list.map((r) => r.id)).toEqual(['key/a', 'key/b', 'key/c']);
    const [a, tb, c] = list;
    expect(a && !isTampered(a) && a.value.toString()).toBe('value-key/a');
    expect(c && !isTampered(c) && c.value.toString()).toBe('value-key/c');
    expect(tb && isTampered(tb)).toBe(true);
    if (tb && isTampered(tb)) {
      expect(tb.version).toBe(2);
      expect(tb.error.code).toBe('CKR_STRONGROOM_RECORD_TAMPERED');
      expect(tb.error.message).toMatch(/key\/b v2/);
    }
  });

  it('passes watch and head through', async () => {
    const seen: string[] = [];
    const stop = sealed.watch('key/', 0, (ev) => seen.push(`${ev.kind}:${ev.id}:${ev.version}`));
    await sealed.put('key/1', secret('a'), 0);
    await sealed.put('other', secret('x'), 0);
    await new Promise((r) => setTimeout(r, 10));
    stop();
    expect(seen).toEqual(['put:key/1:1']);
    expect(await sealed.head()).toBe(2);
  });
});
