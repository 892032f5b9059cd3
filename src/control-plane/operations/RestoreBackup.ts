// RestoreBackup: a backup PENDING_DELETION becomes READY again.

import type { RestoreBackupRequest, RestoreBackupResponse } from '@aws-sdk/client-cloudhsm-v2';
import { backupArn, backupView, obj, ownBackup, req, type Op } from './common.js';

export const RestoreBackup: Op<RestoreBackupRequest, RestoreBackupResponse> = (deps) => ({
  readOnly: false,
  resources: backupArn,
  handler: async (ctx, raw) => {
    const b = ownBackup(deps, ctx, req(obj(raw), 'BackupId'));
    return { Backup: backupView(deps, deps.backups.restore(b)) };
  },
});
