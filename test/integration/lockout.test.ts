// Lockout: consecutive failed logins lock a crypto user, and only an admin's change-password
// unlocks it (CloudHSM's rule).
// Proves what src/hsm/users/users.ts does with MAX_FAILED_LOGINS = 5: failures 1 to 4 answer
// CKR_PIN_INCORRECT, the 5th failure itself locks the user and answers CKR_PIN_LOCKED (so the
// limit is "5 failures lock", not "more than 5"); after that even the right password answers
// CKR_PIN_LOCKED; user.list shows locked "true"; a successful login resets the count (4 failures,
// a success, 4 more failures do not lock); admin's user.changePassword unlocks, the old password
// then fails and the new one works. Parallel guessing gets no more than 4 wrong guesses answered
// as CKR_PIN_INCORRECT (the failure counter is updated by compare-and-swap, so no update is lost).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrongroomClient, loadClientConfig, type ClientConfig } from '../../src/client/client.js';
import { MAX_FAILED_LOGINS } from '../../src/hsm/users/users.js';
import { startCluster, type Cluster } from './harness.js';

const ADMIN_PW = 'admin-password-1';
const ALICE_PW = 'alice-password-1';
const BOB_PW = 'bob-password-123';
const NEW_PW = 'alice-new-pass-2';
const WRONG = 'not-the-password';

describe('login lockout', () => {
  let cluster: Cluster;
  let cfg: ClientConfig;
  let admin: StrongroomClient;
  const open: StrongroomClient[] = [];

  async function client(): Promise<StrongroomClient> {
    const c = await StrongroomClient.connect(cfg);
    open.push(c);
    return c;
  }
  async function lockedOf(name: string): Promise<string | undefined> {
    return (await admin.call('user.list', {})).users.find((u) => u.username === name)?.locked;
  }
  async function codeOf(p: Promise<unknown>): Promise<string> {
    try {
      await p;
      return 'ok';
    } catch (e) {
      return (e as { code?: string }).code ?? String(e);
    }
  }

  beforeAll(async () => {
    cluster = await startCluster();
    cfg = loadClientConfig(cluster.config);
    admin = await client();
    await admin.call('cluster.activate', { password: ADMIN_PW });
    await admin.login('admin', 'admin', ADMIN_PW);
    await admin.call('user.create', { username: 'alice', role: 'crypto-user', password: ALICE_PW });
    await admin.call('user.create', { username: 'bob', role: 'crypto-user', password: BOB_PW });
  }, 60_000);

  afterAll(async () => {
    for (const c of open) c.close();
    await cluster?.cleanup();
  });

  it('the limit under test is 5', () => {
    expect(MAX_FAILED_LOGINS).toBe(5);
  });

  it('a successful login resets the count of failures', async () => {
    const c = await client();
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) expect(await codeOf(c.login('bob', 'crypto-user', WRONG))).toBe('CKR_PIN_INCORRECT');
    expect(await codeOf(c.call('login', { username: 'bob', role: 'crypto-user', password: BOB_PW }))).toBe('ok');
    await c.call('logout', {});
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) expect(await codeOf(c.login('bob', 'crypto-user', WRONG))).toBe('CKR_PIN_INCORRECT');
    expect(await lockedOf('bob')).toBe('false');
    expect(await codeOf(c.login('bob', 'crypto-user', BOB_PW))).toBe('ok');
  });

  it('the 5th consecutive failure locks the user; then even the right password is refused', async () => {
    const c = await client();
    const codes: string[] = [];
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) codes.push(await codeOf(c.login('alice', 'crypto-user', WRONG)));
    expect(codes).toEqual(['CKR_PIN_INCORRECT', 'CKR_PIN_INCORRECT', 'CKR_PIN_INCORRECT', 'CKR_PIN_INCORRECT', 'CKR_PIN_LOCKED']);
    expect(await lockedOf('alice')).toBe('true');

    const err = await c.login('alice', 'crypto-user', ALICE_PW).then(() => undefined, (e: unknown) => e as { code: string; message: string });
    expect(err?.code).toBe('CKR_PIN_LOCKED');
    expect(err?.message).toMatch(/alice.*locked/);
    // on a fresh connection too: the lock is in the user record, not in the session
    const fresh = await client();
    expect(await codeOf(fresh.login('alice', 'crypto-user', ALICE_PW))).toBe('CKR_PIN_LOCKED');
    // and a locked user stays locked after further wrong attempts (no error other than locked)
    expect(await codeOf(fresh.login('alice', 'crypto-user', WRONG))).toBe('CKR_PIN_LOCKED');
    // other users are untouched
    expect(await lockedOf('bob')).toBe('false');
  });

  it("admin's user.changePassword unlocks it; the old password then fails, the new one works", async () => {
    expect(await lockedOf('alice')).toBe('true');
    await admin.call('user.changePassword', { username: 'alice', role: 'crypto-user', password: NEW_PW });
    expect(await lockedOf('alice')).toBe('false');
    const c = await client();
    expect(await codeOf(c.login('alice', 'crypto-user', ALICE_PW))).toBe('CKR_PIN_INCORRECT');
    await expect(c.login('alice', 'crypto-user', NEW_PW)).resolves.toEqual({ username: 'alice', role: 'crypto-user' });
    // logged in for real: a key operation works
    const k = await c.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 16, attributes: { encrypt: true, decrypt: true } });
    expect(k.key['key-reference']).toMatch(/^0x[0-9a-f]{16}$/);
    // the failure count was reset by the unlock: 4 more failures do not lock again
    for (let i = 0; i < MAX_FAILED_LOGINS - 1; i++) expect(await codeOf((await client()).login('alice', 'crypto-user', WRONG))).toBe('CKR_PIN_INCORRECT');
    expect(await lockedOf('alice')).toBe('false');
  });

  it('a crypto user cannot unlock another user by changing its password', async () => {
    const c = await client();
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) await codeOf(c.login('bob', 'crypto-user', WRONG));
    expect(await lockedOf('bob')).toBe('true');
    const alice = await client();
    await alice.login('alice', 'crypto-user', NEW_PW);
    await expect(alice.call('user.changePassword', { username: 'bob', role: 'crypto-user', password: 'bob-chosen-by-alice' }))
      .rejects.toMatchObject({ code: 'CKR_ACTION_PROHIBITED' });
    expect(await lockedOf('bob')).toBe('true');
  });

  it('parallel wrong guesses cannot outrun the counter: exactly 4 are answered PIN_INCORRECT, the rest PIN_LOCKED', async () => {
    await admin.call('user.create', { username: 'carol', role: 'crypto-user', password: 'carol-password-1' });
    const conns = await Promise.all(Array.from({ length: 16 }, () => client()));
    const codes = await Promise.all(conns.map((c, i) => codeOf(c.login('carol', 'crypto-user', `wrong-guess-${i}`))));
    const count = (code: string): number => codes.filter((x) => x === code).length;
    expect(count('CKR_PIN_INCORRECT'), codes.join(' ')).toBe(MAX_FAILED_LOGINS - 1);
    expect(count('CKR_PIN_LOCKED'), codes.join(' ')).toBe(16 - (MAX_FAILED_LOGINS - 1));
    expect(await lockedOf('carol')).toBe('true');
    expect(await codeOf((await client()).login('carol', 'crypto-user', 'carol-password-1'))).toBe('CKR_PIN_LOCKED');
  });
});
