// DescribeKey: the key's metadata (by id, ARN, alias name or alias ARN).

import type { DescribeKeyResponse } from '@aws-sdk/client-kms';
import { keyResource, metadata, requireKey, type In, type Op } from './common.js';

export const DescribeKey: Op<In, DescribeKeyResponse> = (d) => ({
  readOnly: true,
  resources: keyResource(d),
  handler: async (ctx, i) => ({ KeyMetadata: metadata(d, requireKey(d, ctx, i)) }),
});
