// RevokeGrant: deletes one of a key's grants (KeyId and GrantId); the key policy or IAM decides
// who may, not the grant.

import { K, kmsError } from '../errors.js';
import { keyResource, requireKey, type Op } from './common.js';
import { dryRun, grantId } from './grant-fields.js';

export const RevokeGrant: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const id = grantId(i)!;
    const g = d.db.grant(id);
    if (!g || g.keyId !== k.keyId) throw kmsError(K.notFound, `Grant ${id} does not exist on ${k.arn}.`);
    dryRun(i);
    d.db.deleteGrant(id);
    return {};
  },
});
