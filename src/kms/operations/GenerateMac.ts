// GenerateMac: HMAC inside the HSM with an HMAC_* key.

import { mac } from '../crypto.js';
import { blob, keyResource, req, requireKey, type Op } from './common.js';

export const GenerateMac: Op = (d) => ({
  readOnly: false,
  secretFields: ['Message'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const message = blob(i, 'Message', 1, 4096)!;
    const alg = req(i, 'MacAlgorithm', { oneOf: ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] });
    return { KeyId: k.arn, Mac: await mac(d, k, message, alg), MacAlgorithm: alg };
  },
});
