// `quorum token-sign list-quorum-values`: M per admin service (no login needed); 1 means off.

import type { CommandSpec } from '../../../spec.js';

export const command: CommandSpec = {
  path: ['quorum', 'token-sign', 'list-quorum-values'],
  summary: 'List the quorum values for each quorum service',
  flags: [],
  async run(ctx) {
    return ctx.call('quorum.listValues', {});
  },
};
