// UpdateAlias: points an existing alias at another key of the same account.

import { K, kmsError } from '../errors.js';
import { keyResource, notPendingDeletion, requireKey, type Op } from './common.js';
import { aliasName } from './aliases.js';

export const UpdateAlias: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d, 'TargetKeyId'),
  async handler(ctx, i) {
    const name = aliasName(i);
    const a = d.db.alias(ctx.identity.accountId, name);
    if (!a) throw kmsError(K.notFound, `Alias arn:aws:kms:${ctx.region}:${ctx.identity.accountId}:${name} is not found.`);
    const k = requireKey(d, ctx, i, 'TargetKeyId');
    notPendingDeletion(k);
    const old = d.db.key(a.keyId);
    if (old && (old.keyUsage !== k.keyUsage || (old.keySpec === 'SYMMETRIC_DEFAULT') !== (k.keySpec === 'SYMMETRIC_DEFAULT'))) {
      throw kmsError(K.validation, 'The new target key must have the same key type and key usage as the current one.');
    }
    d.db.putAlias({ ...a, keyId: k.keyId, updatedAt: ctx.now.getTime() });
    return {};
  },
});
