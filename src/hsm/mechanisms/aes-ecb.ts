// CKM_AES_ECB: raw AES blocks, no padding, on node:crypto. Not FIPS-approved for encryption here
// (it leaks equal blocks); decryption stays for legacy data. Must never pad or accept partial blocks.

import crypto from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { aesName, onlyParams } from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

const NAME = 'CKM_AES_ECB';
const check = (params: ParsedMechParams): void => onlyParams(NAME, params, []);

function run(key: MechKey, data: Buffer, encrypt: boolean): Buffer {
  const name = aesName(key, 'ecb');
  const c = encrypt ? crypto.createCipheriv(name, key.key, null) : crypto.createDecipheriv(name, key.key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

export const aesEcbMechanisms: MechanismEntry[] = [
  {
    name: NAME, value: 0x1081, keyTypes: ['aes'], minKeyBits: 128, maxKeyBits: 256, fips: true,
    operations: ['encrypt', 'decrypt'], nonFipsOperations: ['encrypt'],
    checkParams: (_op: MechOperation, params) => check(params),
    encrypt(key, data, params) {
      check(params);
      if (data.length % 16 !== 0) throw new HsmError('CKR_DATA_LEN_RANGE', `${NAME}: data must be a multiple of 16 bytes`);
      return { data: run(key, data, true) };
    },
    decrypt(key, data, params) {
      check(params);
      if (data.length % 16 !== 0) throw new HsmError('CKR_ENCRYPTED_DATA_LEN_RANGE', `${NAME}: ciphertext must be a multiple of 16 bytes`);
      return run(key, data, false);
    },
  },
];
