// CreateAlias: alias/<name> → a key of the caller's account (AlreadyExistsException if taken).

import { K, kmsError } from '../errors.js';
import { keyResource, notPendingDeletion, requireKey, type Op } from './common.js';
import { aliasName } from './aliases.js';

export const CreateAlias: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d, 'TargetKeyId'),
  async handler(ctx, i) {
    const name = aliasName(i);
    const k = requireKey(d, ctx, i, 'TargetKeyId');
    notPendingDeletion(k);
    if (d.db.alias(ctx.identity.accountId, name)) throw kmsError(K.alreadyExists, `An alias with the name arn:aws:kms:${ctx.region}:${ctx.identity.accountId}:${name} already exists`);
    if (d.db.aliases(ctx.identity.accountId).length >= 10_000) throw kmsError(K.limit, 'Too many aliases.');
    const now = ctx.now.getTime();
    d.db.putAlias({ name, accountId: ctx.identity.accountId, keyId: k.keyId, createdAt: now, updatedAt: now });
    return {};
  },
});
