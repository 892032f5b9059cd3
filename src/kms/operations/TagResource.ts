// TagResource.

import { K, kmsError } from '../errors.js';
import { keyResource, notPendingDeletion, requireKey, type Op } from './common.js';
import { tagList } from './tags.js';

export const TagResource: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const tags = tagList(i, 'Tags');
    if (!tags) throw kmsError(K.validation, 'Tags is required');
    notPendingDeletion(k);
    d.db.setTags(k.keyId, tags);
    return {};
  },
});
