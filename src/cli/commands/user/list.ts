// `user list`: every user of the cluster (no login needed). Maps to user.list.

import type { CommandSpec } from '../../spec.js';

export const command: CommandSpec = {
  path: ['user', 'list'],
  summary: 'List the users in your cluster',
  flags: [],
  async run(ctx) {
    return ctx.call('user.list', {});
  },
};
