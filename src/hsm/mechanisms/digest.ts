// The digest family: CKM_SHA_1 and CKM_SHA224/256/384/512 on node:crypto hashes.
// Must never take a key or parameters, and never keep the data it hashes.

import crypto from 'node:crypto';
import type { ParsedMechParams } from '../../protocol/operations.js';
import { onlyParams, type HashName } from './common.js';
import type { MechanismEntry, MechOperation } from './types.js';

function digestEntry(name: string, value: number, hash: HashName): MechanismEntry {
  return {
    name, value, keyTypes: [], minKeyBits: 0, maxKeyBits: 0, fips: true, operations: ['digest'],
    checkParams(_op: MechOperation, params: ParsedMechParams): void {
      onlyParams(name, params, []);
    },
    digest: (data) => crypto.createHash(hash).update(data).digest(),
  };
}

export const digestMechanisms: MechanismEntry[] = [
  digestEntry('CKM_SHA_1', 0x220, 'sha1'),
  digestEntry('CKM_SHA224', 0x255, 'sha224'),
  digestEntry('CKM_SHA256', 0x250, 'sha256'),
  digestEntry('CKM_SHA384', 0x260, 'sha384'),
  digestEntry('CKM_SHA512', 0x270, 'sha512'),
];
