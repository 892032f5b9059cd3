// UpdateCustomKeyStore: new name, new kmsuser password, or a related cluster (restored from a
// backup of the current one); only while DISCONNECTED (a name change is allowed any time).

import { K, kmsError } from '../errors.js';
import { str, type Op } from './common.js';
import { checkPassword, checkTrustAnchor, related, requireStore, usableCluster } from './stores.js';

export const UpdateCustomKeyStore: Op = (d) => ({
  readOnly: false,
  secretFields: ['KeyStorePassword'],
  async handler(ctx, i) {
    const s = requireStore(d, ctx, i);
    const name = str(i, 'NewCustomKeyStoreName', { min: 1, max: 256 });
    const clusterId = str(i, 'CloudHsmClusterId', { min: 19, max: 24 });
    const pw = str(i, 'KeyStorePassword', { min: 1, max: 32 });
    if ((clusterId !== undefined || pw !== undefined) && s.connectionState !== 'DISCONNECTED') {
      throw kmsError(K.cksInvalidState, `Custom key store ${s.id} must be DISCONNECTED to change its cluster or password.`);
    }
    if (name !== undefined && name !== s.name && d.db.stores(ctx.identity.accountId).some((x) => x.name === name)) throw kmsError(K.cksNameInUse, `A custom key store named ${name} already exists.`);
    if (pw !== undefined) checkPassword(pw);
    if (clusterId !== undefined && clusterId !== s.clusterId) {
      const c = usableCluster(d, ctx, clusterId);
      if (!related(d, s.clusterId, clusterId)) throw kmsError(K.clusterNotRelated, `Cluster ${clusterId} is not related to ${s.clusterId}.`);
      checkTrustAnchor(c, s.trustAnchor);
    }
    d.db.updateStore(s.id, { ...(name !== undefined ? { name } : {}), ...(clusterId !== undefined ? { clusterId } : {}) });
    if (pw !== undefined) d.db.putSecret(`${s.id}:password`, pw);
    return {};
  },
});
