// DescribeClusters: the caller's clusters in this region, filtered by clusterIds, vpcIds and
// states, MaxResults 1–25 with NextToken.

import type { DescribeClustersRequest, DescribeClustersResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid } from '../errors.js';
import { clusterView, obj, page, type Op } from './common.js';

const FILTERS = ['clusterIds', 'vpcIds', 'states'];

export const DescribeClusters: Op<DescribeClustersRequest, DescribeClustersResponse> = (deps) => ({
  readOnly: true,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const filters = input['Filters'] === undefined || input['Filters'] === null ? {} : obj(input['Filters']);
    for (const [k, v] of Object.entries(filters)) {
      if (!FILTERS.includes(k)) throw invalid(`Filters: unknown filter ${k.slice(0, 40)} (${FILTERS.join(', ')})`);
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(`Filters.${k} must be a list of strings`);
    }
    const f = filters as Record<string, string[]>;
    const all = deps.state.clusters(ctx.identity.accountId).filter((c) => c.region === ctx.region
      && (!f['clusterIds'] || f['clusterIds'].includes(c.clusterId))
      && (!f['vpcIds'] || f['vpcIds'].includes(c.vpcId))
      && (!f['states'] || f['states'].includes(c.state)));
    const p = page(all, input, 25);
    return { Clusters: p.items.map((c) => clusterView(deps, c)), ...(p.next ? { NextToken: p.next } : {}) };
  },
});
