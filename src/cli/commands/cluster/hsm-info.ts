// `cluster hsm-info`: the HSMs of the cluster (no login needed). Maps to cluster.info.

import type { CommandSpec } from '../../spec.js';

export const command: CommandSpec = {
  path: ['cluster', 'hsm-info'],
  summary: 'Get HSM information from the cluster',
  flags: [],
  async run(ctx) {
    const info = await ctx.call('cluster.info', {});
    return { hsms: info.hsms };
  },
};
