// ListAliases: the account's aliases, optionally only those of one key.

import type { AliasListEntry, ListAliasesResponse } from '@aws-sdk/client-kms';
import { K, kmsError } from '../errors.js';
import { findKey, listed, page, str, type In, type Op } from './common.js';

export const ListAliases: Op<In, ListAliasesResponse> = (d) => ({
  readOnly: true,
  async handler(ctx, input) {
    const i = input;
    const keyId = str(i, 'KeyId', { min: 1, max: 2048 });
    let only: string | undefined;
    if (keyId !== undefined) {
      const k = findKey(d, ctx, keyId);
      if (!k) throw kmsError(K.notFound, `Key '${keyId}' does not exist`);
      only = k.keyId;
    }
    const list: AliasListEntry[] = d.db.aliases(ctx.identity.accountId)
      .filter((a) => only === undefined || a.keyId === only)
      .map((a) => ({ AliasName: a.name, AliasArn: `arn:aws:kms:${ctx.region}:${a.accountId}:${a.name}`, TargetKeyId: a.keyId, CreationDate: new Date(a.createdAt), LastUpdatedDate: new Date(a.updatedAt) }));
    return listed('Aliases', page(list, i));
  },
});
