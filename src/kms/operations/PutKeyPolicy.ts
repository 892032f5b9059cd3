// PutKeyPolicy: stores a key policy document. Strongroom evaluates the default key policy's effect
// (the key's account decides through IAM); other documents are kept and returned, not evaluated.

import { K, kmsError } from '../errors.js';
import { keyResource, notPendingDeletion, req, requireKey, str, type Op } from './common.js';

export const PutKeyPolicy: Op = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    const policy = req(i, 'Policy', { min: 1, max: 32768 });
    const name = str(i, 'PolicyName') ?? 'default';
    if (name !== 'default') throw kmsError(K.validation, 'PolicyName must be default.');
    try {
      const doc = JSON.parse(policy) as { Statement?: unknown };
      if (typeof doc !== 'object' || doc === null || doc.Statement === undefined) throw new Error('no Statement');
    } catch {
      throw kmsError(K.malformedPolicy, 'The key policy must be a JSON policy document with a Statement.');
    }
    notPendingDeletion(k);
    d.db.updateKey(k.keyId, (x) => ({ ...x, policy }));
    return {};
  },
});
