// Request fields and reply shapes shared by the grant operations: principals (IAM ARNs of the
// key's account), grant ids, Operations, Constraints (at most 8 pairs, values of at most 384
// characters), Name, and the GrantListEntry of ListGrants and ListRetirableGrants.

import type { GrantListEntry } from '@aws-sdk/client-kms';
import type { AwsCallContext } from '../../aws/server.js';
import type { GrantConstraintsRow, GrantRow, KeyRow } from '../db.js';
import { K, kmsError, validation } from '../errors.js';
import { GRANT_OPERATIONS, grantableOperations } from '../grants.js';
import { bool, req, str, type In } from './common.js';

const PRINCIPAL_RE = /^arn:aws:iam::(\d{12}):(root|(user|role)\/[\w+=,.@/-]+)$/;
const GRANT_ID_RE = /^[0-9a-f]{64}$/;

/** A principal field: an IAM ARN of the caller's account (Strongroom keys never cross accounts). */
export function principal(ctx: AwsCallContext, i: In, field: string, required: boolean): string | undefined {
  const v = required ? req(i, field, { min: 1, max: 256 }) : str(i, field, { min: 1, max: 256 });
  if (v === undefined) return undefined;
  const m = PRINCIPAL_RE.exec(v);
  if (!m) throw validation(`${field} ${v.slice(0, 80)} is not an IAM principal ARN (arn:aws:iam::<account>:root, :user/<name> or :role/<name>).`);
  if (m[1] !== ctx.identity.accountId) throw validation(`${field} ${v.slice(0, 80)} is in another account; Strongroom grants stay within the key's account.`);
  return v;
}

/** A GrantId field: 64 hex digits, else InvalidGrantIdException. */
export function grantId(i: In, field = 'GrantId', required = true): string | undefined {
  const v = required ? req(i, field, { min: 1, max: 128 }) : str(i, field, { min: 1, max: 128 });
  if (v !== undefined && !GRANT_ID_RE.test(v)) throw kmsError(K.invalidGrantId, `The grant id ${v.slice(0, 80)} is not valid.`);
  return v;
}

export function operations(i: In, k: KeyRow): string[] {
  const v = i['Operations'];
  if (v === undefined || v === null) throw validation("1 validation error detected: Value null at 'operations' failed to satisfy constraint: Member must not be null");
  if (!Array.isArray(v) || v.length === 0 || v.length > GRANT_OPERATIONS.length) throw validation(`Operations must list 1 to ${GRANT_OPERATIONS.length} grant operations.`);
  for (const o of v) {
    if (typeof o !== 'string' || !(GRANT_OPERATIONS as readonly string[]).includes(o)) {
      throw validation(`1 validation error detected: Value '${String(o).slice(0, 80)}' at 'operations' failed to satisfy constraint: Member must satisfy enum value set: [${GRANT_OPERATIONS.join(', ')}]`);
    }
  }
  const allowed = grantableOperations(k);
  const wrong = (v as string[]).filter((o) => !allowed.includes(o));
  if (wrong.length) throw validation(`Grant operations ${wrong.join(', ')} are not valid for ${k.arn} (${k.keySpec}, ${k.keyUsage}).`);
  return [...new Set(v as string[])];
}

function contextMap(v: unknown, field: string): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw validation(`${field} must be a map of strings.`);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 8) throw validation(`${field} may hold at most 8 encryption context pairs.`);
  for (const [k, x] of entries) {
    if (k === '' || typeof x !== 'string' || x.length > 384) throw validation(`${field} ${k.slice(0, 80)}: values must be strings of at most 384 characters.`);
  }
  return v as Record<string, string>;
}

export function constraints(i: In, k: KeyRow): GrantConstraintsRow | undefined {
  const v = i['Constraints'];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw validation('Constraints must be an object.');
  const o = v as Record<string, unknown>;
  for (const f of Object.keys(o)) if (f !== 'EncryptionContextSubset' && f !== 'EncryptionContextEquals') throw validation(`Constraints has an unknown field ${f.slice(0, 80)}.`);
  const out: GrantConstraintsRow = {};
  if (o['EncryptionContextSubset'] !== undefined && o['EncryptionContextSubset'] !== null) out.EncryptionContextSubset = contextMap(o['EncryptionContextSubset'], 'EncryptionContextSubset');
  if (o['EncryptionContextEquals'] !== undefined && o['EncryptionContextEquals'] !== null) out.EncryptionContextEquals = contextMap(o['EncryptionContextEquals'], 'EncryptionContextEquals');
  if (out.EncryptionContextSubset && out.EncryptionContextEquals) throw validation('Constraints may hold EncryptionContextSubset or EncryptionContextEquals, not both.');
  if (!out.EncryptionContextSubset && !out.EncryptionContextEquals) return undefined;
  if (k.keySpec !== 'SYMMETRIC_DEFAULT') throw validation(`Encryption context grant constraints are not valid for ${k.arn}: its operations take no encryption context.`);
  return out;
}

/** DryRun: the checks passed, so say so instead of acting (DryRunOperationException). */
export function dryRun(i: In): void {
  if (bool(i, 'DryRun')) throw kmsError(K.dryRun, 'The request would have succeeded, but the DryRun parameter was set.');
}

export function grantName(i: In): string | undefined {
  return str(i, 'Name', { min: 1, max: 256, re: /^[a-zA-Z0-9:/_-]+$/ });
}

export function listEntry(g: GrantRow, k: KeyRow): GrantListEntry {
  return {
    KeyId: k.arn, GrantId: g.grantId, ...(g.name !== undefined ? { Name: g.name } : {}), CreationDate: new Date(g.createdAt),
    GranteePrincipal: g.granteePrincipal, ...(g.retiringPrincipal !== undefined ? { RetiringPrincipal: g.retiringPrincipal } : {}),
    IssuingAccount: `arn:aws:iam::${g.accountId}:root`, Operations: g.operations as GrantListEntry['Operations'],
    ...(g.constraints ? { Constraints: g.constraints } : {}),
  };
}
