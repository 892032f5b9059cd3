// DeleteBackup: READY → PENDING_DELETION; RestoreBackup undoes it within 7 days.

import type { DeleteBackupRequest, DeleteBackupResponse } from '@aws-sdk/client-cloudhsm-v2';
import { backupArn, backupView, obj, ownBackup, req, type Op } from './common.js';

export const DeleteBackup: Op<DeleteBackupRequest, DeleteBackupResponse> = (deps) => ({
  readOnly: false,
  resources: backupArn,
  handler: async (ctx, raw) => {
    const b = ownBackup(deps, ctx, req(obj(raw), 'BackupId'));
    return { Backup: backupView(deps, deps.backups.delete(b, Date.now())) };
  },
});
