// VerifyMac: a wrong MAC is KMSInvalidMacException.

import { verifyMac } from '../crypto.js';
import { blob, keyResource, req, requireKey, type Op } from './common.js';

export const VerifyMac: Op = (d) => ({
  readOnly: false,
  secretFields: ['Message'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const message = blob(i, 'Message', 1, 4096)!;
    const tag = blob(i, 'Mac', 1, 64)!;
    const alg = req(i, 'MacAlgorithm', { oneOf: ['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'] });
    await verifyMac(d, k, message, alg, tag);
    return { KeyId: k.arn, MacValid: true, MacAlgorithm: alg };
  },
});
