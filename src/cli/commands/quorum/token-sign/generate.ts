// `quorum token-sign generate --service S --token FILE`: a quorum token for service S, written to
// FILE for the approvers to sign (each puts a base64 signature of the decoded "unsigned" in "signed";
// several approvers' entries go into one file's "tokens" list).

import type { CommandSpec } from '../../../spec.js';
import { writeTokenFile } from '../../../tokens.js';

export const command: CommandSpec = {
  path: ['quorum', 'token-sign', 'generate'],
  summary: 'Generate a token',
  flags: [
    { name: 'service', type: 'string', required: true, choices: ['user', 'quorum', 'cluster', 'key-management', 'key-usage', 'registration'], help: 'Service the token will be used for' },
    { name: 'token', type: 'string', required: true, valueName: 'TOKEN', help: 'Filepath where the token file will be written' },
  ],
  async run(ctx, args) {
    const path = args.str('token');
    const r = await ctx.call('quorum.generate', { service: args.str('service') as 'user' });
    writeTokenFile(ctx, path, r.token);
    return { path, service: r.service, 'token-timeout-seconds': r['token-timeout-seconds'] };
  },
};
