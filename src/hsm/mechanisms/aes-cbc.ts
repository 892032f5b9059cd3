// CKM_AES_CBC_PAD: AES-CBC with PKCS#7 padding on node:crypto. A missing IV on encrypt is generated
// by the HSM and returned. Must never tell a caller more than "invalid" about bad padding.

import crypto from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { aesName, bytesParam, onlyParams, paramError } from './common.js';
import type { MechanismEntry, MechOperation } from './types.js';

const NAME = 'CKM_AES_CBC_PAD';

export function checkCbcParams(op: MechOperation, params: ParsedMechParams): { iv: Buffer | undefined } {
  onlyParams(NAME, params, ['iv']);
  const iv = bytesParam(params, 'iv');
  if (iv !== undefined && iv.length !== 16) throw paramError(NAME, `iv must be 16 bytes, got ${iv.length}`);
  if (iv === undefined && op === 'decrypt') throw paramError(NAME, 'iv is required to decrypt');
  return { iv };
}

export const aesCbcMechanisms: MechanismEntry[] = [
  {
    name: NAME, value: 0x1085, keyTypes: ['aes'], minKeyBits: 128, maxKeyBits: 256, fips: true,
    operations: ['encrypt', 'decrypt'],
    checkParams: (op, params) => void checkCbcParams(op, params),
    encrypt(key, data, params) {
      const { iv: given } = checkCbcParams('encrypt', params);
      const iv = given ?? crypto.randomBytes(16);
      const c = crypto.createCipheriv(aesName(key, 'cbc'), key.key, iv);
      const out = Buffer.concat([c.update(data), c.final()]);
      return given === undefined ? { data: out, iv } : { data: out };
    },
    decrypt(key, data, params) {
      const { iv } = checkCbcParams('decrypt', params);
      if (iv === undefined) throw paramError(NAME, 'iv is required to decrypt');
      if (data.length === 0 || data.length % 16 !== 0) {
        throw new HsmError('CKR_ENCRYPTED_DATA_LEN_RANGE', `${NAME}: ciphertext must be a non-zero multiple of 16 bytes`);
      }
      const d = crypto.createDecipheriv(aesName(key, 'cbc'), key.key, iv);
      const out = d.update(data);
      try {
        return Buffer.concat([out, d.final()]);
      } catch (err) {
        out.fill(0);
        throw new HsmError('CKR_ENCRYPTED_DATA_INVALID', `${NAME}: invalid ciphertext`, { cause: err });
      }
    },
  },
];
