// Restart: users and keys made through the client survive `strongroom up` stopping and starting
// again on the same data directory.
// Proves: after a restart the same users log in with the same passwords (and a wrong one still
// fails), key.list shows the same keys with the same attributes, and the keys hold the same
// material: ciphertext and a signature made before the restart decrypt and verify after it, and
// the keys still encrypt, decrypt, sign and verify.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrongroomClient, type ClientConfig, loadClientConfig } from '../../src/client/client.js';
import type { KeyDescription } from '../../src/protocol/operations.js';
import { startCluster, type Cluster } from './harness.js';

const ADMIN_PW = 'admin-password-1';
const ALICE_PW = 'alice-password-1';
const BOB_PW = 'bob-password-123';
const GCM = 'CKM_AES_GCM';
const ECDSA = 'CKM_ECDSA_SHA256';
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

describe('a cluster restarted on the same directory', () => {
  let cluster: Cluster;
  let cfg: ClientConfig;
  const open: StrongroomClient[] = [];
  let aesRef = '';
  let privRef = '';
  let pubRef = '';
  let bobKeyRef = '';
  const plaintext = b64('written before the restart');
  let ciphertext = { data: '', iv: '' };
  let signature = '';
  let before: { users: unknown; aliceKeys: KeyDescription[]; bobKeys: KeyDescription[] };

  async function client(user?: [string, 'admin' | 'crypto-user', string]): Promise<StrongroomClient> {
    const c = await StrongroomClient.connect(cfg);
    open.push(c);
    if (user) await c.login(...user);
    return c;
  }

  beforeAll(async () => {
    cluster = await startCluster();
    cfg = loadClientConfig(cluster.config);
    const admin = await client();
    await admin.call('cluster.activate', { password: ADMIN_PW });
    await admin.login('admin', 'admin', ADMIN_PW);
    await admin.call('user.create', { username: 'alice', role: 'crypto-user', password: ALICE_PW });
    await admin.call('user.create', { username: 'bob', role: 'crypto-user', password: BOB_PW });

    const alice = await client(['alice', 'crypto-user', ALICE_PW]);
    aesRef = (await alice.call('key.generateSymmetric', {
      keyType: 'aes', keyLengthBytes: 32, attributes: { label: 'restart-aes', encrypt: true, decrypt: true },
    })).key['key-reference'];
    const pair = await alice.call('key.generateKeyPair', {
      keyType: 'ec', curve: 'secp256r1',
      publicAttributes: { label: 'restart-ec-pub', verify: true },
      privateAttributes: { label: 'restart-ec-priv', sign: true },
    });
    privRef = pair.private_key['key-reference'];
    pubRef = pair.public_key['key-reference'];
    const enc = await alice.call('crypto.encrypt', { mechanism: GCM, ref: aesRef, data: plaintext });
    ciphertext = { data: enc.data, iv: enc.iv ?? '' };
    signature = (await alice.call('crypto.sign', { mechanism: ECDSA, ref: privRef, data: plaintext })).signature;

    const bob = await client(['bob', 'crypto-user', BOB_PW]);
    bobKeyRef = (await bob.call('key.generateSymmetric', { keyType: 'generic-secret', keyLengthBytes: 32, attributes: { label: 'bob-hmac', sign: true, verify: true } })).key['key-reference'];

    before = {
      users: await admin.call('user.list', {}),
      aliceKeys: (await alice.call('key.list', { verbose: true })).matched_keys,
      bobKeys: (await bob.call('key.list', { verbose: true })).matched_keys,
    };
    expect(before.aliceKeys.map((k) => k['key-reference']).sort()).toEqual([aesRef, privRef, pubRef].sort());

    for (const c of open.splice(0)) c.close();
    const upBefore = cluster.proc;
    await cluster.restart();
    expect(upBefore.exitCode ?? upBefore.signalCode).not.toBeNull(); // the first `up` really stopped
    expect(cluster.proc.pid).not.toBe(upBefore.pid);
    expect(cluster.proc.exitCode).toBeNull();
  }, 120_000);

  afterAll(async () => {
    for (const c of open) c.close();
    await cluster?.cleanup();
  });

  it('keeps the users: same list, same passwords, and a wrong password is still refused', async () => {
    const admin = await client(['admin', 'admin', ADMIN_PW]);
    expect(await admin.call('user.list', {})).toEqual(before.users);
    await expect(client(['alice', 'crypto-user', ALICE_PW])).resolves.toBeDefined();
    const c = await client();
    await expect(c.login('bob', 'crypto-user', ALICE_PW)).rejects.toMatchObject({ code: 'CKR_PIN_INCORRECT' });
    await expect(c.login('bob', 'crypto-user', BOB_PW)).resolves.toEqual({ username: 'bob', role: 'crypto-user' });
  });

  it('keeps the keys: key.list is the same for each owner, attributes included', async () => {
    const alice = await client(['alice', 'crypto-user', ALICE_PW]);
    const bob = await client(['bob', 'crypto-user', BOB_PW]);
    expect((await alice.call('key.list', { verbose: true })).matched_keys).toEqual(before.aliceKeys);
    expect((await bob.call('key.list', { verbose: true })).matched_keys).toEqual(before.bobKeys);
  });

  it('keeps the key material: pre-restart ciphertext decrypts and the pre-restart signature verifies', async () => {
    const alice = await client(['alice', 'crypto-user', ALICE_PW]);
    const dec = await alice.call('crypto.decrypt', { mechanism: GCM, ref: aesRef, data: ciphertext.data, params: { iv: ciphertext.iv } });
    expect(dec.data).toBe(plaintext);
    await expect(alice.call('crypto.verify', { mechanism: ECDSA, ref: pubRef, data: plaintext, signature }))
      .resolves.toEqual({ message: 'Signature verified successfully' });
    // and a changed message does not verify: the verify call really checks
    await expect(alice.call('crypto.verify', { mechanism: ECDSA, ref: pubRef, data: b64('something else'), signature }))
      .rejects.toMatchObject({ code: 'CKR_SIGNATURE_INVALID' });
  });

  it('the keys still work: encrypt/decrypt round trip, sign/verify, HMAC', async () => {
    const alice = await client(['alice', 'crypto-user', ALICE_PW]);
    const data = b64('written after the restart');
    const enc = await alice.call('crypto.encrypt', { mechanism: GCM, ref: aesRef, data });
    expect(enc.data).not.toBe(data);
    const dec = await alice.call('crypto.decrypt', { mechanism: GCM, ref: aesRef, data: enc.data, params: { iv: enc.iv ?? '' } });
    expect(dec.data).toBe(data);
    const { signature: sig } = await alice.call('crypto.sign', { mechanism: ECDSA, ref: privRef, data });
    await expect(alice.call('crypto.verify', { mechanism: ECDSA, ref: pubRef, data, signature: sig }))
      .resolves.toEqual({ message: 'Signature verified successfully' });

    const bob = await client(['bob', 'crypto-user', BOB_PW]);
    const mac = await bob.call('crypto.sign', { mechanism: 'CKM_SHA256_HMAC', ref: bobKeyRef, data });
    await expect(bob.call('crypto.verify', { mechanism: 'CKM_SHA256_HMAC', ref: bobKeyRef, data, signature: mac.signature }))
      .resolves.toEqual({ message: 'Signature verified successfully' });
    // ownership survived too: alice cannot use bob's key
    await expect(alice.call('crypto.sign', { mechanism: 'CKM_SHA256_HMAC', ref: bobKeyRef, data }))
      .rejects.toMatchObject({ code: 'CKR_KEY_HANDLE_INVALID' });
  });
});
