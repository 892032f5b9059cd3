// PutResourcePolicy: shares a backup with other accounts. Only the owner's READY backups take a
// policy (1–20000 characters of JSON with Version and Statement; see backups/sharing.ts); it
// replaces any earlier one. The SDK at 3.332 has no such operation: hand-typed shapes.

import { invalid } from '../errors.js';
import { MAX_RESOURCE_POLICY_CHARS, MalformedResourcePolicy, parseResourcePolicy } from '../backups/sharing.js';
import { obj, policyBackup, policyResourceArn, req, type Op } from './common.js';

export interface PutResourcePolicyRequest {
  ResourceArn?: string;
  Policy?: string;
}
export interface PutResourcePolicyResponse {
  ResourceArn?: string;
  Policy?: string;
}

export const PutResourcePolicy: Op<PutResourcePolicyRequest, PutResourcePolicyResponse> = (deps) => ({
  readOnly: false,
  resources: policyResourceArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const resourceArn = req(input, 'ResourceArn', { max: 256 });
    const policy = req(input, 'Policy', { min: 1, max: MAX_RESOURCE_POLICY_CHARS });
    const b = policyBackup(deps, ctx, resourceArn);
    if (b.state !== 'READY') throw invalid(`backup ${b.backupId} is ${b.state}; only a READY backup can be shared`);
    try {
      parseResourcePolicy(policy);
    } catch (e) {
      if (e instanceof MalformedResourcePolicy) throw invalid(`Policy: ${e.message}`);
      throw e;
    }
    deps.state.putResourcePolicy(b.backupId, b.accountId, policy);
    return { ResourceArn: resourceArn, Policy: policy };
  },
});
