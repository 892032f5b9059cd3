// Accepting a key policy document (CreateKey, PutKeyPolicy): parsed with key-policy.ts's rules
// (MalformedPolicyDocumentException naming the fault), its principals checked against IAM (an
// account or user that does not exist is an invalid principal, as in AWS; roles do not exist in
// Strongroom), then AWS's lockout safety check: the new
// policy must still let the caller call PutKeyPolicy on the key (itself or through its account),
// unless BypassPolicyLockoutSafetyCheck is true. Evaluates nothing else and changes nothing.

import type { AwsCallContext } from '../../aws/server.js';
import { K, kmsError } from '../errors.js';
import { evaluateKeyPolicy, MalformedKeyPolicy, parseKeyPolicy, requestContext, type KeyPolicy } from '../key-policy.js';

export function acceptKeyPolicy(ctx: AwsCallContext, text: string, keyArn: string, bypassLockoutCheck: boolean, principalExists?: (arn: string) => boolean): KeyPolicy {
  let p: KeyPolicy;
  try {
    p = parseKeyPolicy(text);
  } catch (e) {
    if (e instanceof MalformedKeyPolicy) throw kmsError(K.malformedPolicy, e.message);
    throw e;
  }
  if (principalExists) {
    for (const s of p.statements) {
      const missing = s.principals.find((a) => !principalExists(a));
      if (missing) throw kmsError(K.malformedPolicy, `Policy contains a statement with one or more invalid principals: ${missing} does not exist.`);
    }
  }
  if (bypassLockoutCheck) return p;
  const id = ctx.identity;
  const v = evaluateKeyPolicy(p, {
    principalArn: id.arn, accountId: id.accountId, action: 'kms:PutKeyPolicy', keyArn,
    context: requestContext({ arn: id.arn, accountId: id.accountId, userName: id.type === 'IAMUser' ? id.userName : undefined }),
  });
  if (v.deny || !(v.direct || v.account)) {
    throw kmsError(K.malformedPolicy, `The new key policy will not allow you to update the key policy in the future (it does not allow ${id.arn} or its account kms:PutKeyPolicy on ${keyArn}); set BypassPolicyLockoutSafetyCheck to apply it anyway.`);
  }
  return p;
}
