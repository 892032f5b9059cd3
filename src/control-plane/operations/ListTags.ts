// ListTags: a resource's tags, MaxResults 1–100 with NextToken.

import type { ListTagsRequest, ListTagsResponse } from '@aws-sdk/client-cloudhsm-v2';
import { obj, page, req, resourceArn, type Op } from './common.js';
import { taggable } from './tags.js';

export const ListTags: Op<ListTagsRequest, ListTagsResponse> = (deps) => ({
  readOnly: true,
  resources: resourceArn,
  handler: async (ctx, raw) => {
    const input = obj(raw);
    const id = taggable(deps, ctx, req(input, 'ResourceId', { max: 256 }));
    const p = page(deps.state.tags(id), input, 100);
    return { TagList: p.items, ...(p.next ? { NextToken: p.next } : {}) };
  },
});
