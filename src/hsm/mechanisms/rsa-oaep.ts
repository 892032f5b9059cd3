// CKM_RSA_PKCS_OAEP: RSAES-OAEP (RFC 8017 §7.1) on node:crypto, for encrypt/decrypt and wrap/unwrap.
// params.hash defaults to sha1 (as PKCS#11 callers usually pass), MGF1 must use the same hash,
// params.label is the optional label. Must never reveal why a decryption failed.

import crypto from 'node:crypto';
import { HsmError, type CkrName } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { HASH_BYTES, bytesParam, checkMgf, onlyParams, rsaModulusBytes, type HashName } from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

export interface OaepParams { hash: HashName; label: Buffer | undefined }

export function checkOaepParams(mech: string, params: ParsedMechParams, extra: readonly (keyof ParsedMechParams)[] = []): OaepParams {
  onlyParams(mech, params, ['hash', 'mgf', 'label', ...extra]);
  const hash = params.hash ?? 'sha1';
  checkMgf(mech, hash, params);
  return { hash, label: bytesParam(params, 'label') };
}

/** Largest message OAEP can carry under this key. */
export function oaepMaxBytes(key: MechKey, hash: HashName): number {
  return rsaModulusBytes(key) - 2 * HASH_BYTES[hash] - 2;
}

export function oaepEncrypt(key: MechKey, data: Buffer, p: OaepParams): Buffer {
  return crypto.publicEncrypt(
    { key: key.key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: p.hash, ...(p.label ? { oaepLabel: p.label } : {}) },
    data,
  );
}

export function oaepDecrypt(key: MechKey, data: Buffer, p: OaepParams, lenCode: CkrName, badCode: CkrName, mech: string): Buffer {
  if (data.length !== rsaModulusBytes(key)) throw new HsmError(lenCode, `${mech}: input must be ${rsaModulusBytes(key)} bytes`);
  try {
    return crypto.privateDecrypt(
      { key: key.key, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: p.hash, ...(p.label ? { oaepLabel: p.label } : {}) },
      data,
    );
  } catch (err) {
    throw new HsmError(badCode, `${mech}: decryption failed`, { cause: err });
  }
}

const NAME = 'CKM_RSA_PKCS_OAEP';

export const rsaOaepMechanisms: MechanismEntry[] = [
  {
    name: NAME, value: 0x9, keyTypes: ['rsa'], minKeyBits: 2048, maxKeyBits: 4096, fips: true,
    operations: ['encrypt', 'decrypt', 'wrap', 'unwrap'],
    checkParams: (_op: MechOperation, params) => void checkOaepParams(NAME, params),
    encrypt(key, data, params) {
      const p = checkOaepParams(NAME, params);
      if (data.length > oaepMaxBytes(key, p.hash)) throw new HsmError('CKR_DATA_LEN_RANGE', `${NAME}: data longer than ${oaepMaxBytes(key, p.hash)} bytes`);
      return { data: oaepEncrypt(key, data, p) };
    },
    decrypt: (key, data, params) =>
      oaepDecrypt(key, data, checkOaepParams(NAME, params), 'CKR_ENCRYPTED_DATA_LEN_RANGE', 'CKR_ENCRYPTED_DATA_INVALID', NAME),
    wrap(key, payload, params) {
      const p = checkOaepParams(NAME, params);
      if (payload.length > oaepMaxBytes(key, p.hash)) throw new HsmError('CKR_KEY_SIZE_RANGE', `${NAME}: key to wrap is longer than ${oaepMaxBytes(key, p.hash)} bytes`);
      return oaepEncrypt(key, payload, p);
    },
    unwrap: (key, wrapped, params) =>
      oaepDecrypt(key, wrapped, checkOaepParams(NAME, params), 'CKR_WRAPPED_KEY_LEN_RANGE', 'CKR_WRAPPED_KEY_INVALID', NAME),
  },
];
