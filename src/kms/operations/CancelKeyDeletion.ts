// CancelKeyDeletion: PendingDeletion → Disabled (as KMS does).

import type { CancelKeyDeletionResponse } from '@aws-sdk/client-kms';
import { K, kmsError } from '../errors.js';
import { keyResource, requireKey, type In, type Op } from './common.js';

export const CancelKeyDeletion: Op<In, CancelKeyDeletionResponse> = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, i) {
    const k = requireKey(d, ctx, i);
    if (k.state !== 'PendingDeletion') throw kmsError(K.invalidState, `${k.arn} is not pending deletion.`);
    d.db.updateKey(k.keyId, (x) => {
      const { deletionDate: _a, pendingWindowDays: _b, ...rest } = x;
      return { ...rest, state: 'Disabled' };
    });
    return { KeyId: k.arn };
  },
});
