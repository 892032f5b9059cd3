// Key rotation shared by the rotation operations and the composition root's sweep: new AES-256
// material in KMS's own HSMs (label = key ARN), appended as the next version. Older versions stay,
// so ciphertexts made under them still decrypt (their header names the version).

import type { KeyRow } from '../db.js';
import { K, fromHsm, kmsError } from '../errors.js';
import { generateMaterial } from './CreateKey.js';
import { notPendingDeletion, type Deps } from './common.js';

export function rotatable(k: KeyRow): void {
  notPendingDeletion(k);
  if (k.keySpec !== 'SYMMETRIC_DEFAULT') throw kmsError(K.unsupported, `${k.arn} is not a symmetric encryption key; only those rotate.`);
  if (k.customKeyStoreId) throw kmsError(K.unsupported, `${k.arn} is in a custom key store, whose keys do not rotate.`);
}

export async function rotate(d: Deps, k: KeyRow, now: number): Promise<KeyRow> {
  let ref: string;
  try {
    ref = (await generateMaterial(d.own, k.keySpec, k.keyUsage, k.arn)).ref;
  } catch (e) {
    throw fromHsm(e, `rotating ${k.arn}`);
  }
  return d.db.updateKey(k.keyId, (x) => {
    const v = Math.max(...x.versions.map((y) => y.v)) + 1;
    return {
      ...x, versions: [...x.versions, { v, ref, createdAt: now }], lastRotation: now,
      ...(x.rotation ? { rotation: { ...x.rotation, next: now + x.rotation.periodDays * d.dayMs } } : {}),
    };
  });
}
