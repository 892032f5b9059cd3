// ModifyBackupAttributes: NeverExpires exempts a backup from the retention policy.

import type { ModifyBackupAttributesRequest, ModifyBackupAttributesResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid } from '../errors.js';
import { backupArn, backupView, obj, ownBackup, req, type Op } from './common.js';

export const ModifyBackupAttributes: Op<ModifyBackupAttributesRequest, ModifyBackupAttributesResponse> = (deps) => ({
  readOnly: false,
  resources: backupArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const b = ownBackup(deps, ctx, req(input, 'BackupId'));
    const never = input['NeverExpires'];
    if (typeof never !== 'boolean') throw invalid('NeverExpires is required and must be a boolean');
    if (b.state === 'DELETED') throw invalid(`backup ${b.backupId} is DELETED`);
    return { Backup: backupView(deps, deps.state.updateBackup(b.backupId, { neverExpires: never })) };
  },
});
