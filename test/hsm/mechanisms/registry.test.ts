// The registry's table and its require() checks: one negative test per check, named after the fault.

import { describe, expect, it } from 'vitest';
import { MechanismRegistry, defaultRegistry, isFipsFor } from '../../../src/hsm/mechanisms/registry.js';
import { digestMechanisms } from '../../../src/hsm/mechanisms/digest.js';
import { ecPair, expectCode, rsaPair, secretKey } from './helpers.js';

const EXPECTED = [
  'CKM_RSA_PKCS', 'CKM_SHA1_RSA_PKCS', 'CKM_SHA224_RSA_PKCS', 'CKM_SHA256_RSA_PKCS', 'CKM_SHA384_RSA_PKCS', 'CKM_SHA512_RSA_PKCS',
  'CKM_RSA_PKCS_PSS', 'CKM_SHA1_RSA_PKCS_PSS', 'CKM_SHA224_RSA_PKCS_PSS', 'CKM_SHA256_RSA_PKCS_PSS', 'CKM_SHA384_RSA_PKCS_PSS', 'CKM_SHA512_RSA_PKCS_PSS',
  'CKM_ECDSA', 'CKM_ECDSA_SHA1', 'CKM_ECDSA_SHA224', 'CKM_ECDSA_SHA256', 'CKM_ECDSA_SHA384', 'CKM_ECDSA_SHA512',
  'CKM_SHA_1_HMAC', 'CKM_SHA224_HMAC', 'CKM_SHA256_HMAC', 'CKM_SHA384_HMAC', 'CKM_SHA512_HMAC', 'CKM_AES_CMAC',
  'CKM_AES_GCM', 'CKM_AES_CBC_PAD', 'CKM_AES_CTR', 'CKM_AES_ECB', 'CKM_RSA_PKCS_OAEP',
  'CKM_SHA_1', 'CKM_SHA224', 'CKM_SHA256', 'CKM_SHA384', 'CKM_SHA512',
  'CKM_AES_KEY_WRAP', 'CKM_AES_KEY_WRAP_PAD', 'CKM_CLOUDHSM_AES_KEY_WRAP_NO_PAD', 'CKM_CLOUDHSM_AES_KEY_WRAP_PKCS5_PAD',
  'CKM_CLOUDHSM_AES_KEY_WRAP_ZERO_PAD', 'CKM_CLOUDHSM_AES_GCM', 'CKM_RSA_AES_KEY_WRAP', 'CKM_ECDH1_DERIVE',
];

describe('MechanismRegistry', () => {
  const reg = defaultRegistry();
  const aes = secretKey(Buffer.alloc(32, 1));
  const rsa = rsaPair();
  const ec = ecPair();

  it('holds every mechanism of the brief, with unique names and values', () => {
    const names = reg.list().map((e) => e.name);
    expect(new Set(names)).toEqual(new Set(EXPECTED));
    expect(new Set(reg.list().map((e) => e.value)).size).toBe(names.length);
  });

  it('declares only operations each entry implements, and sane key size ranges', () => {
    for (const e of reg.list()) {
      expect(e.operations.length).toBeGreaterThan(0);
      expect(e.minKeyBits).toBeLessThanOrEqual(e.maxKeyBits);
      for (const op of e.nonFipsOperations ?? []) expect(e.operations).toContain(op);
    }
  });

  it('unknown mechanism → CKR_MECHANISM_INVALID (get and require)', async () => {
    await expectCode(() => reg.get('CKM_DES3_CBC'), 'CKR_MECHANISM_INVALID');
    await expectCode(() => reg.require('CKM_NOPE', 'sign'), 'CKR_MECHANISM_INVALID');
  });

  it('mechanism lacking the operation → CKR_MECHANISM_INVALID', async () => {
    await expectCode(() => reg.require('CKM_SHA256', 'sign', aes), 'CKR_MECHANISM_INVALID');
    await expectCode(() => reg.require('CKM_AES_KEY_WRAP', 'encrypt', aes), 'CKR_MECHANISM_INVALID');
    await expectCode(() => reg.require('CKM_SHA256_RSA_PKCS', 'encrypt', rsa.pub), 'CKR_MECHANISM_INVALID');
    await expectCode(() => reg.require('CKM_RSA_PKCS', 'decrypt', rsa.priv), 'CKR_MECHANISM_INVALID');
    await expectCode(() => reg.require('CKM_RSA_PKCS', 'unwrap', rsa.priv), 'CKR_MECHANISM_INVALID');
  });

  it('wrong key type → CKR_KEY_TYPE_INCONSISTENT', async () => {
    await expectCode(() => reg.require('CKM_AES_GCM', 'encrypt', rsa.pub), 'CKR_KEY_TYPE_INCONSISTENT');
    await expectCode(() => reg.require('CKM_ECDSA_SHA256', 'sign', rsa.priv), 'CKR_KEY_TYPE_INCONSISTENT');
    await expectCode(() => reg.require('CKM_SHA256_HMAC', 'sign', ec.priv), 'CKR_KEY_TYPE_INCONSISTENT');
  });

  it('wrong wrapping / unwrapping key type → CKR_(UN)WRAPPING_KEY_TYPE_INCONSISTENT', async () => {
    await expectCode(() => reg.require('CKM_AES_KEY_WRAP', 'wrap', rsa.pub), 'CKR_WRAPPING_KEY_TYPE_INCONSISTENT');
    await expectCode(() => reg.require('CKM_RSA_PKCS_OAEP', 'unwrap', aes), 'CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT');
  });

  it('wrong key class for the operation → CKR_KEY_TYPE_INCONSISTENT', async () => {
    await expectCode(() => reg.require('CKM_SHA256_RSA_PKCS', 'sign', rsa.pub), 'CKR_KEY_TYPE_INCONSISTENT');
    await expectCode(() => reg.require('CKM_SHA256_RSA_PKCS', 'verify', rsa.priv), 'CKR_KEY_TYPE_INCONSISTENT');
    await expectCode(() => reg.require('CKM_ECDH1_DERIVE', 'derive', ec.pub), 'CKR_KEY_TYPE_INCONSISTENT');
  });

  it('key size outside the range → CKR_KEY_SIZE_RANGE', async () => {
    await expectCode(() => reg.require('CKM_SHA256_RSA_PKCS', 'sign', { ...rsa.priv, sizeBits: 1024 }), 'CKR_KEY_SIZE_RANGE');
    await expectCode(() => reg.require('CKM_AES_GCM', 'encrypt', secretKey(Buffer.alloc(8))), 'CKR_KEY_SIZE_RANGE');
    await expectCode(() => reg.require('CKM_SHA256_HMAC', 'sign', secretKey(Buffer.alloc(801), 'generic-secret')), 'CKR_KEY_SIZE_RANGE');
  });

  it('non-FIPS mechanism or operation in FIPS mode → CKR_MECHANISM_INVALID; allowed outside it', async () => {
    await expectCode(() => reg.require('CKM_RSA_PKCS', 'encrypt', rsa.pub, true), 'CKR_MECHANISM_INVALID');
    await expectCode(() => reg.require('CKM_RSA_PKCS', 'wrap', rsa.pub, true), 'CKR_MECHANISM_INVALID');
    await expectCode(() => reg.require('CKM_AES_ECB', 'encrypt', aes, true), 'CKR_MECHANISM_INVALID');
    await expectCode(() => reg.require('CKM_SHA1_RSA_PKCS', 'sign', rsa.priv, true), 'CKR_MECHANISM_INVALID');
    expect(reg.require('CKM_RSA_PKCS', 'sign', rsa.priv, true).name).toBe('CKM_RSA_PKCS');
    expect(reg.require('CKM_SHA1_RSA_PKCS', 'verify', rsa.pub, true).name).toBe('CKM_SHA1_RSA_PKCS');
    expect(reg.require('CKM_AES_ECB', 'decrypt', aes, true).name).toBe('CKM_AES_ECB');
    expect(reg.require('CKM_RSA_PKCS', 'encrypt', rsa.pub, false).name).toBe('CKM_RSA_PKCS');
    expect(isFipsFor(reg.get('CKM_AES_GCM'), 'encrypt')).toBe(true);
  });

  it('secp256k1 key in FIPS mode → CKR_KEY_TYPE_INCONSISTENT', async () => {
    const k1 = ecPair('secp256k1');
    await expectCode(() => reg.require('CKM_ECDSA_SHA256', 'sign', k1.priv, true), 'CKR_KEY_TYPE_INCONSISTENT');
    expect(reg.require('CKM_ECDSA_SHA256', 'sign', k1.priv, false).name).toBe('CKM_ECDSA_SHA256');
  });

  it('digest needs no key; a keyless require checks only mechanism and operation', () => {
    expect(reg.require('CKM_SHA256', 'digest').name).toBe('CKM_SHA256');
    expect(reg.require('CKM_AES_GCM', 'encrypt').name).toBe('CKM_AES_GCM');
  });

  it('a mechanism registered twice is refused at construction', () => {
    expect(() => new MechanismRegistry([...digestMechanisms, ...digestMechanisms])).toThrow(/twice/);
  });

  it('an entry listing an operation it does not implement is refused at construction', () => {
    const [sha] = digestMechanisms;
    expect(() => new MechanismRegistry([{ ...sha!, operations: ['digest', 'sign'] }])).toThrow(/does not implement/);
  });

  it('defaultRegistry builds a fresh table each call (no singleton)', () => {
    expect(defaultRegistry()).not.toBe(defaultRegistry());
  });
});
