// ListKeys: the caller's account's keys, with Limit/Marker paging.

import type { ListKeysResponse } from '@aws-sdk/client-kms';
import { listed, page, type In, type Op } from './common.js';

export const ListKeys: Op<In, ListKeysResponse> = (d) => ({
  readOnly: true,
  handler: async (ctx, i) => listed('Keys', page(d.db.keys(ctx.identity.accountId).map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })), i)),
});
