// Encrypt: up to 4 KiB under a symmetric key (a ciphertext blob bound to the encryption context)
// or an RSA key (RSAES-OAEP, no context).

import { K, kmsError } from '../errors.js';
import { rsaEncrypt, sealSymmetric } from '../crypto.js';
import { blob, context, keyResource, requireKey, str, type Op } from './common.js';

export const Encrypt: Op = (d) => ({
  readOnly: false,
  secretFields: ['Plaintext'],
  omitFields: ['CiphertextBlob'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const plaintext = blob(i, 'Plaintext', 1, 4096)!;
    const ectx = context(i);
    const alg = str(i, 'EncryptionAlgorithm', { oneOf: ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] });
    if (k.keySpec === 'SYMMETRIC_DEFAULT') {
      if (alg !== undefined && alg !== 'SYMMETRIC_DEFAULT') throw kmsError(K.invalidKeyUsage, `${alg} is not valid for ${k.arn}.`);
      return { CiphertextBlob: await sealSymmetric(d, k, plaintext, ectx, 'Encrypt'), KeyId: k.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    }
    if (ectx && Object.keys(ectx).length) throw kmsError(K.invalidKeyUsage, 'Asymmetric keys take no encryption context.');
    return { CiphertextBlob: await rsaEncrypt(d, k, plaintext, alg, 'Encrypt'), KeyId: k.arn, EncryptionAlgorithm: alg! };
  },
});
