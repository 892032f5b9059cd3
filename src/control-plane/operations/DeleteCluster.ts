// DeleteCluster: only a cluster without HSMs; it stays visible as DELETED. Its backups remain.

import type { DeleteClusterRequest, DeleteClusterResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid } from '../errors.js';
import { clusterArn, clusterView, obj, ownCluster, req, type Op } from './common.js';

export const DeleteCluster: Op<DeleteClusterRequest, DeleteClusterResponse> = (deps) => ({
  readOnly: false,
  resources: clusterArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const c = ownCluster(deps, ctx, req(input, 'ClusterId'));
    if (c.state === 'DELETED' || c.state === 'DELETE_IN_PROGRESS') throw invalid(`cluster ${c.clusterId} is already ${c.state}`);
    if (deps.state.hsms(c.clusterId).length > 0) throw invalid(`cluster ${c.clusterId} still has HSMs: delete them first`);
    const after = deps.state.updateCluster(c.clusterId, { state: 'DELETED', stateMessage: 'Cluster deleted.' });
    deps.lifecycle.deleteCluster(c.clusterId);
    return { Cluster: clusterView(deps, after) };
  },
});
