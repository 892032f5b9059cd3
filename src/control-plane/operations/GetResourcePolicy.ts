// GetResourcePolicy: the policy the owner put on a backup (none: an empty answer).
// The SDK at 3.332 has no such operation: hand-typed shapes.

import { obj, policyBackup, policyResourceArn, req, type Op } from './common.js';

export interface GetResourcePolicyRequest {
  ResourceArn?: string;
}
export interface GetResourcePolicyResponse {
  Policy?: string;
}

export const GetResourcePolicy: Op<GetResourcePolicyRequest, GetResourcePolicyResponse> = (deps) => ({
  readOnly: true,
  resources: policyResourceArn,
  handler: async (ctx, raw) => {
    const b = policyBackup(deps, ctx, req(obj(raw), 'ResourceArn', { max: 256 }));
    const policy = deps.state.resourcePolicy(b.backupId);
    return policy === undefined ? {} : { Policy: policy };
  },
});
