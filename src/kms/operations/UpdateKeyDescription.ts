// UpdateKeyDescription.

import { keyResource, notPendingDeletion, req, requireKey, type Op } from './common.js';

export const UpdateKeyDescription: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const description = req(i, 'Description', { max: 8192 });
    notPendingDeletion(k);
    d.db.updateKey(k.keyId, (x) => ({ ...x, description }));
    return {};
  },
});
