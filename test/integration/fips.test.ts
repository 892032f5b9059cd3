// FIPS mode, fixed when a cluster is made (`strongroom up --fips`, CloudHSM's Mode FIPS): the HSM
// refuses mechanisms and key types the registry marks non-approved, and approved ones work.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrongroomClient } from '../../src/client/client.js';
import { HsmError } from '../../src/protocol/errors.js';
import { as, cli, startCluster, type Cluster } from './harness.js';

let c: Cluster;
let alice: StrongroomClient;
const code = (p: Promise<unknown>) => p.then(() => 'CKR_OK', (e: unknown) => (e instanceof HsmError ? e.code : String(e)));

beforeAll(async () => {
  c = await startCluster(['--fips']);
  expect(cli(c, ['cluster', 'activate', '--password', 'Admin-pass-1']).json.error_code).toBe(0);
  expect(cli(c, ['user', 'create', '--username', 'alice', '--role', 'crypto-user', '--password', 'Alice-pass-1'], as('admin', 'admin', 'Admin-pass-1')).json.error_code).toBe(0);
  alice = await StrongroomClient.connect(c.config);
  await alice.login('alice', 'crypto-user', 'Alice-pass-1');
});
afterAll(async () => {
  alice?.close();
  await c?.cleanup();
});

describe('a cluster in FIPS mode', () => {
  it('says so in hsm-info', async () => {
    expect((await alice.call('cluster.info', {}))['fips-mode']).toBe(true);
  });

  it('refuses non-approved mechanisms and curves, and runs approved ones', async () => {
    const { key } = await alice.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 32, attributes: { encrypt: true, decrypt: true } });
    const ref = key['key-reference'];
    expect(await code(alice.call('crypto.encrypt', { mechanism: 'CKM_AES_GCM', ref, data: 'aGk=' }))).toBe('CKR_OK');
    expect(await code(alice.call('crypto.encrypt', { mechanism: 'CKM_AES_ECB', ref, data: Buffer.alloc(16).toString('base64') }))).toBe('CKR_MECHANISM_INVALID');
    expect(await code(alice.call('key.generateKeyPair', { keyType: 'ec', curve: 'secp256k1' }))).not.toBe('CKR_OK');
    const pair = await alice.call('key.generateKeyPair', { keyType: 'rsa', modulusSizeBits: 2048, privateAttributes: { sign: true } });
    const priv = pair.private_key['key-reference'];
    expect(await code(alice.call('crypto.sign', { mechanism: 'CKM_SHA256_RSA_PKCS', ref: priv, data: 'aGk=' }))).toBe('CKR_OK');
    expect(await code(alice.call('crypto.sign', { mechanism: 'CKM_SHA1_RSA_PKCS', ref: priv, data: 'aGk=' }))).toBe('CKR_MECHANISM_INVALID');
  });
});
