// CreateCluster: a cluster in the caller's account with one subnet per zone of the region's VPC;
// UNINITIALIZED until its first HSM makes the CSR, or (with SourceBackupId) a clone restored
// when its first HSM is created from a backup of the same account, or (by ARN) of another account
// whose resource policy allows the caller cloudhsm:CreateCluster. Mode (FIPS/NON_FIPS; hsm1 is
// FIPS only, hsm2m defaults to NON_FIPS, a restore to its backup's mode) is fixed here and a
// backup restores only into its own mode; NetworkType IPV4 (default) or DUALSTACK. Neither is in
// the SDK at 3.332: hand-typed extensions.

import type { CreateClusterRequest, CreateClusterResponse } from '@aws-sdk/client-cloudhsm-v2';
import { newId, vpcId, zoneOfSubnet } from '../ids.js';
import { invalid } from '../errors.js';
import { modeOf, type ClusterMode, type ClusterRow, type NetworkType } from '../state.js';
import { clusterView, obj, ownOrSharedBackup, req, strList, str, tagList, type ClusterView, type Op } from './common.js';
import { retentionDays } from './ModifyCluster.js';

export const HSM_TYPES = ['hsm1.medium', 'hsm2m.medium'];
/** First octet of the loopback /16 given to the first cluster; each new cluster takes the next. */
export const FIRST_SUBNET_OCTET = 30;

export const MODES: ClusterMode[] = ['FIPS', 'NON_FIPS'];
export const NETWORK_TYPES: NetworkType[] = ['IPV4', 'DUALSTACK'];

export type CreateClusterInput = CreateClusterRequest & { Mode?: ClusterMode; NetworkType?: NetworkType };
export type CreateClusterOutput = Omit<CreateClusterResponse, 'Cluster'> & { Cluster?: ClusterView };

export const CreateCluster: Op<CreateClusterInput, CreateClusterOutput> = (deps) => ({
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
    const askedMode = str(input, 'Mode', { max: 16 }) as ClusterMode | undefined;
    if (askedMode !== undefined && !MODES.includes(askedMode)) throw invalid(`Mode must be one of ${MODES.join(', ')}`);
    const networkType = (str(input, 'NetworkType', { max: 16 }) ?? 'IPV4') as NetworkType;
    if (!NETWORK_TYPES.includes(networkType)) throw invalid(`NetworkType must be one of ${NETWORK_TYPES.join(', ')}`);
    const sourceBackupId = str(input, 'SourceBackupId', { max: 256 });
    const source = sourceBackupId !== undefined ? ownOrSharedBackup(deps, ctx, sourceBackupId, 'cloudhsm:CreateCluster') : undefined;
    if (source && source.state !== 'READY') throw invalid(`backup ${source.backupId} is ${source.state}; only a READY backup can be restored`);
    if (source && source.hsmType !== hsmType) throw invalid(`backup ${source.backupId} is of HsmType ${source.hsmType}; a backup restores only into the same type`);
    const mode: ClusterMode = askedMode ?? (source ? modeOf(source) : hsmType === 'hsm1.medium' ? 'FIPS' : 'NON_FIPS');
    if (hsmType === 'hsm1.medium' && mode !== 'FIPS') throw invalid('Mode: hsm1.medium runs in FIPS mode only');
    if (source && modeOf(source) !== mode) throw invalid(`backup ${source.backupId} was made in ${modeOf(source)} mode; a backup restores only into a cluster of the same mode (Mode ${mode} asked)`);
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
      mode,
      networkType,
      ...(source ? { sourceBackupId: source.backupId, stateMessage: `Restoring from ${source.backupId} when the first HSM is created.` } : {}),
    };
    if (c.subnetOctet > 254) throw invalid('no loopback range left for another cluster on this machine');
    deps.state.putCluster(c);
    if (tags.length) deps.state.setTags(c.clusterId, tags);
    return { Cluster: clusterView(deps, c) };
  },
});
