// RSASSA-PSS: CKM_RSA_PKCS_PSS (input is a digest; params.hash picks the hash, or the digest length
// does) and CKM_SHA{1,224,256,384,512}_RSA_PKCS_PSS (hash-and-sign with crypto.sign on the thread
// pool). MGF1 must use the signing hash; saltLength defaults to the hash length.
// Must never accept a params.hash that contradicts the mechanism's own hash.

import crypto from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import {
  HASHES, HASH_BYTES, HASH_TAG, checkMgf, checkSignatureLength, onlyParams, paramError, rsaModulusBits, rsaModulusBytes,
  signAsync, verifyAsync, type HashName,
} from './common.js';
import { pssEncode, pssMaxSalt, pssVerify } from './emsa-pss.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

const RSA = { keyTypes: ['rsa' as const], minKeyBits: 2048, maxKeyBits: 4096 };

interface PssParams { hash: HashName; saltLength: number }

/** Pure check; `fixed` is the mechanism's own hash, `digestLength` picks the hash for raw PSS. */
export function checkPssParams(mech: string, params: ParsedMechParams, fixed: HashName, key: MechKey | undefined): PssParams;
export function checkPssParams(mech: string, params: ParsedMechParams, fixed: undefined, key: MechKey | undefined, digestLength: number): PssParams;
export function checkPssParams(mech: string, params: ParsedMechParams, fixed: undefined, key: MechKey | undefined): PssParams | undefined;
export function checkPssParams(mech: string, params: ParsedMechParams, fixed: HashName | undefined, key: MechKey | undefined, digestLength?: number): PssParams | undefined {
  onlyParams(mech, params, ['hash', 'mgf', 'saltLength']);
  if (fixed !== undefined && params.hash !== undefined && params.hash !== fixed) throw paramError(mech, `hash must be ${fixed}`);
  // Raw PSS without params.hash takes the hash from the digest length; before the data is known
  // (checkParams) there is nothing more to check.
  if (fixed === undefined && params.hash === undefined && digestLength === undefined) return undefined;
  const hash = fixed ?? params.hash ?? HASHES.find((h) => HASH_BYTES[h] === digestLength);
  if (hash === undefined) {
    throw new HsmError('CKR_DATA_LEN_RANGE', `${mech}: input of ${digestLength ?? 0} bytes is no SHA-1/SHA-2 digest length; set params.hash`);
  }
  checkMgf(mech, hash, params);
  const saltLength = params.saltLength ?? HASH_BYTES[hash];
  if (key !== undefined) {
    const max = pssMaxSalt(hash, rsaModulusBits(key) - 1);
    if (saltLength > max) throw paramError(mech, `saltLength must be at most ${max} for this key and hash`);
  }
  return { hash, saltLength };
}

function checkDigest(mech: string, hash: HashName, data: Buffer): void {
  if (data.length !== HASH_BYTES[hash]) throw new HsmError('CKR_DATA_LEN_RANGE', `${mech}: input must be a ${hash} digest (${HASH_BYTES[hash]} bytes)`);
}

const RAW = 'CKM_RSA_PKCS_PSS';

const rawPss: MechanismEntry = {
  name: RAW, value: 0xd, ...RSA, fips: true, operations: ['sign', 'verify'],
  checkParams: (_op: MechOperation, params, key) => void checkPssParams(RAW, params, undefined, key),
  sign(key, data, params) {
    const p = checkPssParams(RAW, params, undefined, key, data.length);
    checkDigest(RAW, p.hash, data);
    const k = rsaModulusBytes(key);
    const em = pssEncode(p.hash, data, p.saltLength, rsaModulusBits(key) - 1);
    const block = Buffer.concat([Buffer.alloc(k - em.length), em]);
    // node:crypto has no thread-pool form of privateEncrypt; this runs on the event loop.
    return crypto.privateEncrypt({ key: key.key, padding: crypto.constants.RSA_NO_PADDING }, block);
  },
  verify(key, data, signature, params) {
    const p = checkPssParams(RAW, params, undefined, key, data.length);
    checkDigest(RAW, p.hash, data);
    const k = rsaModulusBytes(key);
    checkSignatureLength(RAW, signature, k);
    let block: Buffer;
    try {
      block = crypto.publicDecrypt({ key: key.key, padding: crypto.constants.RSA_NO_PADDING }, signature);
    } catch {
      return false; // signature representative out of range
    }
    const emBits = rsaModulusBits(key) - 1;
    const emLen = Math.ceil(emBits / 8);
    if (block.length !== k || block.subarray(0, k - emLen).some((b) => b !== 0)) return false;
    return pssVerify(p.hash, data, block.subarray(k - emLen), p.saltLength, emBits);
  },
};

const HASH_PSS_VALUES: Readonly<Record<HashName, number>> = { sha1: 0xe, sha224: 0x47, sha256: 0x43, sha384: 0x44, sha512: 0x45 };

function hashPss(hash: HashName): MechanismEntry {
  const name = `CKM_${HASH_TAG[hash]}_RSA_PKCS_PSS`;
  const opts = (key: MechKey, p: PssParams) => ({ key: key.key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: p.saltLength });
  return {
    name, value: HASH_PSS_VALUES[hash], ...RSA, fips: true, operations: ['sign', 'verify'],
    ...(hash === 'sha1' ? { nonFipsOperations: ['sign' as const] } : {}),
    checkParams: (_op: MechOperation, params, key) => void checkPssParams(name, params, hash, key),
    sign(key, data, params) {
      return signAsync(hash, data, opts(key, checkPssParams(name, params, hash, key)));
    },
    verify(key, data, signature, params) {
      const p = checkPssParams(name, params, hash, key);
      checkSignatureLength(name, signature, rsaModulusBytes(key));
      return verifyAsync(hash, data, opts(key, p), signature);
    },
  };
}

export const rsaPssMechanisms: MechanismEntry[] = [rawPss, ...HASHES.map(hashPss)];
