// CKM_AES_CMAC (NIST SP 800-38B, full 16-byte MAC) on @noble/ciphers' cmac.
// Must never compare MACs with a non-constant-time comparison.

import { cmac } from '@noble/ciphers/aes.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { checkSignatureLength, macEqual, onlyParams, secretBytes } from './common.js';
import type { MechanismEntry, MechOperation } from './types.js';

const NAME = 'CKM_AES_CMAC';
const check = (params: ParsedMechParams): void => onlyParams(NAME, params, []);

export const cmacMechanisms: MechanismEntry[] = [
  {
    name: NAME, value: 0x108a, keyTypes: ['aes'], minKeyBits: 128, maxKeyBits: 256, fips: true,
    operations: ['sign', 'verify'],
    checkParams: (_op: MechOperation, params: ParsedMechParams) => check(params),
    sign(key, data, params) {
      check(params);
      return Buffer.from(cmac(data, secretBytes(key)));
    },
    verify(key, data, signature, params) {
      check(params);
      checkSignatureLength(NAME, signature, 16);
      return macEqual(cmac(data, secretBytes(key)), signature);
    },
  },
];
