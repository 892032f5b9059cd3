// DescribeClusters: the caller's clusters in this region, filtered by clusterIds, vpcIds and
// states, MaxResults 1–25 with NextToken.

import type { DescribeClustersRequest, DescribeClustersResponse } from '@aws-sdk/client-cloudhsm-v2';
import { clusterView, listFilters, obj, page, type Op } from './common.js';

const FILTERS = ['clusterIds', 'vpcIds', 'states'];

export const DescribeClusters: Op<DescribeClustersRequest, DescribeClustersResponse> = (deps) => ({
  readOnly: true,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const f = listFilters(input, FILTERS);
    const all = deps.state.clusters(ctx.identity.accountId).filter((c) => c.region === ctx.region
      && (!f['clusterIds'] || f['clusterIds'].includes(c.clusterId))
      && (!f['vpcIds'] || f['vpcIds'].includes(c.vpcId))
      && (!f['states'] || f['states'].includes(c.state)));
    const p = page(all, input, 25);
    return { Clusters: p.items.map((c) => clusterView(deps, c)), ...(p.next ? { NextToken: p.next } : {}) };
  },
});
