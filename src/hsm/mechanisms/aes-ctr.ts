// CKM_AES_CTR: AES counter mode on node:crypto. The IV is the 16-byte initial counter block whose
// low counterBits bits (default 128) count. Must never let the counter wrap: a request that would
// wrap it is refused (CKR_DATA_LEN_RANGE), since node counts across all 128 bits.

import crypto from 'node:crypto';
import { HsmError } from '../../protocol/errors.js';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { aesName, bytesParam, onlyParams, paramError } from './common.js';
import type { MechKey, MechanismEntry, MechOperation } from './types.js';

const NAME = 'CKM_AES_CTR';

export function checkCtrParams(params: ParsedMechParams): { iv: Buffer; counterBits: number } {
  onlyParams(NAME, params, ['iv', 'counterBits']);
  const iv = bytesParam(params, 'iv');
  if (iv === undefined) throw paramError(NAME, 'iv (the initial counter block) is required');
  if (iv.length !== 16) throw paramError(NAME, `iv must be 16 bytes, got ${iv.length}`);
  const counterBits = params.counterBits ?? 128;
  if (counterBits < 1 || counterBits > 128) throw paramError(NAME, 'counterBits must be 1 to 128');
  return { iv, counterBits };
}

/** Pure check that the low counterBits of the counter block do not overflow over `length` bytes. */
export function checkCounterRoom(iv: Buffer, counterBits: number, length: number): void {
  const mask = (1n << BigInt(counterBits)) - 1n;
  const start = BigInt(`0x${iv.toString('hex')}`) & mask;
  const blocks = BigInt(Math.ceil(length / 16));
  if (start + blocks > mask + 1n) throw new HsmError('CKR_DATA_LEN_RANGE', `${NAME}: data would wrap the ${counterBits}-bit counter`);
}

function run(key: MechKey, data: Buffer, params: ParsedMechParams): Buffer {
  const { iv, counterBits } = checkCtrParams(params);
  checkCounterRoom(iv, counterBits, data.length);
  const c = crypto.createCipheriv(aesName(key, 'ctr'), key.key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

export const aesCtrMechanisms: MechanismEntry[] = [
  {
    name: NAME, value: 0x1086, keyTypes: ['aes'], minKeyBits: 128, maxKeyBits: 256, fips: true,
    operations: ['encrypt', 'decrypt'],
    checkParams: (_op: MechOperation, params) => void checkCtrParams(params),
    encrypt: (key, data, params) => ({ data: run(key, data, params) }),
    decrypt: (key, data, params) => run(key, data, params),
  },
];
