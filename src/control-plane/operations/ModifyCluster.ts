// ModifyCluster: the backup retention policy (DAYS 7–379). HsmType migration is not offered.

import type { BackupRetentionPolicy, ModifyClusterRequest, ModifyClusterResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid } from '../errors.js';
import { clusterArn, clusterView, obj, ownCluster, req, str, type Op } from './common.js';

export function retentionDays(p: Record<string, unknown>): number {
  const type = str(p, 'Type');
  if (type !== undefined && type !== 'DAYS') throw invalid('BackupRetentionPolicy.Type must be DAYS');
  const v = str(p, 'Value', { required: true, re: /^[0-9]{1,3}$/ })!;
  const n = Number(v);
  if (n < 7 || n > 379) throw invalid('BackupRetentionPolicy.Value must be from 7 to 379 days');
  return n;
}

export const ModifyCluster: Op<ModifyClusterRequest & { HsmType?: string }, ModifyClusterResponse> = (deps) => ({
  readOnly: false,
  resources: clusterArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const c = ownCluster(deps, ctx, req(input, 'ClusterId'));
    if (input['HsmType'] !== undefined && input['HsmType'] !== c.hsmType) throw invalid('changing HsmType is not supported');
    const p = input['BackupRetentionPolicy'] as BackupRetentionPolicy | undefined;
    if (p === undefined) throw invalid('BackupRetentionPolicy is required');
    const days = retentionDays(obj(p));
    if (c.state === 'DELETED') throw invalid(`cluster ${c.clusterId} is DELETED`);
    return { Cluster: clusterView(deps, deps.state.updateCluster(c.clusterId, { retentionDays: days })) };
  },
});
