// The HMAC family: CKM_SHA_1_HMAC and CKM_SHA224/256/384/512_HMAC (full-length MACs) on node:crypto.
// Keys are generic-secret or AES. Must never compare MACs with a non-constant-time comparison.

import crypto from 'node:crypto';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { HASH_BYTES, checkSignatureLength, macEqual, onlyParams, type HashName } from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

function hmac(key: MechKey, hash: HashName, data: Buffer): Buffer {
  return crypto.createHmac(hash, key.key).update(data).digest();
}

function hmacEntry(name: string, value: number, hash: HashName): MechanismEntry {
  const check = (params: ParsedMechParams): void => onlyParams(name, params, []);
  return {
    name, value, keyTypes: ['generic-secret', 'aes'], minKeyBits: 8, maxKeyBits: 6400, fips: true,
    operations: ['sign', 'verify'],
    checkParams: (_op: MechOperation, params: ParsedMechParams) => check(params),
    sign(key, data, params) {
      check(params);
      return hmac(key, hash, data);
    },
    verify(key, data, signature, params) {
      check(params);
      checkSignatureLength(name, signature, HASH_BYTES[hash]);
      return macEqual(hmac(key, hash, data), signature);
    },
  };
}

export const hmacMechanisms: MechanismEntry[] = [
  hmacEntry('CKM_SHA_1_HMAC', 0x221, 'sha1'),
  hmacEntry('CKM_SHA224_HMAC', 0x256, 'sha224'),
  hmacEntry('CKM_SHA256_HMAC', 0x251, 'sha256'),
  hmacEntry('CKM_SHA384_HMAC', 0x261, 'sha384'),
  hmacEntry('CKM_SHA512_HMAC', 0x271, 'sha512'),
];
