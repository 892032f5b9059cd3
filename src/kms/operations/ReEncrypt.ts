// ReEncrypt: decrypt under the source key and context, encrypt under the destination key and
// context, without the plaintext leaving KMS.

import { K, kmsError } from '../errors.js';
import { rsaEncrypt, sealSymmetric } from '../crypto.js';
import { context, requireKey, str, type Op } from './common.js';
import { blobKeyResource, decryptAny } from './Decrypt.js';

export const ReEncrypt: Op = (d) => ({
  readOnly: false,
  omitFields: ['CiphertextBlob'],
  async resources(ctx, i) {
    const src = blobKeyResource(d, 'SourceKeyId', 'CiphertextBlob')(ctx, i);
    const dst = typeof i['DestinationKeyId'] === 'string' ? [requireKey(d, ctx, i, 'DestinationKeyId').arn] : [];
    return [...src, ...dst];
  },
  async handler(ctx, i) {
    const dst = requireKey(d, ctx, i, 'DestinationKeyId');
    const dctx = context(i, 'DestinationEncryptionContext');
    const dalg = str(i, 'DestinationEncryptionAlgorithm', { oneOf: ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] });
    const src = await decryptAny(d, ctx, i, 'SourceKeyId', 'CiphertextBlob', 'SourceEncryptionContext', 'SourceEncryptionAlgorithm', 'ReEncrypt');
    try {
      let out: Buffer;
      if (dst.keySpec === 'SYMMETRIC_DEFAULT') {
        if (dalg !== undefined && dalg !== 'SYMMETRIC_DEFAULT') throw kmsError(K.invalidKeyUsage, `${dalg} is not valid for ${dst.arn}.`);
        out = await sealSymmetric(d, dst, src.plaintext, dctx, 'ReEncrypt');
      } else {
        out = await rsaEncrypt(d, dst, src.plaintext, dalg, 'ReEncrypt');
      }
      return {
        CiphertextBlob: out, SourceKeyId: src.key.arn, KeyId: dst.arn,
        SourceEncryptionAlgorithm: src.alg, DestinationEncryptionAlgorithm: dalg ?? 'SYMMETRIC_DEFAULT',
      };
    } finally {
      src.plaintext.fill(0);
    }
  },
});
