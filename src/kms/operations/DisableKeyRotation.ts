// DisableKeyRotation.

import { keyResource, requireKey, type Op } from './common.js';
import { rotatable } from './rotation.js';

export const DisableKeyRotation: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    rotatable(k);
    d.db.updateKey(k.keyId, (x) => {
      const { rotation: _r, ...rest } = x;
      return rest;
    });
    return {};
  },
});
