// GetPublicKey: the SPKI (DER) of an asymmetric key, with its usage and algorithms.

import { K, kmsError } from '../errors.js';
import { encryptionAlgorithms, keyResource, requireKey, SIGNING_ALGS, type Op } from './common.js';

export const GetPublicKey: Op = (d) => ({
  readOnly: true,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    if (!k.publicKey) throw kmsError(K.unsupported, `${k.arn} is not an asymmetric key.`);
    if (k.state === 'Disabled') throw kmsError(K.disabled, `${k.arn} is disabled.`);
    if (k.state !== 'Enabled') throw kmsError(K.invalidState, `${k.arn} is ${k.state}.`);
    return {
      KeyId: k.arn, PublicKey: Buffer.from(k.publicKey, 'base64'), CustomerMasterKeySpec: k.keySpec, KeySpec: k.keySpec, KeyUsage: k.keyUsage,
      ...(k.keyUsage === 'SIGN_VERIFY' ? { SigningAlgorithms: SIGNING_ALGS[k.keySpec] } : { EncryptionAlgorithms: encryptionAlgorithms(k) }),
    };
  },
});
