// ListKeyRotations: one entry per rotation (every version after the first).

import { keyResource, listed, page, requireKey, type Op } from './common.js';

export const ListKeyRotations: Op = (d) => ({
  readOnly: true,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const list = k.versions.slice(1).map((v) => ({ KeyId: k.arn, RotationDate: new Date(v.createdAt), RotationType: 'ON_DEMAND' }));
    return listed('Rotations', page(list, i));
  },
});
