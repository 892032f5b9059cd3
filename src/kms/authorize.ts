// KMS's refinement of IAM's decision (the `authorize` hook of the kms AwsService), as AWS KMS
// decides a request on a key: denied if IAM or the key policy explicitly denies; else allowed if
// the key policy allows the caller itself, or allows the caller's account and IAM allows the
// caller, or a grant allows it (grants.ts). RetireGrant is decided by the grant alone (its
// retiring principal, its grantee if it lists RetireGrant, or the account: the root or an IAM
// user IAM allows kms:RetireGrant). Calls on no key (CreateKey, ListKeys, GenerateRandom,
// ListAliases, ListRetirableGrants, custom key stores) keep IAM's decision. GrantTokens in any
// request must be tokens this KMS issued. A key whose stored policy cannot be parsed
// (written before policies were evaluated) is closed to all but its account's root, which may
// still read and replace the policy. Never reads key material.

import type { AwsAuthorization, AwsAuthorizeRequest, AwsCallContext } from '../aws/server.js';
import type { GrantConstraintsRow, KeyRow } from './db.js';
import { evaluateKeyPolicy, parseKeyPolicy, requestContext, type KeyPolicy } from './key-policy.js';
import { checkGrantToken, checkGrantTokens, grantAllows, type ChildGrant } from './grants.js';
import { context as contextField, findKey, type Deps, type In } from './operations/common.js';

/** One key (or would-be key) a call acts on, with the action and encryption context checked on it. */
interface Access {
  resource: string;
  action: string;
  ectx?: Record<string, string> | undefined;
}

const KEY_ARN_RE = /^arn:aws:kms:[^:]*:(\d{12}):key\/([0-9a-f-]{36})$/;

const parsed = new Map<string, KeyPolicy | null>();

/** The key's parsed policy (cached by text), or null if the stored text is not understood. */
export function policyOf(k: KeyRow): KeyPolicy | null {
  let p = parsed.get(k.policy);
  if (p === undefined) {
    try {
      p = parseKeyPolicy(k.policy);
    } catch {
      p = null;
    }
    if (parsed.size >= 1000) parsed.clear();
    parsed.set(k.policy, p);
  }
  return p;
}

function keyOf(d: Deps, ctx: AwsCallContext, resource: string): KeyRow | undefined {
  const m = KEY_ARN_RE.exec(resource);
  if (!m || m[1] !== ctx.identity.accountId) return undefined;
  const k = d.db.key(m[2]!);
  return k && k.accountId === ctx.identity.accountId && k.arn === resource ? k : undefined;
}

function ectxOf(i: In, field: string): Record<string, string> | undefined {
  try {
    return contextField(i, field);
  } catch {
    return undefined; // the handler answers the ValidationException
  }
}

function accesses(r: AwsAuthorizeRequest): Access[] {
  const i = r.input;
  if (r.operation === 'ReEncrypt') {
    // AWS checks kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination:
    // ReEncrypt's resources() gives the source (from SourceKeyId or the blob), then the destination.
    const [src, ...dst] = r.resources;
    return [
      { resource: src ?? '*', action: 'kms:ReEncryptFrom', ectx: ectxOf(i, 'SourceEncryptionContext') },
      ...dst.map((resource) => ({ resource, action: 'kms:ReEncryptTo', ectx: ectxOf(i, 'DestinationEncryptionContext') })),
    ];
  }
  const ectx = ectxOf(i, 'EncryptionContext');
  return r.resources.map((resource) => ({ resource, action: r.action, ectx }));
}

function denied(resource: string, action: string, explicitDeny: boolean, policyType: 'identity-based' | 'resource-based'): AwsAuthorization {
  return { allowed: false, explicitDeny, resource, action, policyType };
}

/** A CreateGrant request's grant, read loosely (the handler validates it): for conditions and grants. */
function childGrant(i: In): ChildGrant & { grantee?: string; retiring?: string; constraintType?: string } {
  const ops = Array.isArray(i['Operations']) ? (i['Operations'] as unknown[]).filter((o): o is string => typeof o === 'string') : [];
  const c = i['Constraints'];
  let constraints: GrantConstraintsRow | undefined;
  let constraintType: string | undefined;
  if (typeof c === 'object' && c !== null && !Array.isArray(c)) {
    constraints = {};
    for (const f of ['EncryptionContextSubset', 'EncryptionContextEquals'] as const) {
      const m = (c as Record<string, unknown>)[f];
      if (typeof m === 'object' && m !== null && !Array.isArray(m)) {
        constraints[f] = m as Record<string, string>;
        constraintType = f;
      }
    }
  }
  return {
    operations: ops, constraints,
    ...(typeof i['GranteePrincipal'] === 'string' ? { grantee: i['GranteePrincipal'] } : {}),
    ...(typeof i['RetiringPrincipal'] === 'string' ? { retiring: i['RetiringPrincipal'] } : {}),
    ...(constraintType !== undefined ? { constraintType } : {}),
  };
}

/** The decision on one key the caller's account holds. */
export function decideOnKey(d: Deps, ctx: AwsCallContext, k: KeyRow, action: string, ectx: Record<string, string> | undefined, iam: AwsAuthorization, input: In = {}): AwsAuthorization {
  if (!iam.allowed && iam.explicitDeny) return { ...iam, resource: k.arn, action };
  const policy = policyOf(k);
  if (!policy) {
    if (ctx.identity.type === 'Root' && (action === 'kms:PutKeyPolicy' || action === 'kms:GetKeyPolicy')) return { allowed: true };
    return denied(k.arn, action, false, 'resource-based');
  }
  const id = ctx.identity;
  const child = action === 'kms:CreateGrant' ? childGrant(input) : undefined;
  const v = evaluateKeyPolicy(policy, {
    principalArn: id.arn, accountId: id.accountId, action, keyArn: k.arn,
    context: requestContext({ arn: id.arn, accountId: id.accountId, userName: id.type === 'IAMUser' ? id.userName : undefined }, ectx, child),
  });
  if (v.deny) return denied(k.arn, action, true, 'resource-based');
  if (v.direct || (v.account && iam.allowed)) return { allowed: true };
  if (grantAllows(d.db, ctx, k, action, ectx, iam.allowed, child)) return { allowed: true };
  return denied(k.arn, action, false, v.account ? 'identity-based' : 'resource-based');
}

/** RetireGrant: the grant decides. An unknown grant is left to the handler (NotFoundException). */
function decideRetire(d: Deps, r: AwsAuthorizeRequest): AwsAuthorization {
  const i = r.input;
  let grantId: string | undefined;
  if (i['GrantToken'] !== undefined) grantId = checkGrantToken(d.db, i['GrantToken']);
  else if (typeof i['GrantId'] === 'string') grantId = i['GrantId'];
  const g = grantId !== undefined ? d.db.grant(grantId) : undefined;
  const k = g ? d.db.key(g.keyId) : undefined;
  if (!g || !k || g.accountId !== r.ctx.identity.accountId) return { allowed: true };
  if (typeof i['KeyId'] === 'string' && findKey(d, r.ctx, i['KeyId'])?.keyId !== k.keyId) return { allowed: true };
  const id = r.ctx.identity;
  const me = id.arn.toLowerCase();
  if (g.retiringPrincipal?.toLowerCase() === me) return { allowed: true };
  if (g.granteePrincipal.toLowerCase() === me && g.operations.includes('RetireGrant')) return { allowed: true };
  const iam = r.iamFor('kms:RetireGrant', [k.arn]);
  if (iam.allowed) return iam; // the account: its root, or a user its IAM policies allow
  return iam.explicitDeny ? { ...iam, resource: k.arn } : denied(k.arn, 'kms:RetireGrant', false, 'resource-based');
}

/** The kms AwsService's authorize hook. */
export function kmsAuthorize(d: Deps) {
  return (r: AwsAuthorizeRequest): AwsAuthorization => {
    checkGrantTokens(d.db, r.input['GrantTokens']);
    if (r.operation === 'RetireGrant') return decideRetire(d, r);
    const list = accesses(r);
    let implicit: AwsAuthorization | undefined;
    for (const a of list) {
      const iam = a.action === r.action && r.resources.length === 1 && r.resources[0] === a.resource ? r.iam : r.iamFor(a.action, [a.resource]);
      const k = keyOf(d, r.ctx, a.resource);
      const decision = k ? decideOnKey(d, r.ctx, k, a.action, a.ectx, iam, r.input) : iam.allowed ? iam : { ...iam, action: a.action };
      if (decision.allowed) continue;
      if (decision.explicitDeny) return decision;
      implicit ??= decision;
    }
    return implicit ?? (list.length ? { allowed: true } : r.iam);
  };
}
