// The power-on self-tests: they pass on the real registry, fail with CKR_DEVICE_ERROR naming the
// mechanism when an entry is broken, and their embedded vectors are the ones in test/vectors/.

import { describe, expect, it } from 'vitest';
import { MechanismRegistry, defaultRegistry } from '../../../src/hsm/mechanisms/registry.js';
import { runSelfTests } from '../../../src/hsm/selftest/selftest.js';
import { CBC_KAT, CTR_KAT, DIGEST_KAT, GCM_KAT, MAC_KATS, WRAP_KATS } from '../../../src/hsm/selftest/vectors.js';
import { HsmError } from '../../../src/protocol/errors.js';
import { vectors } from './helpers.js';

describe('runSelfTests', () => {
  it('passes on the default registry and names every family it covered', async () => {
    const { passed } = await runSelfTests(defaultRegistry());
    expect(passed).toEqual(expect.arrayContaining([
      'CKM_AES_GCM', 'CKM_AES_CBC_PAD', 'CKM_AES_CTR', 'CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD', 'CKM_SHA256_HMAC',
      'CKM_AES_CMAC', 'CKM_SHA256', 'CKM_SHA256_RSA_PKCS', 'CKM_SHA256_RSA_PKCS_PSS', 'CKM_RSA_PKCS_PSS', 'CKM_RSA_PKCS_OAEP',
      'CKM_ECDSA_SHA256', 'CKM_ECDSA', 'CKM_ECDH1_DERIVE',
    ]));
  });

  it('a broken digest entry → CKR_DEVICE_ERROR "self-test failed: CKM_SHA256"', async () => {
    const entries = defaultRegistry().list().map((e) => (e.name === 'CKM_SHA256' ? { ...e, digest: () => Buffer.alloc(32) } : e));
    const err = await runSelfTests(new MechanismRegistry(entries)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HsmError);
    expect((err as HsmError).code).toBe('CKR_DEVICE_ERROR');
    expect((err as HsmError).message).toBe('self-test failed: CKM_SHA256');
  });

  it('a GCM entry that ignores the tag → CKR_DEVICE_ERROR naming CKM_AES_GCM', async () => {
    const entries = defaultRegistry().list().map((e) =>
      e.name === 'CKM_AES_GCM' ? { ...e, decrypt: (_k: unknown, d: Buffer) => Buffer.from(d.subarray(0, d.length - 16)) } : e);
    await expect(runSelfTests(new MechanismRegistry(entries))).rejects.toThrow('self-test failed: CKM_AES_GCM');
  });

  it('a signature entry whose verify always succeeds → CKR_DEVICE_ERROR', async () => {
    const entries = defaultRegistry().list().map((e) => (e.name === 'CKM_ECDSA_SHA256' ? { ...e, verify: () => true } : e));
    await expect(runSelfTests(new MechanismRegistry(entries))).rejects.toThrow('self-test failed: CKM_ECDSA_SHA256');
  });

  it('skips mechanisms the registry does not hold', async () => {
    const entries = defaultRegistry().list().filter((e) => e.name === 'CKM_SHA256');
    expect((await runSelfTests(new MechanismRegistry(entries))).passed).toEqual(['CKM_SHA256']);
  });
});

describe('embedded self-test vectors', () => {
  it('are the same as those in test/vectors/', () => {
    const gcm = vectors<{ cases: Array<Record<string, string>> }>('aes-gcm.json').cases;
    expect(gcm).toContainEqual(expect.objectContaining({ key: GCM_KAT.key, iv: GCM_KAT.iv, aad: GCM_KAT.aad, plaintext: GCM_KAT.plaintext, ciphertext: GCM_KAT.ciphertext }));
    const modes = vectors<{ plaintext: string; cases: Array<Record<string, string>> }>('aes-modes.json');
    for (const v of [CBC_KAT, CTR_KAT]) {
      expect(modes.plaintext).toBe(v.plaintext);
      expect(modes.cases).toContainEqual(expect.objectContaining({ mechanism: v.mechanism, key: v.key, iv: v.iv, ciphertext: v.ciphertext }));
    }
    const kw = vectors<{ cases: Array<Record<string, string>> }>('aes-kw.json').cases;
    for (const v of WRAP_KATS) expect(kw).toContainEqual(expect.objectContaining({ mechanism: v.mechanism, kek: v.kek, key: v.key, wrapped: v.wrapped }));
    const mac = vectors<{ cases: Array<Record<string, string>> }>('mac.json').cases;
    for (const v of MAC_KATS) expect(mac).toContainEqual(expect.objectContaining({ mechanism: v.mechanism, key: v.key, message: v.message, mac: v.mac }));
    const dig = vectors<{ message: string; cases: Array<Record<string, string>> }>('digest.json');
    expect(dig.message).toBe(DIGEST_KAT.message);
    expect(dig.cases).toContainEqual({ mechanism: DIGEST_KAT.mechanism, digest: DIGEST_KAT.digest });
  });
});
