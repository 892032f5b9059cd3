// InitializeCluster: the signed cluster certificate and the customer's trust anchor go into the
// HSMs, which check that the certificate chains to the anchor and carries the CSR's key. A tag
// `strongroom:mtls-enforcement` = `cluster` on the cluster also enforces mutual TLS with the
// trust anchor as client CA (a Strongroom extension; CloudHSM leaves that to the admin).

import type { InitializeClusterRequest, InitializeClusterResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid } from '../errors.js';
import { clusterArn, obj, ownCluster, req, type Op } from './common.js';

const PEM_RE = /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;
export const MTLS_TAG = 'strongroom:mtls-enforcement';

export const InitializeCluster: Op<InitializeClusterRequest, InitializeClusterResponse> = (deps) => ({
  readOnly: false,
  resources: clusterArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const c = ownCluster(deps, ctx, req(input, 'ClusterId'));
    const signedCert = req(input, 'SignedCert', { max: 5000 });
    const trustAnchor = req(input, 'TrustAnchor', { max: 5000 });
    if (!PEM_RE.test(signedCert.trim())) throw invalid('SignedCert must be one PEM certificate');
    if (!PEM_RE.test(trustAnchor.trim())) throw invalid('TrustAnchor must be one PEM certificate');
    const enforce = deps.state.tags(c.clusterId).some((t) => t.Key === MTLS_TAG && t.Value === 'cluster');
    await deps.lifecycle.initialize(c.clusterId, signedCert, trustAnchor, enforce);
    const after = deps.state.cluster(c.clusterId)!;
    return { State: after.state, ...(after.stateMessage ? { StateMessage: after.stateMessage } : {}) };
  },
});
