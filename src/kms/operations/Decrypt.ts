// Decrypt: a symmetric blob names its key (KeyId optional, IncorrectKeyException if it disagrees);
// an RSA ciphertext needs KeyId and EncryptionAlgorithm.

import { K, kmsError } from '../errors.js';
import { openSymmetric, rsaDecrypt } from '../crypto.js';
import { parseBlob } from '../ciphertext.js';
import { blob, context, findKey, keyArn, requireKey, str, type Deps, type In, type Op } from './common.js';
import type { AwsCallContext } from '../../aws/server.js';

/** IAM resource of a Decrypt-like call: the key named in the request, else in the blob. */
export function blobKeyResource(d: Deps, keyField: string, blobField: string) {
  return (ctx: AwsCallContext, i: In): string[] => {
    const named = i[keyField];
    if (typeof named === 'string') {
      const k = findKey(d, ctx, named);
      if (k) return [k.arn];
    }
    try {
      const p = parseBlob(Buffer.from(String(i[blobField] ?? ''), 'base64'));
      return [findKey(d, ctx, p.keyId)?.arn ?? keyArn(ctx.region, ctx.identity.accountId, p.keyId)];
    } catch {
      return ['*'];
    }
  };
}

export async function decryptAny(d: Deps, ctx: AwsCallContext, i: In, keyField: string, blobField: string, ctxField: string, algField: string, op: string) {
  const ct = blob(i, blobField, 1, 6144)!;
  const ectx = context(i, ctxField);
  const alg = str(i, algField, { oneOf: ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] });
  const keyId = str(i, keyField, { min: 1, max: 2048 });
  if (alg !== undefined && alg !== 'SYMMETRIC_DEFAULT') {
    if (keyId === undefined) throw kmsError(K.validation, `${keyField} is required with ${alg}.`);
    const k = requireKey(d, ctx, i, keyField);
    if (!k.keySpec.startsWith('RSA_')) throw kmsError(K.invalidKeyUsage, `${alg} is not valid for ${k.arn}.`);
    return { key: k, plaintext: await rsaDecrypt(d, k, ct, alg, op), alg };
  }
  if (keyId !== undefined) {
    const k = findKey(d, ctx, keyId);
    if (k && k.keySpec !== 'SYMMETRIC_DEFAULT') throw kmsError(K.invalidKeyUsage, `${k.arn} is asymmetric: pass its EncryptionAlgorithm.`);
  }
  const r = await openSymmetric(d, ctx, ct, ectx, keyId, op);
  return { ...r, alg: 'SYMMETRIC_DEFAULT' };
}

export const Decrypt: Op = (d) => ({
  readOnly: false,
  secretFields: ['Plaintext'],
  omitFields: ['CiphertextBlob'],
  resources: blobKeyResource(d, 'KeyId', 'CiphertextBlob'),
  async handler(ctx, i) {
    const r = await decryptAny(d, ctx, i, 'KeyId', 'CiphertextBlob', 'EncryptionContext', 'EncryptionAlgorithm', 'Decrypt');
    return { KeyId: r.key.arn, Plaintext: r.plaintext, EncryptionAlgorithm: r.alg };
  },
});
