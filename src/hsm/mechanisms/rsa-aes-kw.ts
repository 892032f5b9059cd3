// CKM_RSA_AES_KEY_WRAP (PKCS#11 3.0 §2.1.21): a fresh 256-bit AES key is wrapped with RSA-OAEP
// (params hash/mgf/label, default sha1), the payload with that AES key by RFC 5649 (KWP);
// output = rsa-part (modulus length) || kwp-part. ParsedMechParams has no field for the AES key size, so
// wrapping always uses 256 bits; unwrapping accepts 128/192/256-bit temporary keys.
// Must never keep the temporary AES key: it is zeroed once used.

import crypto from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { rsaModulusBytes } from './common.js';
import { KWP_DEFAULT_AIV, checkUnwrapLength, kwUnwrap, kwWrap } from './aes-kw.js';
import { checkOaepParams, oaepDecrypt, oaepEncrypt } from './rsa-oaep.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

const NAME = 'CKM_RSA_AES_KEY_WRAP';
const AES_KEY_BYTES = 32;

export const rsaAesKwMechanisms: MechanismEntry[] = [
  {
    name: NAME, value: 0x1054, keyTypes: ['rsa'], minKeyBits: 2048, maxKeyBits: 4096, fips: true,
    operations: ['wrap', 'unwrap'],
    checkParams: (_op: MechOperation, params: ParsedMechParams) => void checkOaepParams(NAME, params),
    wrap(key: MechKey, payload: Buffer, params: ParsedMechParams) {
      const p = checkOaepParams(NAME, params);
      if (payload.length < 1) throw new HsmError('CKR_KEY_SIZE_RANGE', `${NAME}: nothing to wrap`);
      const aes = crypto.randomBytes(AES_KEY_BYTES);
      try {
        return Buffer.concat([oaepEncrypt(key, aes, p), kwWrap(aes, payload, KWP_DEFAULT_AIV, true)]);
      } finally {
        aes.fill(0);
      }
    },
    unwrap(key: MechKey, wrapped: Buffer, params: ParsedMechParams) {
      const p = checkOaepParams(NAME, params);
      const k = rsaModulusBytes(key);
      if (wrapped.length <= k) throw new HsmError('CKR_WRAPPED_KEY_LEN_RANGE', `${NAME}: wrapped key shorter than the RSA part`);
      checkUnwrapLength(NAME, 'kwp', wrapped.length - k);
      const aes = oaepDecrypt(key, wrapped.subarray(0, k), p, 'CKR_WRAPPED_KEY_LEN_RANGE', 'CKR_WRAPPED_KEY_INVALID', NAME);
      try {
        if (![16, 24, 32].includes(aes.length)) throw new HsmError('CKR_WRAPPED_KEY_INVALID', `${NAME}: wrapped key failed its integrity check`);
        return kwUnwrap(aes, wrapped.subarray(k), KWP_DEFAULT_AIV, true, NAME);
      } finally {
        aes.fill(0);
      }
    },
  },
];
