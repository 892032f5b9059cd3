// ListKeyPolicies: always ["default"].

import { keyResource, requireKey, type Op } from './common.js';

export const ListKeyPolicies: Op = (d) => ({
  readOnly: true,
  resources: keyResource(d),
  async handler(ctx, i) {
    requireKey(d, ctx, i);
    return { PolicyNames: ['default'], Truncated: false };
  },
});
