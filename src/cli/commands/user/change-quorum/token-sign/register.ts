// `user change-quorum token-sign register --public-key PEM (--signed-token FILE | --token FILE)`:
// registers the logged-in user's quorum key. --signed-token takes a registration token (from
// `quorum token-sign generate --service registration`) signed with the key; --token asks the HSM for
// one, writes it to FILE and asks for the signed file. With token-sign MFA the key must be the MFA key.

import type { CommandSpec } from '../../../../spec.js';
import { CliError } from '../../../../output.js';
import { askSigned, readTokenFile, writeTokenFile } from '../../../../tokens.js';

export const command: CommandSpec = {
  path: ['user', 'change-quorum', 'token-sign', 'register'],
  summary: 'Register a user for quorum authentication with a public key',
  flags: [
    { name: 'public-key', type: 'string', required: true, valueName: 'PUBLIC_KEY', help: 'Filepath to public key PEM file' },
    { name: 'signed-token', type: 'string', valueName: 'SIGNED_TOKEN', help: 'Filepath with token signed by user private key' },
    { name: 'token', type: 'string', valueName: 'TOKEN', help: 'Filepath where a new unsigned registration token is written (then asks for the signed file)' },
  ],
  exactlyOne: [['signed-token', 'token']],
  async run(ctx, args) {
    const keyPath = args.str('public-key');
    let publicKey: string;
    try {
      publicKey = ctx.readFile(keyPath).toString('utf8');
    } catch (e) {
      throw new CliError(`cannot read ${keyPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const signedPath = args.optStr('signed-token');
    let token;
    if (signedPath !== undefined) token = readTokenFile(ctx, signedPath, 'signed-token');
    else {
      const path = args.str('token');
      const r = await ctx.call('quorum.generate', { service: 'registration' });
      writeTokenFile(ctx, path, r.token);
      token = await askSigned(ctx, path, `run user change-quorum token-sign register --public-key ${keyPath} --signed-token ${path}`);
    }
    return ctx.call('user.registerQuorum', { publicKey, token });
  },
};
