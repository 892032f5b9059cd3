// `user change-mfa token-sign --username U --role R (--token FILE | --deregister) [--change-quorum]
// [--public-key PEM] [--approval FILE]`: enrols (or removes) token-sign MFA. The HSM's challenge is
// written to FILE; the user signs it with the new key and gives the signed file and the public key
// back (prompted for, or --public-key). Non-interactive: run it twice, the second time with the
// signed FILE and --public-key. Removing MFA also drops the user's quorum key.

import type { CommandSpec } from '../../../spec.js';
import { USERNAME } from '../../../flags.js';
import { CliError } from '../../../output.js';
import { APPROVAL, approvalFrom, askSigned, signedIfPresent, writeTokenFile } from '../../../tokens.js';

export const command: CommandSpec = {
  path: ['user', 'change-mfa', 'token-sign'],
  summary: 'Register or deregister a public key using token-sign mfa strategy',
  flags: [
    USERNAME,
    { name: 'role', type: 'string', required: true, choices: ['admin', 'crypto-user'], help: 'Role the user has in the cluster' },
    { name: 'token', type: 'string', valueName: 'TOKEN', help: 'Filepath where the unsigned token file will be written' },
    { name: 'deregister', type: 'bool', help: 'Deregister the MFA public key, if present (and the quorum key with it)' },
    { name: 'change-quorum', type: 'bool', help: 'Change the quorum public key along with the MFA key (one key serves both)' },
    { name: 'public-key', type: 'string', valueName: 'PUBLIC_KEY', help: 'Filepath of the MFA public key (PEM); prompted for when omitted' },
    APPROVAL,
  ],
  exactlyOne: [['token', 'deregister']],
  async run(ctx, args) {
    const base = { username: args.str('username').toLowerCase(), role: args.str('role') as 'admin' | 'crypto-user', ...approvalFrom(ctx, args) };
    if (args.bool('deregister')) return ctx.call('user.changeMfa', { ...base, strategy: 'none' });
    const path = args.str('token');
    let signed = args.has('public-key') ? signedIfPresent(ctx, path) : undefined;
    if (!signed) {
      const r = await ctx.call('user.changeMfa', { ...base, strategy: 'token-sign' });
      if (!r.token) throw new CliError('the HSM returned no token to sign');
      writeTokenFile(ctx, path, r.token);
      signed = await askSigned(ctx, path, 'run this command again with the same --token file and --public-key');
    }
    const keyPath = args.optStr('public-key') ?? (await ctx.prompt('Enter public key PEM file path:'));
    if (!keyPath) throw new CliError('the MFA public key is needed (--public-key FILE)');
    let publicKey: string;
    try {
      publicKey = ctx.readFile(keyPath.trim()).toString('utf8');
    } catch (e) {
      throw new CliError(`cannot read ${keyPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return ctx.call('user.changeMfa', { ...base, strategy: 'token-sign', token: signed, publicKey, ...(args.bool('change-quorum') ? { changeQuorum: true } : {}) });
  },
};
