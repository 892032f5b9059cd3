// RotateKeyOnDemand: new key material now (the key must be Enabled).

import { K, kmsError } from '../errors.js';
import { keyResource, requireKey, type Op } from './common.js';
import { rotatable, rotate } from './rotation.js';

export const RotateKeyOnDemand: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    rotatable(k);
    if (k.state === 'Disabled') throw kmsError(K.disabled, `${k.arn} is disabled.`);
    await rotate(d, k, ctx.now.getTime());
    return { KeyId: k.arn };
  },
});
