// DisableKey: Enabled → Disabled; the key then refuses every cryptographic operation.

import { keyResource, notPendingDeletion, requireKey, type Op } from './common.js';

export const DisableKey: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    notPendingDeletion(k);
    d.db.updateKey(k.keyId, (x) => ({ ...x, state: 'Disabled' }));
    return {};
  },
});
