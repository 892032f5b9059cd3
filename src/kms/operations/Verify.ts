// Verify: inside the HSM with the public half; a bad signature is KMSInvalidSignatureException.

import { verify } from '../crypto.js';
import { blob, keyResource, req, requireKey, str, type Op } from './common.js';

export const Verify: Op = (d) => ({
  readOnly: false,
  secretFields: ['Message'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const message = blob(i, 'Message', 1, 4096)!;
    const signature = blob(i, 'Signature', 1, 6144)!;
    const type = str(i, 'MessageType', { oneOf: ['RAW', 'DIGEST', 'EXTERNAL_MU'] }) ?? 'RAW';
    const alg = req(i, 'SigningAlgorithm');
    await verify(d, k, message, type, alg, signature);
    return { KeyId: k.arn, SignatureValid: true, SigningAlgorithm: alg };
  },
});
