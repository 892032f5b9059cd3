// TagResource: add or overwrite tags (1–50 per call, at most 50 per resource).

import type { TagResourceRequest, TagResourceResponse } from '@aws-sdk/client-cloudhsm-v2';
import { tagError } from '../errors.js';
import { obj, req, resourceArn, tagList, type Op } from './common.js';
import { taggable } from './tags.js';

export const TagResource: Op<TagResourceRequest, TagResourceResponse> = (deps) => ({
  readOnly: false,
  resources: resourceArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const id = taggable(deps, ctx, req(input, 'ResourceId', { max: 256 }));
    const tags = tagList(input, 'TagList', true)!;
    const keys = new Set([...deps.state.tags(id).map((t) => t.Key), ...tags.map((t) => t.Key)]);
    if (keys.size > 50) throw tagError(`a resource has at most 50 tags; ${id} would have ${keys.size}`);
    deps.state.setTags(id, tags);
    return {};
  },
});
