// GenerateRandom: 1–1024 bytes from KMS's own HSMs, or from a connected custom key store's cluster.

import { K, kmsError } from '../errors.js';
import { random } from '../crypto.js';
import { int, str, type Op } from './common.js';

export const GenerateRandom: Op = (d) => ({
  readOnly: false,
  secretFields: ['Plaintext'],
  async handler(ctx, i) {
    const n = int(i, 'NumberOfBytes', 1, 1024);
    if (n === undefined) throw kmsError(K.validation, 'NumberOfBytes is required');
    const storeId = str(i, 'CustomKeyStoreId', { min: 1, max: 64 });
    if (storeId !== undefined) {
      const s = d.db.store(storeId);
      if (!s || s.accountId !== ctx.identity.accountId) throw kmsError(K.cksNotFound, `Custom key store ${storeId} does not exist.`);
    }
    return { Plaintext: await random(d, n, storeId) };
  },
});
