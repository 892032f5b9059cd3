// DescribeCustomKeyStores: all of the account's stores, or one by id or name.

import { K, kmsError } from '../errors.js';
import { listed, page, str, type Op } from './common.js';
import { entry } from './stores.js';

export const DescribeCustomKeyStores: Op = (d) => ({
  readOnly: true,
  async handler(ctx, i) {
    const id = str(i, 'CustomKeyStoreId', { min: 1, max: 64 });
    const name = str(i, 'CustomKeyStoreName', { min: 1, max: 256 });
    const all = d.db.stores(ctx.identity.accountId).filter((s) => (id === undefined || s.id === id) && (name === undefined || s.name === name));
    if ((id !== undefined || name !== undefined) && all.length === 0) throw kmsError(K.cksNotFound, `Custom key store ${id ?? name} does not exist.`);
    return listed('CustomKeyStores', page(all.map(entry), i));
  },
});
