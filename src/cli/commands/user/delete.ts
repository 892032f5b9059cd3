// `user delete --username U --role admin|crypto-user` (admin only).

import type { CommandSpec } from '../../spec.js';
import { ROLE, USERNAME } from '../../flags.js';
import { APPROVAL, approvalFrom } from '../../tokens.js';

export const command: CommandSpec = {
  path: ['user', 'delete'],
  summary: 'Delete a user',
  flags: [USERNAME, ROLE, APPROVAL],
  async run(ctx, args) {
    return ctx.call('user.delete', { username: args.str('username').toLowerCase(), role: args.str('role') as 'admin' | 'crypto-user', ...approvalFrom(ctx, args) });
  },
};
