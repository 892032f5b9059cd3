// dataKeyBytes: data keys come from the HSM's random generator through a pool; every byte is
// handed out once, a refill is shared by the calls waiting on it, and a failed refill fails them.

import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { dataKeyBytes } from '../../src/kms/crypto.js';
import { dropDataKeyPool, poolFor } from '../../src/kms/data-key-pool.js';
import type { Deps } from '../../src/kms/operations/common.js';
import { HsmError } from '../../src/protocol/errors.js';

function fakeDeps(failures = 0): { d: Deps; served: Buffer[]; calls: () => number } {
  const served: Buffer[] = [];
  let calls = 0;
  const client = {
    call: async (op: string, p: { length: number }) => {
      calls++;
      expect(op).toBe('crypto.random');
      if (calls <= failures) throw new HsmError('CKR_DEVICE_REMOVED', 'gone');
      const b = randomBytes(p.length);
      served.push(Buffer.from(b));
      return { data: b.toString('base64') };
    },
  };
  const d = { own: client, custom: { client: (id: string) => (id === 'cks-1' ? client : undefined) } } as unknown as Deps;
  return { d, served, calls: () => calls };
}

describe('dataKeyBytes', () => {
  it('hands out each byte the HSM returned exactly once, in order, fetching 4 KiB ahead', async () => {
    const { d, served, calls } = fakeDeps();
    const keys = await Promise.all(Array.from({ length: 200 }, () => dataKeyBytes(d, 32, 'cks-1')));
    // 200 × 32 = 6400 bytes: two pieces of 4 KiB, and a third fetched ahead once under half is left
    expect(calls()).toBe(3);
    const all = Buffer.concat(served);
    const handed = Buffer.concat(keys);
    expect(handed.equals(all.subarray(0, handed.length))).toBe(true);
    expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(200);
  });

  it('asks the HSM directly for more than the pool holds', async () => {
    const { d, calls } = fakeDeps();
    expect((await dataKeyBytes(d, 5000)).length).toBe(5000);
    expect(calls()).toBe(1);
  });

  it('fails the waiting calls when the refill fails, and tries again on the next call', async () => {
    const { d, served } = fakeDeps(1);
    const waiting = [dataKeyBytes(d, 32), dataKeyBytes(d, 32)];
    for (const w of waiting) await expect(w).rejects.toMatchObject({ type: 'KMSInvalidStateException' });
    const k = await dataKeyBytes(d, 32);
    expect(k.equals(served[0]!.subarray(0, 32))).toBe(true);
  });

  it('refuses a custom key store that is not connected', async () => {
    const { d } = fakeDeps();
    await expect(dataKeyBytes(d, 32, 'cks-2')).rejects.toMatchObject({ type: 'CustomKeyStoreInvalidStateException' });
  });

  it('zeroes what is left when the store disconnects, and a refill landing afterwards too', async () => {
    const { d } = fakeDeps();
    const client = (d.custom as unknown as { client: (id: string) => object }).client('cks-1');
    await dataKeyBytes(d, 32, 'cks-1');
    const pool = poolFor(client as Parameters<typeof poolFor>[0]) as unknown as { buf: Buffer; spare: Buffer | undefined };
    const held = pool.buf;
    expect(held.subarray(32).some((b) => b !== 0)).toBe(true);
    const late = pool as unknown as { fetchAhead(): Promise<unknown> };
    const landing = late.fetchAhead();
    dropDataKeyPool(client);
    await landing;
    expect(held.every((b) => b === 0)).toBe(true);
    expect(pool.spare).toBeUndefined();
    // The next call on that client starts a fresh pool.
    expect(poolFor(client as Parameters<typeof poolFor>[0])).not.toBe(pool);
  });
});
