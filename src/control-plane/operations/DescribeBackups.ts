// DescribeBackups: the caller's backups in this region, filtered by backupIds, sourceBackupIds,
// clusterIds, states and neverExpires; sorted by CreateTimestamp; MaxResults 1–50 with NextToken.
// With Shared=true, instead the other accounts' backups whose resource policy lets the caller
// do cloudhsm:DescribeBackups on them (Shared is not in the SDK at 3.332: hand-typed).

import type { DescribeBackupsRequest, DescribeBackupsResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid } from '../errors.js';
import { backupView, listFilters, obj, page, sharedWith, type Op } from './common.js';

const FILTERS = ['backupIds', 'sourceBackupIds', 'clusterIds', 'states', 'neverExpires'];

export const DescribeBackups: Op<DescribeBackupsRequest & { Shared?: boolean }, DescribeBackupsResponse> = (deps) => ({
  readOnly: true,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const f = listFilters(input, FILTERS);
    if (input['SortAscending'] !== undefined && typeof input['SortAscending'] !== 'boolean') throw invalid('SortAscending must be a boolean');
    const asc = input['SortAscending'] === true;
    if (input['Shared'] !== undefined && input['Shared'] !== null && typeof input['Shared'] !== 'boolean') throw invalid('Shared must be a boolean');
    const visible = input['Shared'] === true
      ? deps.state.backups({ region: ctx.region }).filter((b) => sharedWith(deps, ctx, b, 'cloudhsm:DescribeBackups'))
      : deps.state.backups({ accountId: ctx.identity.accountId, region: ctx.region });
    const all = visible
      .filter((b) => b.state !== 'DELETED' || (b.deleteTimestamp ?? 0) > Date.now() - 86_400_000)
      .filter((b) => (!f['backupIds'] || f['backupIds'].includes(b.backupId))
        && (!f['sourceBackupIds'] || (b.sourceBackup !== undefined && f['sourceBackupIds'].includes(b.sourceBackup)))
        && (!f['clusterIds'] || f['clusterIds'].includes(b.clusterId))
        && (!f['states'] || f['states'].includes(b.state))
        && (!f['neverExpires'] || f['neverExpires'].includes(String(b.neverExpires))))
      .sort((a, b) => (asc ? a.createTimestamp - b.createTimestamp : b.createTimestamp - a.createTimestamp));
    const p = page(all, input, 50);
    return { Backups: p.items.map((b) => backupView(deps, b)), ...(p.next ? { NextToken: p.next } : {}) };
  },
});
