// ConnectCustomKeyStore: asynchronous, as in KMS; poll DescribeCustomKeyStores for CONNECTED or
// FAILED (with a ConnectionErrorCode). A FAILED store must be disconnected before it is retried.

import { K, kmsError } from '../errors.js';
import type { Op } from './common.js';
import { requireStore } from './stores.js';

export const ConnectCustomKeyStore: Op = (d) => ({
  readOnly: false,
  async handler(ctx, i) {
    const s = requireStore(d, ctx, i);
    if (s.connectionState === 'CONNECTED' || s.connectionState === 'CONNECTING') return {};
    if (s.connectionState !== 'DISCONNECTED') throw kmsError(K.cksInvalidState, `Custom key store ${s.id} is ${s.connectionState}; disconnect it first.`);
    const c = d.cp.cluster(s.clusterId);
    if (c && c.state !== 'ACTIVE' && c.state !== 'DEGRADED') throw kmsError(K.clusterNotActive, `CloudHSM cluster ${s.clusterId} is ${c.state}.`);
    d.custom.connect(s.id);
    return {};
  },
});
