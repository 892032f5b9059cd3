// DeleteHsm: by HsmId, EniId or EniIp; the HSM stops and its data is discarded (a backup of an
// active cluster is taken first).

import type { DeleteHsmRequest, DeleteHsmResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid, notFound } from '../errors.js';
import { clusterArn, obj, ownCluster, req, str, type Op } from './common.js';

export const DeleteHsm: Op<DeleteHsmRequest, DeleteHsmResponse> = (deps) => ({
  readOnly: false,
  resources: clusterArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const c = ownCluster(deps, ctx, req(input, 'ClusterId'));
    const hsmId = str(input, 'HsmId', { re: /^hsm-[2-7a-zA-Z]{11,16}$/ });
    const eniId = str(input, 'EniId', { re: /^eni-[0-9a-z]+$/, max: 64 });
    const eniIp = str(input, 'EniIp', { re: /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/ });
    const given = [hsmId, eniId, eniIp].filter((x) => x !== undefined).length;
    if (given !== 1) throw invalid('give exactly one of HsmId, EniId and EniIp');
    const h = deps.state.hsms(c.clusterId).find((x) => x.hsmId === hsmId || x.eniId === eniId || x.eniIp === eniIp);
    if (!h) throw notFound(`no such HSM in cluster ${c.clusterId}`);
    if (h.state === 'DELETE_IN_PROGRESS') throw invalid(`HSM ${h.hsmId} is already being deleted`);
    deps.lifecycle.deleteHsm(h);
    return { HsmId: h.hsmId };
  },
});
