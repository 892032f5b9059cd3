// `login --username U --role admin|crypto-user [--password]`: logs this connection in.
// The session keeps the login for later commands in interactive mode. Users with MFA log in with
// the trailing subcommands `mfa-token-sign --token F` or `mfa-totp [--code C]`.

import type { CommandSpec, FlagSpec } from '../spec.js';
import { PASSWORD } from '../flags.js';
import { CliError } from '../output.js';

export const LOGIN_FLAGS: readonly FlagSpec[] = [
  { name: 'username', type: 'string', required: true, help: 'Username to access the cluster' },
  { name: 'role', type: 'string', required: true, choices: ['admin', 'crypto-user'], help: 'Role the user has in the cluster' },
  PASSWORD,
];

export const command: CommandSpec = {
  path: ['login'],
  summary: 'Login to your cluster',
  flags: LOGIN_FLAGS,
  noAutoLogin: true,
  async run(ctx, args) {
    const password = args.optStr('password') ?? (await ctx.password('Enter password:'));
    const r = await ctx.login(args.str('username').toLowerCase(), args.str('role') as 'admin' | 'crypto-user', password);
    if (r['mfa-required'] === 'token-sign') throw new CliError('this user has token-sign MFA: log in with login --username U --role R mfa-token-sign --token FILE');
    if (r['mfa-required'] === 'totp') throw new CliError('this user has TOTP MFA: log in with login --username U --role R mfa-totp --code CODE');
    return r;
  },
};
