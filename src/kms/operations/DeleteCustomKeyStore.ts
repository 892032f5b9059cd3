// DeleteCustomKeyStore: must be disconnected and hold no keys (even pending deletion ones).

import { K, kmsError } from '../errors.js';
import type { Op } from './common.js';
import { requireStore } from './stores.js';

export const DeleteCustomKeyStore: Op = (d) => ({
  readOnly: false,
  async handler(ctx, i) {
    const s = requireStore(d, ctx, i);
    if (s.connectionState !== 'DISCONNECTED') throw kmsError(K.cksInvalidState, `Custom key store ${s.id} must be DISCONNECTED to be deleted.`);
    if (d.db.keys(ctx.identity.accountId).some((k) => k.customKeyStoreId === s.id)) throw kmsError(K.cksHasCmks, `Custom key store ${s.id} still holds KMS keys.`);
    d.db.deleteStore(s.id);
    return {};
  },
});
