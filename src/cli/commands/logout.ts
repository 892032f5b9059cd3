// `logout`: ends the login of this connection.

import type { CommandSpec } from '../spec.js';

export const command: CommandSpec = {
  path: ['logout'],
  summary: 'Logout of your cluster',
  flags: [],
  async run(ctx) {
    return ctx.call('logout', {});
  },
};
