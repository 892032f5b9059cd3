// `login --username U --role R mfa-token-sign --token FILE`: login with token-sign MFA. The HSM's
// challenge is written to FILE; the user signs each token with the MFA key, then gives the signed
// file (Enter: the same FILE). Non-interactive: when FILE already holds a signed challenge it is
// sent at once, so a script runs the command twice (once to get the token, once after signing).

import type { CommandSpec } from '../../spec.js';
import { CliError } from '../../output.js';
import { LOGIN_FLAGS } from '../login.js';
import { askSigned, signedIfPresent, writeTokenFile } from '../../tokens.js';

export const command: CommandSpec = {
  path: ['login', 'mfa-token-sign'],
  summary: 'Login with token-sign mfa',
  trailing: true,
  flags: [...LOGIN_FLAGS, { name: 'token', type: 'string', required: true, valueName: 'TOKEN', help: 'Filepath where the unsigned token file will be written' }],
  noAutoLogin: true,
  async run(ctx, args) {
    const username = args.str('username').toLowerCase();
    const role = args.str('role') as 'admin' | 'crypto-user';
    const path = args.str('token');
    const password = args.optStr('password') ?? (await ctx.password('Enter password:'));
    const ready = signedIfPresent(ctx, path);
    if (ready) return ctx.login(username, role, password, { mfaToken: ready });
    const first = await ctx.login(username, role, password);
    if (first['mfa-required'] !== 'token-sign' || !first.token) {
      if (first['mfa-required'] === 'totp') throw new CliError('this user has TOTP MFA: use login … mfa-totp');
      return first; // no MFA on this user: the password was enough
    }
    writeTokenFile(ctx, path, first.token);
    const signed = await askSigned(ctx, path, 'run this login again with the same --token file');
    return ctx.login(username, role, password, { mfaToken: signed });
  },
};
