// GetKeyRotationStatus.

import { keyResource, requireKey, type Op } from './common.js';

export const GetKeyRotationStatus: Op = (d) => ({
  readOnly: true,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    return {
      KeyRotationEnabled: k.rotation !== undefined, KeyId: k.arn,
      ...(k.rotation ? { RotationPeriodInDays: k.rotation.periodDays, NextRotationDate: new Date(k.rotation.next) } : {}),
    };
  },
});
