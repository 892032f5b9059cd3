// RetireGrant: deletes a grant named by its GrantToken, or by KeyId and GrantId. Who may is
// decided in authorize.ts from the grant itself (retiring principal, grantee with RetireGrant,
// or the account). Works in every key state.

import { K, kmsError, validation } from '../errors.js';
import { checkGrantToken } from '../grants.js';
import { findKey, keyResource, str, type Op } from './common.js';
import { dryRun, grantId } from './grant-fields.js';

export const RetireGrant: Op = (d) => ({
  readOnly: false,
  secretFields: ['GrantToken'],
  resources: keyResource(d),
  async handler(ctx, i) {
    const byToken = i['GrantToken'] !== undefined ? checkGrantToken(d.db, i['GrantToken']) : undefined;
    const keyId = str(i, 'KeyId', { min: 1, max: 2048 });
    const id = grantId(i, 'GrantId', false);
    if (byToken === undefined && (keyId === undefined || id === undefined)) throw validation('Specify GrantToken, or KeyId and GrantId.');
    if (byToken !== undefined && id !== undefined && id !== byToken) throw kmsError(K.invalidGrantId, 'GrantId does not match the grant of GrantToken.');
    const g = d.db.grant(byToken ?? id!);
    const k = keyId !== undefined ? findKey(d, ctx, keyId) : undefined;
    if (keyId !== undefined && !k) throw kmsError(K.notFound, `Key '${keyId}' does not exist`);
    if (!g || g.accountId !== ctx.identity.accountId || (k && g.keyId !== k.keyId)) throw kmsError(K.notFound, `Grant ${byToken ?? id} does not exist.`);
    dryRun(i);
    d.db.deleteGrant(g.grantId);
    return {};
  },
});
