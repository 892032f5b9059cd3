// ListResourceTags.

import { keyResource, listed, page, requireKey, type Op } from './common.js';

export const ListResourceTags: Op = (d) => ({
  readOnly: true,
  resources: keyResource(d),
  handler: async (ctx, i) => listed('Tags', page(d.db.tags(requireKey(d, ctx, i).keyId), i, 50, 50)),
});
