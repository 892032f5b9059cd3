// `cluster mtls get-enforcement`.

import type { CommandSpec } from '../../../spec.js';

export const command: CommandSpec = {
  path: ['cluster', 'mtls', 'get-enforcement'],
  summary: 'Get the mutual TLS enforcement level',
  flags: [],
  async run(ctx) {
    return ctx.call('mtls.getEnforcement', {});
  },
};
