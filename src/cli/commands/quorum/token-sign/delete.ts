// `quorum token-sign delete --scope user|all`: deletes the caller's tokens, or (admins) every token.

import type { CommandSpec } from '../../../spec.js';

export const command: CommandSpec = {
  path: ['quorum', 'token-sign', 'delete'],
  summary: 'Delete token-sign tokens',
  flags: [{ name: 'scope', type: 'string', required: true, choices: ['user', 'all'], help: 'user: your own tokens; all: every token (admin)' }],
  async run(ctx, args) {
    return ctx.call('quorum.delete', { scope: args.str('scope') as 'user' | 'all' });
  },
};
