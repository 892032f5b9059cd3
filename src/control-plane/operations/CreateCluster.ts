// CreateCluster: a cluster in the caller's account with one subnet per zone of the region's VPC;
// UNINITIALIZED until its first HSM makes the CSR, or (with SourceBackupId) a clone restored
// from a backup of the same account when its first HSM is created.

import type { CreateClusterRequest, CreateClusterResponse } from '@aws-sdk/client-cloudhsm-v2';
import { newId, vpcId, zoneOfSubnet } from '../ids.js';
import { invalid } from '../errors.js';
import type { ClusterRow } from '../state.js';
import { clusterView, obj, ownBackup, req, strList, str, tagList, type Op } from './common.js';
import { retentionDays } from './ModifyCluster.js';

export const HSM_TYPES = ['hsm1.medium', 'hsm2m.medium'];
/** First octet of the loopback /16 given to the first cluster; each new cluster takes the next. */
export const FIRST_SUBNET_OCTET = 30;

export const CreateCluster: Op<CreateClusterRequest, CreateClusterResponse> = (deps) => ({
  readOnly: false,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const hsmType = req(input, 'HsmType', { re: /^((p|)hsm[0-9][a-z.]*\.[a-zA-Z]+)$/, max: 32 });
    if (!HSM_TYPES.includes(hsmType)) throw invalid(`HsmType ${hsmType} is not supported here (${HSM_TYPES.join(', ')})`);
    const subnetIds = strList(input, 'SubnetIds', { required: true, min: 1, max: 10 })!;
    const mapping: Record<string, string> = {};
    for (const s of subnetIds) {
      const z = zoneOfSubnet(ctx.region, s);
      if (!z) throw invalid(`SubnetIds: ${s} is not a subnet of ${vpcId(ctx.region)} (subnet-${ctx.region}a, b or c)`);
      if (mapping[z]) throw invalid(`SubnetIds: two subnets in ${z}; give one subnet per availability zone`);
      mapping[z] = s;
    }
    const sourceBackupId = str(input, 'SourceBackupId', { max: 256 });
    const source = sourceBackupId !== undefined ? ownBackup(deps, ctx, sourceBackupId.replace(/^arn:aws:cloudhsm:[^:]*:[^:]*:backup\//, '')) : undefined;
    if (source && source.state !== 'READY') throw invalid(`backup ${source.backupId} is ${source.state}; only a READY backup can be restored`);
    if (source && source.hsmType !== hsmType) throw invalid(`backup ${source.backupId} is of HsmType ${source.hsmType}; a backup restores only into the same type`);
    const rp = input['BackupRetentionPolicy'];
    const days = rp === undefined || rp === null ? 90 : retentionDays(obj(rp));
    const tags = tagList(input, 'TagList', false) ?? [];
    const c: ClusterRow = {
      clusterId: newId('cluster-'),
      accountId: ctx.identity.accountId,
      region: ctx.region,
      subnetOctet: deps.state.next('subnet-octet', deps.firstSubnetOctet ?? FIRST_SUBNET_OCTET),
      hsmType,
      state: source ? 'CREATE_IN_PROGRESS' : 'UNINITIALIZED',
      createTimestamp: Date.now(),
      subnetMapping: mapping,
      vpcId: vpcId(ctx.region),
      retentionDays: days,
      ...(source ? { sourceBackupId: source.backupId, stateMessage: `Restoring from ${source.backupId} when the first HSM is created.` } : {}),
    };
    if (c.subnetOctet > 254) throw invalid('no loopback range left for another cluster on this machine');
    deps.state.putCluster(c);
    if (tags.length) deps.state.setTags(c.clusterId, tags);
    return { Cluster: clusterView(deps, c) };
  },
});
