// CreateCustomKeyStore (AWS_CLOUDHSM): checks the cluster (exists in the caller's account,
// ACTIVE, ≥2 active HSMs in different zones, not used by another store), the trust anchor, and the
// name; keeps kmsuser's password sealed. Re-creating a store identical to a disconnected one
// returns its id. The store starts DISCONNECTED.

import { randomBytes } from 'node:crypto';
import { K, kmsError } from '../errors.js';
import { req, str, type Op } from './common.js';
import { checkPassword, checkTrustAnchor, pemBody, usableCluster } from './stores.js';

export const CreateCustomKeyStore: Op = (d) => ({
  readOnly: false,
  secretFields: ['KeyStorePassword'],
  async handler(ctx, i) {
    const name = req(i, 'CustomKeyStoreName', { min: 1, max: 256 });
    const type = str(i, 'CustomKeyStoreType', { oneOf: ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] }) ?? 'AWS_CLOUDHSM';
    if (type !== 'AWS_CLOUDHSM') throw kmsError(K.unsupported, 'External key stores are not supported.');
    const clusterId = req(i, 'CloudHsmClusterId', { min: 19, max: 24 });
    const anchor = req(i, 'TrustAnchorCertificate', { min: 1, max: 5000 });
    const pw = req(i, 'KeyStorePassword', { min: 1, max: 32 });
    checkPassword(pw);
    const acct = ctx.identity.accountId;
    const mine = d.db.stores(acct);
    const same = mine.find((s) => s.name === name);
    if (same) {
      if (same.clusterId === clusterId && pemBody(same.trustAnchor) === pemBody(anchor) && same.connectionState === 'DISCONNECTED') {
        d.db.putSecret(`${same.id}:password`, pw);
        return { CustomKeyStoreId: same.id };
      }
      throw kmsError(K.cksNameInUse, `A custom key store named ${name} already exists.`);
    }
    const c = usableCluster(d, ctx, clusterId);
    checkTrustAnchor(c, anchor);
    if (d.db.stores().some((s) => s.clusterId === clusterId)) throw kmsError(K.clusterInUse, `Cluster ${clusterId} is already used by another custom key store.`);
    if (mine.length >= 10) throw kmsError(K.limit, 'An account may have at most 10 custom key stores.');
    const id = `cks-${randomBytes(9).toString('hex').slice(0, 17)}`;
    d.db.putStore({ id, accountId: acct, name, clusterId, trustAnchor: anchor, createdAt: ctx.now.getTime(), wantConnected: false, connectionState: 'DISCONNECTED' });
    d.db.putSecret(`${id}:password`, pw);
    return { CustomKeyStoreId: id };
  },
});
