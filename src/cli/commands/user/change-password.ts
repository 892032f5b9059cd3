// `user change-password --username U --role R [--password]`: own password, or any user's as admin.

import type { CommandSpec } from '../../spec.js';
import { PASSWORD, USERNAME } from '../../flags.js';
import { APPROVAL, approvalFrom } from '../../tokens.js';

export const command: CommandSpec = {
  path: ['user', 'change-password'],
  summary: "Change a user's password",
  flags: [
    USERNAME,
    { name: 'role', type: 'string', required: true, choices: ['admin', 'crypto-user', 'unactivated-admin'], help: 'Role of the user' },
    PASSWORD,
    APPROVAL,
  ],
  async run(ctx, args) {
    const password = args.optStr('password') ?? (await ctx.password('Enter password:', true));
    return ctx.call('user.changePassword', {
      username: args.str('username').toLowerCase(),
      role: args.str('role') as 'admin' | 'crypto-user' | 'unactivated-admin',
      password,
      ...approvalFrom(ctx, args),
    });
  },
};
