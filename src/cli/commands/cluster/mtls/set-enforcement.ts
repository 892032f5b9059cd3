// `cluster mtls set-enforcement --level cluster|none`.

import type { CommandSpec } from '../../../spec.js';
import { APPROVAL, approvalFrom } from '../../../tokens.js';

export const command: CommandSpec = {
  path: ['cluster', 'mtls', 'set-enforcement'],
  summary: 'Set whether client certificates (mutual TLS) are required',
  flags: [{ name: 'level', type: 'string', required: true, choices: ['cluster', 'none'], help: 'Enforcement level' }, APPROVAL],
  async run(ctx, args) {
    return ctx.call('mtls.setEnforcement', { level: args.str('level') as 'cluster' | 'none', ...approvalFrom(ctx, args) });
  },
};
