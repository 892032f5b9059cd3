// CreateHsm: a new HSM in one of the cluster's zones, at a free address of the zone's subnet (or
// the IpAddress asked for); CREATE_IN_PROGRESS until it is provisioned, cloned or restored.

import type { CreateHsmRequest, CreateHsmResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid } from '../errors.js';
import { zones } from '../ids.js';
import { clusterArn, hsmView, obj, ownCluster, req, str, type Op } from './common.js';

export const MAX_HSMS = 28;

export const CreateHsm: Op<CreateHsmRequest, CreateHsmResponse> = (deps) => ({
  readOnly: false,
  resources: clusterArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const c = ownCluster(deps, ctx, req(input, 'ClusterId'));
    const zone = req(input, 'AvailabilityZone', { re: /^[a-z0-9-]+$/, max: 64 });
    const ip = str(input, 'IpAddress', { re: /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/ });
    if (['DELETED', 'DELETE_IN_PROGRESS', 'INITIALIZE_IN_PROGRESS'].includes(c.state)) throw invalid(`cluster ${c.clusterId} is ${c.state}`);
    if (!c.subnetMapping[zone]) throw invalid(`AvailabilityZone ${zone} has no subnet in cluster ${c.clusterId} (${Object.keys(c.subnetMapping).join(', ')})`);
    if (deps.state.hsms(c.clusterId).length >= MAX_HSMS) throw invalid(`a cluster has at most ${MAX_HSMS} HSMs`);
    const address = deps.lifecycle.pickAddress(c, zone, zones(ctx.region).indexOf(zone), ip);
    return { Hsm: hsmView(deps.lifecycle.createHsm(c, zone, address)) };
  },
});
