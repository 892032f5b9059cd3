// `user delete --username U --role admin|crypto-user` (admin only).

import type { CommandSpec } from '../../spec.js';
import { ROLE, USERNAME } from '../../flags.js';

export const command: CommandSpec = {
  path: ['user', 'delete'],
  summary: 'Delete a user',
  flags: [USERNAME, ROLE],
  async run(ctx, args) {
    return ctx.call('user.delete', { username: args.str('username').toLowerCase(), role: args.str('role') as 'admin' | 'crypto-user' });
  },
};
