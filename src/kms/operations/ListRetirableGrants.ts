// ListRetirableGrants: the grants of the caller's account whose RetiringPrincipal is the one
// named, oldest first; Limit 1–100 (default 50) with Marker pagination. IAM decides (no key).

import type { GrantListEntry, ListGrantsResponse } from '@aws-sdk/client-kms';
import { listed, page, req, type In, type Op } from './common.js';
import { listEntry } from './grant-fields.js';

export const ListRetirableGrants: Op<In, ListGrantsResponse> = (d) => ({
  readOnly: true,
  async handler(ctx, i) {
    const retiring = req(i, 'RetiringPrincipal', { min: 1, max: 256 });
    const list: GrantListEntry[] = [];
    for (const g of d.db.retirableGrants(ctx.identity.accountId, retiring)) {
      const k = d.db.key(g.keyId);
      if (k) list.push(listEntry(g, k));
    }
    return listed('Grants', page(list, i, 100, 50));
  },
});
