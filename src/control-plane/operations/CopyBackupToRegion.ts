// CopyBackupToRegion: an independent copy in another region's backup store; the source's tags
// are copied when none are given.

import type { CopyBackupToRegionRequest, CopyBackupToRegionResponse } from '@aws-sdk/client-cloudhsm-v2';
import { invalid } from '../errors.js';
import { backupArn, obj, ownBackup, req, tagList, type Op } from './common.js';

export const CopyBackupToRegion: Op<CopyBackupToRegionRequest, CopyBackupToRegionResponse> = (deps) => ({
  readOnly: false,
  resources: backupArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const dest = req(input, 'DestinationRegion', { re: /^[a-z]{2,}(-[a-z]+)?-[a-z]+-\d+$|^local-\d+$/, max: 32 });
    const b = ownBackup(deps, ctx, req(input, 'BackupId'));
    if (dest === b.region) throw invalid(`DestinationRegion ${dest} is the backup's own region`);
    const tags = tagList(input, 'TagList', false) ?? deps.state.tags(b.backupId);
    const copy = deps.backups.copy(b, dest, tags);
    return {
      DestinationBackup: {
        CreateTimestamp: new Date(copy.createTimestamp),
        SourceRegion: b.region,
        SourceBackup: b.backupId,
        SourceCluster: b.clusterId,
      },
    };
  },
});
