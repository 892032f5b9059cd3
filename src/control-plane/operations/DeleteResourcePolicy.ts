// DeleteResourcePolicy: stops sharing a backup; answers with the policy it removed (if any).
// Clusters already restored from it by other accounts keep what they restored.
// The SDK at 3.332 has no such operation: hand-typed shapes.

import { obj, policyBackup, policyResourceArn, req, type Op } from './common.js';

export interface DeleteResourcePolicyRequest {
  ResourceArn?: string;
}
export interface DeleteResourcePolicyResponse {
  ResourceArn?: string;
  Policy?: string;
}

export const DeleteResourcePolicy: Op<DeleteResourcePolicyRequest, DeleteResourcePolicyResponse> = (deps) => ({
  readOnly: false,
  resources: policyResourceArn,
  handler: async (ctx, raw) => {
    const resourceArn = req(obj(raw), 'ResourceArn', { max: 256 });
    const b = policyBackup(deps, ctx, resourceArn);
    const policy = deps.state.resourcePolicy(b.backupId);
    deps.state.deleteResourcePolicy(b.backupId);
    return { ResourceArn: resourceArn, ...(policy !== undefined ? { Policy: policy } : {}) };
  },
});
