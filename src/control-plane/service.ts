// The `cloudhsmv2` AwsService: target prefix BaldrApiService, signing name and IAM namespace
// cloudhsm, CloudTrail source cloudhsmv2.amazonaws.com, and one operation per file under
// operations/. Holds no state of its own (it is all in Deps).

import type { AwsService } from '../aws/server.js';
import type { Deps } from './operations/common.js';
import { CreateCluster } from './operations/CreateCluster.js';
import { DescribeClusters } from './operations/DescribeClusters.js';
import { InitializeCluster } from './operations/InitializeCluster.js';
import { ModifyCluster } from './operations/ModifyCluster.js';
import { DeleteCluster } from './operations/DeleteCluster.js';
import { CreateHsm } from './operations/CreateHsm.js';
import { DeleteHsm } from './operations/DeleteHsm.js';
import { TagResource } from './operations/TagResource.js';
import { UntagResource } from './operations/UntagResource.js';
import { ListTags } from './operations/ListTags.js';
import { DescribeBackups } from './operations/DescribeBackups.js';
import { DeleteBackup } from './operations/DeleteBackup.js';
import { RestoreBackup } from './operations/RestoreBackup.js';
import { CopyBackupToRegion } from './operations/CopyBackupToRegion.js';
import { ModifyBackupAttributes } from './operations/ModifyBackupAttributes.js';
import { PutResourcePolicy } from './operations/PutResourcePolicy.js';
import { GetResourcePolicy } from './operations/GetResourcePolicy.js';
import { DeleteResourcePolicy } from './operations/DeleteResourcePolicy.js';
import { E } from './errors.js';

export function cloudHsmV2Service(deps: Deps): AwsService {
  const ops = {
    CreateCluster, DescribeClusters, InitializeCluster, ModifyCluster, DeleteCluster, CreateHsm, DeleteHsm,
    TagResource, UntagResource, ListTags, DescribeBackups, DeleteBackup, RestoreBackup, CopyBackupToRegion,
    ModifyBackupAttributes, PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy,
  };
  return {
    targetPrefix: 'BaldrApiService',
    signingName: 'cloudhsm',
    actionPrefix: 'cloudhsm',
    eventSource: 'cloudhsmv2.amazonaws.com',
    operations: Object.fromEntries(Object.entries(ops).map(([name, make]) => [name, make(deps)])),
    errors: { invalidRequest: E.invalid, accessDenied: E.denied, internal: E.internal },
  };
}
