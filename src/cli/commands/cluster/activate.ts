// `cluster activate [--password]`: sets the first admin's password and makes the cluster ACTIVE.
// Maps to cluster.activate; the password never reaches the output.

import type { CommandSpec } from '../../spec.js';
import { PASSWORD } from '../../flags.js';

export const command: CommandSpec = {
  path: ['cluster', 'activate'],
  summary: 'Activate the cluster by setting the password of the unactivated admin',
  flags: [PASSWORD],
  noAutoLogin: true,
  async run(ctx, args) {
    const password = args.optStr('password') ?? (await ctx.password('Enter password:', true));
    return ctx.call('cluster.activate', { password });
  },
};
