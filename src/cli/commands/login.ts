// `login --username U --role admin|crypto-user [--password]`: logs this connection in.
// The session keeps the login for later commands in interactive mode.

import type { CommandSpec } from '../spec.js';
import { PASSWORD } from '../flags.js';

export const command: CommandSpec = {
  path: ['login'],
  summary: 'Login to your cluster',
  flags: [
    { name: 'username', type: 'string', required: true, help: 'Username to access the cluster' },
    { name: 'role', type: 'string', required: true, choices: ['admin', 'crypto-user'], help: 'Role the user has in the cluster' },
    PASSWORD,
  ],
  noAutoLogin: true,
  async run(ctx, args) {
    const password = args.optStr('password') ?? (await ctx.password('Enter password:'));
    return ctx.login(args.str('username').toLowerCase(), args.str('role') as 'admin' | 'crypto-user', password);
  },
};
