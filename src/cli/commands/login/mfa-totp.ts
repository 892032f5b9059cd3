// `login --username U --role R mfa-totp [--code CODE]`: login with a TOTP code from an
// authenticator app (RFC 6238; Strongroom's addition to CloudHSM's strategies). Prompts for the code
// when --code is absent.

import type { CommandSpec } from '../../spec.js';
import { CliError } from '../../output.js';
import { LOGIN_FLAGS } from '../login.js';

export const command: CommandSpec = {
  path: ['login', 'mfa-totp'],
  summary: 'Login with a TOTP code (authenticator app)',
  trailing: true,
  flags: [...LOGIN_FLAGS, { name: 'code', type: 'string', valueName: 'CODE', help: 'The 6-digit code; prompted for when omitted' }],
  noAutoLogin: true,
  async run(ctx, args) {
    const password = args.optStr('password') ?? (await ctx.password('Enter password:'));
    const code = args.optStr('code') ?? (await ctx.prompt('Enter TOTP code:'));
    if (code === null || !/^[0-9]{6}$/.test(code.trim())) throw new CliError('a TOTP code is 6 digits');
    return ctx.login(args.str('username').toLowerCase(), args.str('role') as 'admin' | 'crypto-user', password, { totp: code.trim() });
  },
};
