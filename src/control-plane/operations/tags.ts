// The resource a tag operation names: the caller's cluster or backup (id or ARN), else not found.

import type { AwsCallContext } from '../../aws/server.js';
import { invalid } from '../errors.js';
import { ownBackup, ownCluster, type Deps } from './common.js';

export function taggable(deps: Deps, ctx: AwsCallContext, resourceId: string): string {
  const id = resourceId.replace(/^arn:aws:cloudhsm:[^:]*:[^:]*:(cluster|backup)\//, '');
  if (id.startsWith('cluster-')) return ownCluster(deps, ctx, id).clusterId;
  if (id.startsWith('backup-')) return ownBackup(deps, ctx, id).backupId;
  throw invalid(`ResourceId ${JSON.stringify(resourceId.slice(0, 80))} is not a cluster or backup`);
}
