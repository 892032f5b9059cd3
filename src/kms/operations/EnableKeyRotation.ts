// EnableKeyRotation: automatic rotation every RotationPeriodInDays (90–2560, default 365).

import { int, keyResource, requireKey, type Op } from './common.js';
import { rotatable } from './rotation.js';

export const EnableKeyRotation: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const periodDays = int(i, 'RotationPeriodInDays', 90, 2560) ?? 365;
    rotatable(k);
    d.db.updateKey(k.keyId, (x) => ({ ...x, rotation: { periodDays, next: ctx.now.getTime() + periodDays * d.dayMs } }));
    return {};
  },
});
