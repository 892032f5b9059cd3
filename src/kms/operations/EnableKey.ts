// EnableKey: Disabled → Enabled (not while pending deletion).

import { keyResource, notPendingDeletion, requireKey, type Op } from './common.js';

export const EnableKey: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    notPendingDeletion(k);
    d.db.updateKey(k.keyId, (x) => ({ ...x, state: 'Enabled' }));
    return {};
  },
});
