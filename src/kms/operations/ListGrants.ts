// ListGrants: a key's grants, oldest first, optionally only one GrantId or one GranteePrincipal;
// Limit 1–100 (default 50) with Marker pagination.

import type { ListGrantsResponse } from '@aws-sdk/client-kms';
import { keyResource, listed, page, requireKey, str, type In, type Op } from './common.js';
import { grantId, listEntry } from './grant-fields.js';

export const ListGrants: Op<In, ListGrantsResponse> = (d) => ({
  readOnly: true,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const id = grantId(i, 'GrantId', false);
    const grantee = str(i, 'GranteePrincipal', { min: 1, max: 256 });
    const list = d.db.grants(k.keyId, grantee).filter((g) => id === undefined || g.grantId === id).map((g) => listEntry(g, k));
    return listed('Grants', page(list, i, 100, 50));
  },
});
