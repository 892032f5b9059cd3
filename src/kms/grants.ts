// Grants: which operations a grant may list for which kind of key, grant tokens in requests, and
// whether a key's grants allow one call. A grant allows its grantee principal (an IAM user or role
// ARN, or the account root, through which the account's IAM policies delegate) the listed
// operations on its key, with no key-policy or IAM permission; an explicit Deny in the key policy
// or IAM still wins (authorize.ts asks here only after those). Encryption-context constraints
// apply to the operations that take an encryption context (keys case-insensitive, values not); a
// grantee creating a grant through a grant may only pass on a subset of its operations under an
// equally strict or stricter constraint. Strongroom is strongly consistent: a grant is effective
// the moment CreateGrant returns, so tokens are only checked for shape and origin.

import type { AwsCallContext } from '../aws/server.js';
import type { GrantConstraintsRow, GrantRow, KeyRow, KmsDb } from './db.js';
import { K, kmsError, validation } from './errors.js';

export const GRANT_OPERATIONS = [
  'Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'Sign', 'Verify',
  'GetPublicKey', 'CreateGrant', 'RetireGrant', 'DescribeKey', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext',
  'GenerateMac', 'VerifyMac', 'DeriveSharedSecret',
] as const;

/** Operations whose requests carry an encryption context (constraints apply to these only). */
const WITH_CONTEXT = new Set(['Decrypt', 'Encrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'ReEncryptFrom', 'ReEncryptTo', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext']);
const ANY_KEY = ['CreateGrant', 'RetireGrant', 'DescribeKey'];

/** The operations a grant on this key may list (AWS refuses the others). */
export function grantableOperations(k: KeyRow): string[] {
  if (k.keyUsage === 'GENERATE_VERIFY_MAC') return [...ANY_KEY, 'GenerateMac', 'VerifyMac'];
  if (k.keyUsage === 'SIGN_VERIFY') return [...ANY_KEY, 'Sign', 'Verify', 'GetPublicKey'];
  if (k.keySpec === 'SYMMETRIC_DEFAULT') return [...ANY_KEY, ...WITH_CONTEXT];
  return [...ANY_KEY, 'Encrypt', 'Decrypt', 'ReEncryptFrom', 'ReEncryptTo', 'GetPublicKey'];
}

export const MAX_GRANT_TOKEN = 8192;

/** Checks a request's GrantTokens: at most 10, each one this KMS issued (InvalidGrantTokenException). */
export function checkGrantTokens(db: KmsDb, v: unknown): void {
  if (v === undefined || v === null) return;
  if (!Array.isArray(v) || v.length > 10) throw validation('GrantTokens must be a list of at most 10 grant tokens.');
  for (const t of v) checkGrantToken(db, t, 'GrantTokens');
}

/** The grant id of one token (shape checked: ValidationException; origin: InvalidGrantTokenException). */
export function checkGrantToken(db: KmsDb, t: unknown, field = 'GrantToken'): string {
  if (typeof t !== 'string' || t.length < 1 || t.length > MAX_GRANT_TOKEN) throw validation(`${field} must hold strings of 1 to ${MAX_GRANT_TOKEN} characters.`);
  const id = db.grantIdOfToken(t);
  if (!id) throw kmsError(K.invalidGrantToken, 'The grant token is not valid.');
  return id;
}

function lowerKeys(m: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(m)) out.set(k.toLowerCase(), v);
  return out;
}

/** Does a request's encryption context satisfy a grant's constraints? */
export function constraintsHold(c: GrantConstraintsRow | undefined, ectx: Record<string, string> | undefined): boolean {
  if (!c) return true;
  const req = lowerKeys(ectx ?? {});
  if (c.EncryptionContextEquals) {
    const want = lowerKeys(c.EncryptionContextEquals);
    if (want.size !== req.size) return false;
    for (const [k, v] of want) if (req.get(k) !== v) return false;
  }
  if (c.EncryptionContextSubset) {
    for (const [k, v] of lowerKeys(c.EncryptionContextSubset)) if (req.get(k) !== v) return false;
  }
  return true;
}

/** Is constraint `child` at least as strict as `parent` (every context it allows, parent allows)? */
export function atLeastAsStrict(child: GrantConstraintsRow | undefined, parent: GrantConstraintsRow | undefined): boolean {
  if (!parent) return true;
  if (!child) return false;
  if (child.EncryptionContextEquals) return constraintsHold(parent, child.EncryptionContextEquals);
  if (parent.EncryptionContextEquals) return false; // a subset constraint admits contexts an equals one does not
  const have = lowerKeys(child.EncryptionContextSubset ?? {});
  for (const [k, v] of lowerKeys(parent.EncryptionContextSubset ?? {})) if (have.get(k) !== v) return false;
  return true;
}

/** What a CreateGrant request asks to pass on (for a grant allowing CreateGrant). */
export interface ChildGrant {
  operations: string[];
  constraints?: GrantConstraintsRow | undefined;
}

/**
 * Whether one of the key's grants allows `action` (kms:<Operation>) to the caller. `iamAllows`
 * says whether IAM allows the caller the action on the key (for grants to the account root).
 */
export function grantAllows(db: KmsDb, ctx: AwsCallContext, k: KeyRow, action: string, ectx: Record<string, string> | undefined, iamAllows: boolean, child?: ChildGrant): boolean {
  const op = action.slice(action.indexOf(':') + 1);
  const root = `arn:aws:iam::${ctx.identity.accountId}:root`;
  const candidates = [...db.grants(k.keyId, ctx.identity.arn), ...(iamAllows && ctx.identity.arn !== root ? db.grants(k.keyId, root) : [])];
  return candidates.some((g) => grantCovers(g, op, ectx, child));
}

export function grantCovers(g: GrantRow, op: string, ectx: Record<string, string> | undefined, child?: ChildGrant): boolean {
  if (!g.operations.includes(op)) return false;
  if (op === 'CreateGrant') {
    if (!child) return false;
    return child.operations.every((o) => g.operations.includes(o)) && atLeastAsStrict(child.constraints, g.constraints);
  }
  return !WITH_CONTEXT.has(op) || constraintsHold(g.constraints, ectx);
}
