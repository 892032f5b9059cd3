// The cluster's user cap (CloudHSM's HsmUsersMax, reported by metrics.get): UserService over a
// real engine (the in-memory store, sealed by a real barrier) takes MAX_USERS users and refuses
// the next with CKR_DEVICE_MEMORY; deleting one makes room again. Users are made without a
// password (as the unactivated admin is), so no scrypt runs.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../../../src/hsm/barrier/barrier.js';
import { SealedStore } from '../../../src/hsm/barrier/sealed-store.js';
import { MAX_USERS, UserService } from '../../../src/hsm/users/users.js';
import { HsmError } from '../../../src/protocol/errors.js';
import { MemoryStore } from '../../../src/store/memory.js';

describe('the user cap', () => {
  it(`holds ${MAX_USERS} users, refuses one more with CKR_DEVICE_MEMORY, and counts them`, async () => {
    const sealed = new SealedStore(new MemoryStore(), new Barrier(randomBytes(32), 'cluster-1'));
    const users = new UserService(sealed);
    for (let i = 0; i < MAX_USERS; i++) await users.create(`user_${i}`, 'crypto-user', undefined);
    expect(await users.count()).toBe(MAX_USERS);
    const err = await users.create('one_too_many', 'crypto-user', undefined).then(() => undefined, (e: unknown) => e as HsmError);
    expect(err).toBeInstanceOf(HsmError);
    expect(err?.code).toBe('CKR_DEVICE_MEMORY');
    expect(err?.message).toMatch(/1024 users/);
    await users.delete('user_0', 'crypto-user');
    await users.create('one_too_many', 'crypto-user', undefined);
    expect(await users.count()).toBe(MAX_USERS);
    await sealed.close();
  }, 60_000);
});
