// PutKeyPolicy: replaces a key's policy. The document must parse under key-policy.ts's rules and
// pass the lockout safety check (policies.ts) unless BypassPolicyLockoutSafetyCheck; a refused
// document leaves the old policy in force. authorize.ts evaluates the policy on every call.

import { K, kmsError } from '../errors.js';
import { bool, keyResource, notPendingDeletion, req, requireKey, str, type Op } from './common.js';
import { acceptKeyPolicy } from './policies.js';

export const PutKeyPolicy: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const policy = req(i, 'Policy', { min: 1, max: 32768 });
    const name = str(i, 'PolicyName') ?? 'default';
    if (name !== 'default') throw kmsError(K.validation, 'PolicyName must be default.');
    const bypass = bool(i, 'BypassPolicyLockoutSafetyCheck') ?? false;
    acceptKeyPolicy(ctx, policy, k.arn, bypass, d.principalExists);
    notPendingDeletion(k);
    d.db.updateKey(k.keyId, (x) => ({ ...x, policy }));
    return {};
  },
});
