// Objects for PKCS#11 beyond generated keys, through a real HSM process: secret keys imported in
// clear (C_CreateObject), key copies (C_CopyObject), and certificate/data objects (CKO_CERTIFICATE,
// CKO_DATA) as token and session objects, with ownership and visibility.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCipheriv, randomBytes } from 'node:crypto';
import { StrongroomClient } from '../../src/client/client.js';
import { HsmError } from '../../src/protocol/errors.js';
import { as, cli, startCluster, type Cluster } from './harness.js';

let c: Cluster;
let alice: StrongroomClient;
let bob: StrongroomClient;

beforeAll(async () => {
  c = await startCluster();
  expect(cli(c, ['cluster', 'activate', '--password', 'Admin-pass-1']).json.error_code).toBe(0);
  for (const u of ['alice', 'bob']) {
    expect(cli(c, ['user', 'create', '--username', u, '--role', 'crypto-user', '--password', `${u}-pass-1`], as('admin', 'admin', 'Admin-pass-1')).json.error_code).toBe(0);
  }
  alice = await StrongroomClient.connect(c.config);
  await alice.login('alice', 'crypto-user', 'alice-pass-1');
  bob = await StrongroomClient.connect(c.config);
  await bob.login('bob', 'crypto-user', 'bob-pass-1');
});
afterAll(async () => {
  alice?.close();
  bob?.close();
  await c?.cleanup();
});

const code = (p: Promise<unknown>) => p.then(() => 'CKR_OK', (e: unknown) => (e instanceof HsmError ? e.code : String(e)));

describe('imported secret keys and copies', () => {
  it('imports a known AES key: same KCV, and what node:crypto encrypts the HSM decrypts', async () => {
    const key = randomBytes(32);
    const { key: k } = await alice.call('key.importSecret', { keyType: 'aes', value: key.toString('base64'), attributes: { label: 'known', encrypt: true, decrypt: true } });
    expect(k.attributes).toMatchObject({ local: false, 'key-length-bytes': 32, 'always-sensitive': false });
    const ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false).update(Buffer.alloc(16));
    expect(k.attributes['check-value']).toBe('0x' + ecb.subarray(0, 3).toString('hex'));
    const iv = randomBytes(12);
    const c1 = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([c1.update('hello'), c1.final(), c1.getAuthTag()]);
    const dec = await alice.call('crypto.decrypt', { mechanism: 'CKM_AES_GCM', ref: k['key-reference'], data: ct.toString('base64'), params: { iv: iv.toString('base64') } });
    expect(Buffer.from(dec.data, 'base64').toString()).toBe('hello');
    expect(await code(alice.call('key.importSecret', { keyType: 'aes', value: randomBytes(17).toString('base64') }))).toBe('CKR_KEY_SIZE_RANGE');
  });

  it('copies a key (owner only); the copy may tighten but not loosen attributes', async () => {
    const { key } = await alice.call('key.generateSymmetric', { keyType: 'aes', keyLengthBytes: 16, attributes: { encrypt: true, decrypt: true, label: 'orig' } });
    const { key: copy } = await alice.call('key.copy', { ref: key['key-reference'], attributes: { label: 'copy', decrypt: false } });
    expect(copy['key-reference']).not.toBe(key['key-reference']);
    expect(copy.attributes).toMatchObject({ label: 'copy', decrypt: false, encrypt: true, 'check-value': key.attributes['check-value'] });
    expect(await code(alice.call('key.copy', { ref: key['key-reference'], attributes: { sensitive: false } }))).toBe('CKR_ATTRIBUTE_READ_ONLY');
    expect(await code(bob.call('key.copy', { ref: key['key-reference'] }))).toBe('CKR_KEY_HANDLE_INVALID');
  });
});

describe('certificate and data objects', () => {
  it('creates, lists, reads, changes and deletes a token certificate; other users see it but cannot change it', async () => {
    const der = randomBytes(300).toString('base64');
    const { object } = await alice.call('object.create', { class: 'certificate', value: der, attributes: { label: 'tls', id: '0102', subject: '3000' } });
    expect(object).toMatchObject({ class: 'certificate', owner: 'alice', session: false });
    expect(object.attributes).toMatchObject({ label: 'tls', id: '0x0102', 'certificate-type': 'x-509', private: false, token: true, 'value-len': 300 });
    const ref = object['object-reference'];
    expect((await bob.call('object.list', {})).objects.map((o) => o['object-reference'])).toContain(ref);
    expect((await bob.call('object.getValue', { ref })).value).toBe(der);
    expect(await code(bob.call('object.delete', { ref }))).toBe('CKR_ACTION_PROHIBITED');
    await alice.call('object.setAttribute', { ref, name: 'label', value: 'tls2' });
    expect((await alice.call('object.list', {})).objects.find((o) => o['object-reference'] === ref)?.attributes['label']).toBe('tls2');
    expect(await code(alice.call('object.setAttribute', { ref, name: 'colour', value: 'red' }))).toBe('CKR_ATTRIBUTE_TYPE_INVALID');
    await alice.call('object.delete', { ref });
    expect(await code(alice.call('object.getValue', { ref }))).toBe('CKR_OBJECT_HANDLE_INVALID');
  });

  it('data objects are private by default; session objects vanish with the connection', async () => {
    const { object } = await alice.call('object.create', { class: 'data', value: 'c2VjcmV0', attributes: { label: 'note', application: 'app' } });
    expect(await code(bob.call('object.getValue', { ref: object['object-reference'] }))).toBe('CKR_OBJECT_HANDLE_INVALID');
    const tmp = await StrongroomClient.connect(c.config, { discover: false });
    await tmp.login('alice', 'crypto-user', 'alice-pass-1');
    const s = await tmp.call('object.create', { class: 'data', value: 'eA==', session: true });
    expect(s.object.session).toBe(true);
    expect((await tmp.call('object.list', {})).objects.map((o) => o['object-reference'])).toContain(s.object['object-reference']);
    tmp.close();
    await new Promise((r) => setTimeout(r, 200));
    expect((await alice.call('object.list', {})).objects.map((o) => o['object-reference'])).not.toContain(s.object['object-reference']);
  });
});
