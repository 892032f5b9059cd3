// CreateGrant: lets GranteePrincipal call Operations on a key (under optional encryption-context
// Constraints) with no policy permission, effective at once. With a Name, a retry with the same
// parameters returns the same grant and token. The GrantToken is a secret-ish value: it is
// hidden in the event history.

import { randomBytes } from 'node:crypto';
import type { GrantConstraintsRow, GrantRow } from '../db.js';
import { K, kmsError } from '../errors.js';
import { keyResource, requireKey, type Op } from './common.js';
import { constraints, dryRun, grantName, operations, principal } from './grant-fields.js';

export const MAX_GRANTS_PER_KEY = 50_000;

function canonical(c: GrantConstraintsRow | undefined): string {
  if (!c) return '';
  const sort = (m: Record<string, string> | undefined) => (m ? Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : null);
  return JSON.stringify([sort(c.EncryptionContextSubset), sort(c.EncryptionContextEquals)]);
}

function sameGrant(g: GrantRow, n: Omit<GrantRow, 'grantId' | 'createdAt' | 'issuer'>): boolean {
  return g.name === n.name && g.granteePrincipal === n.granteePrincipal && g.retiringPrincipal === n.retiringPrincipal
    && [...g.operations].sort().join() === [...n.operations].sort().join() && canonical(g.constraints) === canonical(n.constraints);
}

export const CreateGrant: Op = (d) => ({
  readOnly: false,
  secretFields: ['GrantToken'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const grantee = principal(ctx, i, 'GranteePrincipal', true)!;
    const retiring = principal(ctx, i, 'RetiringPrincipal', false);
    const ops = operations(i, k);
    const cons = constraints(i, k);
    const name = grantName(i);
    if (k.state === 'PendingDeletion' || k.state === 'PendingImport') throw kmsError(K.invalidState, `${k.arn} is ${k.state === 'PendingDeletion' ? 'pending deletion' : k.state}.`);
    dryRun(i);
    const wanted = {
      keyId: k.keyId, accountId: k.accountId, granteePrincipal: grantee, operations: ops,
      ...(name !== undefined ? { name } : {}), ...(retiring !== undefined ? { retiringPrincipal: retiring } : {}), ...(cons ? { constraints: cons } : {}),
    };
    // A retry of a named grant has the same grantee: only that grantee's grants are read.
    const same = name !== undefined ? d.db.grants(k.keyId, grantee).find((g) => sameGrant(g, wanted)) : undefined;
    if (same) return { GrantId: same.grantId, GrantToken: d.db.grantToken(same.grantId) };
    if (d.db.grantCount(k.keyId) >= MAX_GRANTS_PER_KEY) throw kmsError(K.limit, `${k.arn} already has ${MAX_GRANTS_PER_KEY} grants.`);
    const g: GrantRow = { ...wanted, grantId: randomBytes(32).toString('hex'), issuer: ctx.identity.arn, createdAt: ctx.now.getTime() };
    d.db.putGrant(g);
    return { GrantId: g.grantId, GrantToken: d.db.grantToken(g.grantId) };
  },
});
