// UntagResource.

import { K, kmsError } from '../errors.js';
import { keyResource, notPendingDeletion, requireKey, type Op } from './common.js';

export const UntagResource: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const keys = i['TagKeys'];
    if (!Array.isArray(keys) || keys.some((x) => typeof x !== 'string')) throw kmsError(K.validation, 'TagKeys must be a list of strings');
    notPendingDeletion(k);
    d.db.removeTags(k.keyId, keys as string[]);
    return {};
  },
});
