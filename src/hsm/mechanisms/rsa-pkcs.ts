// RSA PKCS#1 v1.5: CKM_RSA_PKCS (raw sign/verify of a DigestInfo or other data up to k-11 bytes;
// encrypt and wrap) and CKM_SHA{1,224,256,384,512}_RSA_PKCS (hash-and-sign, on the thread pool).
// PKCS#1 v1.5 encryption/wrap is not FIPS-approved. Decrypt/unwrap are absent on purpose: Node 20
// refuses PKCS#1 v1.5 private decryption (Marvin attack, CVE-2023-46809) and this HSM must never
// run with --security-revert nor strip that padding itself. SHA-1 signing is not FIPS-approved.

import crypto from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { HASHES, HASH_TAG, checkSignatureLength, onlyParams, rsaModulusBytes, signAsync, verifyAsync, type HashName } from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

const RSA = { keyTypes: ['rsa' as const], minKeyBits: 2048, maxKeyBits: 4096 };
const NAME = 'CKM_RSA_PKCS';
const check = (mech: string, params: ParsedMechParams): void => onlyParams(mech, params, []);

/** Pure: PKCS#1 v1.5 padding needs at least 11 bytes of the modulus. */
function checkFits(key: MechKey, length: number, code: 'CKR_DATA_LEN_RANGE' | 'CKR_KEY_SIZE_RANGE'): void {
  const max = rsaModulusBytes(key) - 11;
  if (length > max) throw new HsmError(code, `${NAME}: input is ${length} bytes, at most ${max} fit this key`);
}

const rawRsaPkcs: MechanismEntry = {
  name: NAME, value: 0x1, ...RSA, fips: true,
  operations: ['sign', 'verify', 'encrypt', 'wrap'], nonFipsOperations: ['encrypt', 'wrap'],
  checkParams: (_op: MechOperation, params) => check(NAME, params),
  sign(key, data, params) {
    check(NAME, params);
    checkFits(key, data.length, 'CKR_DATA_LEN_RANGE');
    // node:crypto has no thread-pool form of privateEncrypt; raw PKCS#1 signing runs on the event loop.
    return crypto.privateEncrypt({ key: key.key, padding: crypto.constants.RSA_PKCS1_PADDING }, data);
  },
  verify(key, data, signature, params) {
    check(NAME, params);
    checkSignatureLength(NAME, signature, rsaModulusBytes(key));
    let recovered: Buffer;
    try {
      recovered = crypto.publicDecrypt({ key: key.key, padding: crypto.constants.RSA_PKCS1_PADDING }, signature);
    } catch {
      return false;
    }
    return recovered.length === data.length && crypto.timingSafeEqual(recovered, data);
  },
  encrypt(key, data, params) {
    check(NAME, params);
    checkFits(key, data.length, 'CKR_DATA_LEN_RANGE');
    return { data: crypto.publicEncrypt({ key: key.key, padding: crypto.constants.RSA_PKCS1_PADDING }, data) };
  },
  wrap(key, payload, params) {
    check(NAME, params);
    checkFits(key, payload.length, 'CKR_KEY_SIZE_RANGE');
    return crypto.publicEncrypt({ key: key.key, padding: crypto.constants.RSA_PKCS1_PADDING }, payload);
  },
};

const HASH_RSA_PKCS_VALUES: Readonly<Record<HashName, number>> = { sha1: 0x6, sha224: 0x46, sha256: 0x40, sha384: 0x41, sha512: 0x42 };

function hashRsaPkcs(hash: HashName): MechanismEntry {
  const name = `CKM_${HASH_TAG[hash]}_RSA_PKCS`;
  return {
    name, value: HASH_RSA_PKCS_VALUES[hash], ...RSA, fips: true, operations: ['sign', 'verify'],
    ...(hash === 'sha1' ? { nonFipsOperations: ['sign' as const] } : {}),
    checkParams: (_op: MechOperation, params) => check(name, params),
    sign(key, data, params) {
      check(name, params);
      return signAsync(hash, data, { key: key.key, padding: crypto.constants.RSA_PKCS1_PADDING });
    },
    verify(key, data, signature, params) {
      check(name, params);
      checkSignatureLength(name, signature, rsaModulusBytes(key));
      return verifyAsync(hash, data, { key: key.key, padding: crypto.constants.RSA_PKCS1_PADDING }, signature);
    },
  };
}

export const rsaPkcsMechanisms: MechanismEntry[] = [rawRsaPkcs, ...HASHES.map(hashRsaPkcs)];
