// GenerateDataKeyPair(WithoutPlaintext), KMS store keys only: a fresh RSA or ECC pair made here,
// its private half (PKCS#8 DER) encrypted under the symmetric KMS key with the encryption context.
// Like KMS, the plaintext private key is handed to the caller and then forgotten.

import { generateKeyPairSync } from 'node:crypto';
import { K, kmsError } from '../errors.js';
import { sealSymmetric } from '../crypto.js';
import { context, keyResource, req, requireKey, type Deps, type In, type Op } from './common.js';
import type { AwsCallContext } from '../../aws/server.js';

const PAIRS = ['RSA_2048', 'RSA_3072', 'RSA_4096', 'ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521'];
const CURVES: Record<string, string> = { ECC_NIST_P256: 'prime256v1', ECC_NIST_P384: 'secp384r1', ECC_NIST_P521: 'secp521r1' };

async function pair(d: Deps, ctx: AwsCallContext, i: In, op: string) {
  const k = requireKey(d, ctx, i);
  const spec = req(i, 'KeyPairSpec', { oneOf: PAIRS });
  const ectx = context(i);
  if (k.customKeyStoreId) throw kmsError(K.unsupported, `${op} is not supported for keys in a custom key store.`);
  const kp = spec.startsWith('RSA_')
    ? generateKeyPairSync('rsa', { modulusLength: Number(spec.slice(4)) })
    : generateKeyPairSync('ec', { namedCurve: CURVES[spec]! });
  const priv = kp.privateKey.export({ format: 'der', type: 'pkcs8' });
  const pub = kp.publicKey.export({ format: 'der', type: 'spki' });
  return { k, spec, priv, pub, blob: await sealSymmetric(d, k, priv, ectx, op) };
}

export const GenerateDataKeyPair: Op = (d) => ({
  readOnly: false,
  secretFields: ['PrivateKeyPlaintext'],
  omitFields: ['PrivateKeyCiphertextBlob', 'PublicKey'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const r = await pair(d, ctx, i, 'GenerateDataKeyPair');
    return { PrivateKeyCiphertextBlob: r.blob, PrivateKeyPlaintext: r.priv, PublicKey: r.pub, KeyId: r.k.arn, KeyPairSpec: r.spec };
  },
});

export const GenerateDataKeyPairWithoutPlaintext: Op = (d) => ({
  readOnly: false,
  omitFields: ['PrivateKeyCiphertextBlob', 'PublicKey'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const r = await pair(d, ctx, i, 'GenerateDataKeyPairWithoutPlaintext');
    r.priv.fill(0);
    return { PrivateKeyCiphertextBlob: r.blob, PublicKey: r.pub, KeyId: r.k.arn, KeyPairSpec: r.spec };
  },
});
