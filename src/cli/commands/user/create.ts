// `user create --username U --role admin|crypto-user [--password]` (admin only).

import type { CommandSpec } from '../../spec.js';
import { PASSWORD, ROLE, USERNAME } from '../../flags.js';
import { APPROVAL, approvalFrom } from '../../tokens.js';

export const command: CommandSpec = {
  path: ['user', 'create'],
  summary: 'Create a new user',
  flags: [USERNAME, ROLE, PASSWORD, APPROVAL],
  async run(ctx, args) {
    const password = args.optStr('password') ?? (await ctx.password('Enter password:', true));
    return ctx.call('user.create', {
      username: args.str('username').toLowerCase(),
      role: args.str('role') as 'admin' | 'crypto-user',
      password,
      ...approvalFrom(ctx, args),
    });
  },
};
