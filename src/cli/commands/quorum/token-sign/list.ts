// `quorum token-sign list`: every live quorum token of the cluster (anyone's), with its approvals.

import type { CommandSpec } from '../../../spec.js';

export const command: CommandSpec = {
  path: ['quorum', 'token-sign', 'list'],
  summary: 'List the token-sign tokens in your cluster',
  flags: [],
  async run(ctx) {
    return ctx.call('quorum.list', {});
  },
};
