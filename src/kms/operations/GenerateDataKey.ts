// GenerateDataKey and GenerateDataKeyWithoutPlaintext: random bytes from the key's own HSMs (the
// custom key store's cluster for its keys; through the pool of crypto.ts dataKeyBytes), returned
// in plaintext (or not) and encrypted under the KMS key with the encryption context.

import { K, kmsError } from '../errors.js';
import { dataKeyBytes, sealSymmetric } from '../crypto.js';
import { context, int, keyResource, requireKey, str, usable, type Deps, type In, type Op } from './common.js';
import type { AwsCallContext } from '../../aws/server.js';

async function dataKey(d: Deps, ctx: AwsCallContext, i: In, op: string): Promise<{ arn: string; plaintext: Buffer; blob: Buffer }> {
  const k = requireKey(d, ctx, i);
  const spec = str(i, 'KeySpec', { oneOf: ['AES_256', 'AES_128'] });
  const n = int(i, 'NumberOfBytes', 1, 1024);
  if ((spec === undefined) === (n === undefined)) throw kmsError(K.validation, 'Specify exactly one of KeySpec and NumberOfBytes.');
  const ectx = context(i);
  usable(d, k, 'ENCRYPT_DECRYPT', op);
  if (k.keySpec !== 'SYMMETRIC_DEFAULT') throw kmsError(K.invalidKeyUsage, `${op} needs a symmetric encryption key; ${k.arn} is ${k.keySpec}.`);
  const plaintext = await dataKeyBytes(d, n ?? (spec === 'AES_128' ? 16 : 32), k.customKeyStoreId);
  return { arn: k.arn, plaintext, blob: await sealSymmetric(d, k, plaintext, ectx, op) };
}

export const GenerateDataKey: Op = (d) => ({
  readOnly: false,
  secretFields: ['Plaintext'],
  omitFields: ['CiphertextBlob'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const r = await dataKey(d, ctx, i, 'GenerateDataKey');
    return { CiphertextBlob: r.blob, Plaintext: r.plaintext, KeyId: r.arn };
  },
});

export const GenerateDataKeyWithoutPlaintext: Op = (d) => ({
  readOnly: false,
  omitFields: ['CiphertextBlob'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const r = await dataKey(d, ctx, i, 'GenerateDataKeyWithoutPlaintext');
    r.plaintext.fill(0);
    return { CiphertextBlob: r.blob, KeyId: r.arn };
  },
});
