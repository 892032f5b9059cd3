// UntagResource: remove tags by key (1–50 keys).

import type { UntagResourceRequest, UntagResourceResponse } from '@aws-sdk/client-cloudhsm-v2';
import { obj, req, resourceArn, strList, type Op } from './common.js';
import { taggable } from './tags.js';

export const UntagResource: Op<UntagResourceRequest, UntagResourceResponse> = (deps) => ({
  readOnly: false,
  resources: resourceArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const id = taggable(deps, ctx, req(input, 'ResourceId', { max: 256 }));
    deps.state.removeTags(id, strList(input, 'TagKeyList', { required: true, min: 1, max: 50 })!);
    return {};
  },
});
