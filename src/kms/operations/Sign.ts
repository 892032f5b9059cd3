// Sign: RSASSA-PSS, RSASSA-PKCS1-v1_5 or ECDSA inside the HSM; RAW messages are hashed here.

import { sign } from '../crypto.js';
import { blob, keyResource, req, requireKey, str, type Op } from './common.js';

export const Sign: Op = (d) => ({
  readOnly: false,
  secretFields: ['Message'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const message = blob(i, 'Message', 1, 4096)!;
    const type = str(i, 'MessageType', { oneOf: ['RAW', 'DIGEST', 'EXTERNAL_MU'] }) ?? 'RAW';
    const alg = req(i, 'SigningAlgorithm');
    return { KeyId: k.arn, Signature: await sign(d, k, message, type, alg), SigningAlgorithm: alg };
  },
});
