// DeleteAlias.

import { K, kmsError } from '../errors.js';
import type { Op } from './common.js';
import { aliasName } from './aliases.js';

export const DeleteAlias: Op = (d) => ({
  readOnly: false,
  async handler(ctx, i) {
    const name = aliasName(i);
    if (!d.db.alias(ctx.identity.accountId, name)) throw kmsError(K.notFound, `Alias arn:aws:kms:${ctx.region}:${ctx.identity.accountId}:${name} is not found.`);
    d.db.deleteAlias(ctx.identity.accountId, name);
    return {};
  },
});
