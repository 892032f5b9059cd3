// ScheduleKeyDeletion: PendingDeletion for 7–30 days (default 30); the deletion sweep in the
// composition root removes the key (its HSM objects best-effort, then its metadata) when due.

import type { ScheduleKeyDeletionResponse } from '@aws-sdk/client-kms';
import { int, keyResource, notPendingDeletion, requireKey, type In, type Op } from './common.js';

export const ScheduleKeyDeletion: Op<In, ScheduleKeyDeletionResponse> = (d) => ({
  readOnly: false,
  resources: keyResource(d),
  async handler(ctx, input) {
    const i = input;
    const k = requireKey(d, ctx, i);
    const days = int(i, 'PendingWindowInDays', 7, 30) ?? 30;
    notPendingDeletion(k);
    const deletionDate = ctx.now.getTime() + days * d.dayMs;
    d.db.updateKey(k.keyId, (x) => ({ ...x, state: 'PendingDeletion', deletionDate, pendingWindowDays: days }));
    return { KeyId: k.arn, DeletionDate: new Date(deletionDate), KeyState: 'PendingDeletion', PendingWindowInDays: days };
  },
});
