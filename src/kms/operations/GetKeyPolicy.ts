// GetKeyPolicy: the key's policy document (the default key policy unless PutKeyPolicy replaced it).

import { K, kmsError } from '../errors.js';
import { keyResource, requireKey, str, type Op } from './common.js';

export const GetKeyPolicy: Op = (d) => ({
  readOnly: true,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const name = str(i, 'PolicyName') ?? 'default';
    if (name !== 'default') throw kmsError(K.notFound, `Policy ${name} does not exist; the only policy name is default.`);
    return { Policy: k.policy, PolicyName: 'default' };
  },
});
